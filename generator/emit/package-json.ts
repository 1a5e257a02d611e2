// Adds npm scripts to a package.json without disturbing anything else in it: the new members are
// inserted as text, in the file's own indentation and line endings, and the result is checked to
// parse to the original plus exactly those scripts.
import { isDeepStrictEqual } from 'node:util';

export class PackageJsonError extends Error {
  override readonly name = 'PackageJsonError';
}

type Token = { readonly kind: 'string' | 'punct' | 'literal'; readonly start: number; readonly end: number; readonly text: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    if (/\s/.test(char)) {
      index += 1;
    } else if (char === '"') {
      let end = index + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      tokens.push({ kind: 'string', start: index, end: end + 1, text: text.slice(index, end + 1) });
      index = end + 1;
    } else if ('{}[]:,'.includes(char)) {
      tokens.push({ kind: 'punct', start: index, end: index + 1, text: char });
      index += 1;
    } else {
      let end = index;
      while (end < text.length && !/[\s{}[\]:,"]/.test(text[end] as string)) end += 1;
      tokens.push({ kind: 'literal', start: index, end, text: text.slice(index, end) });
      index = end;
    }
  }
  return tokens;
}

/** Index of the token closing the object or array opened at `open`. */
function closing(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let index = open; index < tokens.length; index += 1) {
    const token = tokens[index] as Token;
    if (token.kind !== 'punct') continue;
    if (token.text === '{' || token.text === '[') depth += 1;
    if (token.text === '}' || token.text === ']') depth -= 1;
    if (depth === 0) return index;
  }
  throw new PackageJsonError('unbalanced braces');
}

/** Top-level members: key token index and the index of the value's first token. */
function members(tokens: readonly Token[], open: number, close: number): { key: number; value: number; last: number }[] {
  const found: { key: number; value: number; last: number }[] = [];
  let index = open + 1;
  while (index < close) {
    const value = index + 2;
    const first = tokens[value] as Token;
    const last = first.text === '{' || first.text === '[' ? closing(tokens, value) : value;
    found.push({ key: index, value, last });
    index = last + 1;
    if (tokens[index]?.text === ',') index += 1;
  }
  return found;
}

export type ScriptsChange = { readonly text: string; readonly added: readonly string[]; readonly present: readonly string[] };

/**
 * `text` with `scripts` added. Scripts already there with the same command are left alone; one
 * there with another command is a conflict (PackageJsonError), never overwritten.
 */
export function addScripts(text: string, scripts: Readonly<Record<string, string>>): ScriptsChange {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PackageJsonError(`it is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new PackageJsonError('it is not a JSON object');
  const existing = (parsed as { scripts?: unknown }).scripts;
  if (existing !== undefined && (typeof existing !== 'object' || existing === null || Array.isArray(existing))) throw new PackageJsonError('its "scripts" is not an object');
  const current = (existing ?? {}) as Record<string, unknown>;
  const conflicts = Object.entries(scripts).filter(([name, command]) => name in current && current[name] !== command);
  if (conflicts.length > 0) {
    throw new PackageJsonError(conflicts.map(([name]) => `script "${name}" already runs ${JSON.stringify(current[name])}`).join('; '));
  }
  const missing = Object.entries(scripts).filter(([name]) => !(name in current));
  const present = Object.keys(scripts).filter((name) => name in current);
  if (missing.length === 0) return { text, added: [], present };

  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const unit = /\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
  const entries = (indent: string) => missing.map(([name, command]) => `${indent}${JSON.stringify(name)}: ${JSON.stringify(command)}`);
  const tokens = tokenize(text);
  const rootOpen = tokens.findIndex((token) => token.text === '{');
  const rootClose = closing(tokens, rootOpen);
  const scriptsMember = members(tokens, rootOpen, rootClose).find((member) => (tokens[member.key] as Token).text === '"scripts"');

  let result: string;
  if (scriptsMember) {
    const open = tokens[scriptsMember.value] as Token;
    const close = tokens[scriptsMember.last] as Token;
    const inner = members(tokens, scriptsMember.value, scriptsMember.last);
    const keyIndent = /(?:^|\n)([ \t]*)[^\n]*$/.exec(text.slice(0, (tokens[scriptsMember.key] as Token).start))?.[1] ?? unit;
    if (inner.length === 0) {
      result = `${text.slice(0, open.start)}{${eol}${entries(keyIndent + unit).join(`,${eol}`)}${eol}${keyIndent}}${text.slice(close.end)}`;
    } else {
      const lastValue = tokens[(inner.at(-1) as { last: number }).last] as Token;
      const firstKey = tokens[(inner[0] as { key: number }).key] as Token;
      const between = text.slice(open.end, firstKey.start);
      const memberIndent = between.includes('\n') ? (/\n([ \t]*)$/.exec(between)?.[1] ?? keyIndent + unit) : ' ';
      const separator = between.includes('\n') ? `,${eol}${memberIndent}` : ', ';
      result = `${text.slice(0, lastValue.end)}${separator}${entries('').join(separator)}${text.slice(lastValue.end)}`;
    }
  } else {
    const rootMembers = members(tokens, rootOpen, rootClose);
    const close = tokens[rootClose] as Token;
    const block = `${JSON.stringify('scripts')}: {${eol}${entries(unit + unit).join(`,${eol}`)}${eol}${unit}}`;
    if (rootMembers.length === 0) {
      result = `${text.slice(0, (tokens[rootOpen] as Token).start)}{${eol}${unit}${block}${eol}}${text.slice(close.end)}`;
    } else {
      const lastValue = tokens[(rootMembers.at(-1) as { last: number }).last] as Token;
      result = `${text.slice(0, lastValue.end)},${eol}${unit}${block}${text.slice(lastValue.end)}`;
    }
  }
  const expected = { ...(parsed as Record<string, unknown>), scripts: { ...current, ...Object.fromEntries(missing) } };
  if (!isDeepStrictEqual(JSON.parse(result), expected)) throw new PackageJsonError('could not add the scripts without changing something else; add them by hand');
  return { text: result, added: missing.map(([name]) => name), present };
}
