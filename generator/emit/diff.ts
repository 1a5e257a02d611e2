import { diffLines } from 'diff';

/** At most this many bytes of diff text reach the terminal; the rest is counted ("… N more bytes"). */
export const MAX_DIFF_BYTES = 4096;
/** Beyond this many changed lines jsdiff gives up (its cost grows with the edits, not the files). */
const MAX_EDIT_LENGTH = 2000;

type Edit = { readonly kind: 'same' | 'removed' | 'added'; readonly line: string; readonly at: number };

/** The line edits from `before` to `after` (jsdiff's Myers diff), each with its line in `before`. */
function editScript(before: string, after: string): Edit[] | undefined {
  const changes = diffLines(before, after, { maxEditLength: MAX_EDIT_LENGTH });
  if (!changes) return undefined;
  const edits: Edit[] = [];
  let at = 0;
  for (const change of changes) {
    const kind = change.added ? 'added' : change.removed ? 'removed' : 'same';
    const lines = change.value.endsWith('\n') ? change.value.slice(0, -1).split('\n') : change.value.split('\n');
    for (const line of lines) {
      edits.push({ kind, line, at });
      if (kind !== 'added') at += 1;
    }
  }
  return edits;
}

/** Control characters as escapes, so that a diff never drives the terminal (`\x1b[2J` stays text). */
export function escapeControl(text: string): string {
  return text.replace(/\p{Cc}/gu, (character) => {
    if (character === '\t') return '\\t';
    if (character === '\r') return '\\r';
    return `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** The longest escaped prefix of `line` within `room` bytes, and how many characters of `line` it covers. */
function escapedPrefix(line: string, room: number): { text: string; characters: number } {
  let text = '';
  let bytes = 0;
  let characters = 0;
  for (const character of line) {
    const piece = escapeControl(character);
    const size = Buffer.byteLength(piece);
    if (bytes + size > room) break;
    text += piece;
    bytes += size;
    characters += character.length;
  }
  return { text, characters };
}

/** Diff lines within `budget` bytes; where they stop, the last line says how many bytes were left out. */
function truncated(lines: readonly string[], budget: number): string[] {
  const shown: string[] = [];
  let used = 0;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] as string;
    // Only what can be shown is escaped: a 100 MB line is never escaped (nor copied) whole.
    const prefix = escapedPrefix(line.length > budget ? line.slice(0, budget) : line, budget - used);
    if (prefix.characters === line.length) {
      shown.push(prefix.text);
      used += Buffer.byteLength(prefix.text) + 1;
      continue;
    }
    let rest = Buffer.byteLength(line) - Buffer.byteLength(line.slice(0, prefix.characters));
    for (const next of lines.slice(index + 1)) rest += Buffer.byteLength(next) + 1;
    shown.push(`${prefix.text}… ${rest.toLocaleString('en-US')} more bytes`);
    return shown;
  }
  return shown;
}

/**
 * A short unified-style diff: the changed lines with a little context, at most `maxLines` of them
 * and MAX_DIFF_BYTES in all, control characters escaped.
 */
export function shortDiff(current: string, expected: string, maxLines = 16, context = 1): string[] {
  const edits = editScript(current, expected);
  if (!edits) return [`(more than ${MAX_EDIT_LENGTH} lines differ: too many to show here)`];
  const changed = edits.map((edit, index) => (edit.kind === 'same' ? -1 : index)).filter((index) => index >= 0);
  const shown = new Set<number>();
  for (const index of changed)
    for (let near = index - context; near <= index + context; near += 1)
      if (near >= 0 && near < edits.length) shown.add(near);
  const lines: string[] = [];
  let previous = -2;
  for (const index of [...shown].sort((a, b) => a - b)) {
    const edit = edits[index] as Edit;
    if (index !== previous + 1) lines.push(`@@ line ${edit.at + 1} @@`);
    lines.push(`${edit.kind === 'same' ? ' ' : edit.kind === 'removed' ? '-' : '+'} ${edit.line}`);
    previous = index;
  }
  const capped =
    lines.length <= maxLines ? lines : [...lines.slice(0, maxLines), `  … ${changed.length} changed line(s) in all`];
  return truncated(capped, MAX_DIFF_BYTES);
}
