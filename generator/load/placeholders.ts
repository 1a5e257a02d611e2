/** `${Name}` placeholders pass through to CloudFormation/CDK/SAM DefinitionSubstitutions. */
/** `$${Name}` is an escape (as in Terraform templates): text, not a substitution key. */
export const PLACEHOLDER_PATTERN = /(?<!\$)\$\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/** The first malformed `${` in a string (unterminated or a bad name), if any. */
export function malformedPlaceholder(text: string): string | undefined {
  for (let index = text.indexOf('${'); index !== -1; index = text.indexOf('${', index + 2)) {
    const match = /^\$\{(!?)([A-Za-z][A-Za-z0-9_]*)?\}/.exec(text.slice(index));
    if (!match || (!match[1] && !match[2])) {
      const end = text.indexOf('}', index);
      return end === -1 ? text.slice(index, index + 20) : text.slice(index, end + 1);
    }
  }
  return undefined;
}

export function placeholderNames(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER_PATTERN)].map((match) => match[1] as string);
}
