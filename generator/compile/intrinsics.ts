/** Builders of intrinsic-function text; only paths, numbers and short safe literals go inside. */

export function arrayOf(values: readonly number[]): string {
  return `States.Array(${values.join(', ')})`;
}

export function arrayItem(array: string, index: string): string {
  return `States.ArrayGetItem(${array}, ${index})`;
}

export function mathAdd(a: string, b: string): string {
  return `States.MathAdd(${a}, ${b})`;
}

/**
 * States.Format with a template of our own: its `{}` are placeholders and stay unescaped; write
 * `\\{` for a literal brace. Quotes are not allowed in templates.
 */
export function format(template: string, ...args: string[]): string {
  if (template.includes("'")) throw new Error(`unsafe States.Format template: ${template}`);
  return `States.Format('${template}', ${args.join(', ')})`;
}

export function jsonMerge(a: string, b: string): string {
  return `States.JsonMerge(${a}, ${b}, false)`;
}

export function sha256(value: string): string {
  return `States.Hash(${value}, 'SHA-256')`;
}
