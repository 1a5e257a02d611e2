// Adds npm scripts to a package.json without disturbing anything else in it: jsonc-parser finds
// where each member goes and builds the insertion edit; the edit is then laid out in the file's
// own style (indentation, line endings, inline or one member per line), and the result is checked
// to parse to the original plus exactly those scripts.
import { isDeepStrictEqual } from 'node:util';
import { applyEdits, findNodeAtLocation, modify, parseTree, type Edit, type JSONPath, type Node } from 'jsonc-parser';

export class PackageJsonError extends Error {
  override readonly name = 'PackageJsonError';
}

export type ScriptsChange = {
  readonly text: string;
  readonly added: readonly string[];
  readonly present: readonly string[];
};

/**
 * `text` with `scripts` added. Scripts already there with the same command are left alone; one
 * there with another command is a conflict (PackageJsonError), never overwritten.
 */
export function addScripts(text: string, scripts: Readonly<Record<string, string>>): ScriptsChange {
  const parsed = parseObject(text);
  const existing = parsed.scripts;
  if (existing !== undefined && (typeof existing !== 'object' || existing === null || Array.isArray(existing)))
    throw new PackageJsonError('its "scripts" is not an object');
  const current = (existing ?? {}) as Record<string, unknown>;
  const conflicts = Object.entries(scripts).filter(([name, command]) => name in current && current[name] !== command);
  if (conflicts.length > 0) {
    throw new PackageJsonError(
      conflicts.map(([name]) => `script "${name}" already runs ${JSON.stringify(current[name])}`).join('; '),
    );
  }
  const missing = Object.entries(scripts).filter(([name]) => !(name in current));
  const present = Object.keys(scripts).filter((name) => name in current);
  if (missing.length === 0) return { text, added: [], present };

  const layout = fileLayout(text);
  let result = existing === undefined ? addMember(text, ['scripts'], {}, layout) : text;
  for (const [name, command] of missing) result = addMember(result, ['scripts', name], command, layout);
  const expected = { ...parsed, scripts: { ...current, ...Object.fromEntries(missing) } };
  if (!isDeepStrictEqual(JSON.parse(result), expected))
    throw new PackageJsonError('could not add the scripts without changing something else; add them by hand');
  return { text: result, added: missing.map(([name]) => name), present };
}

// Strict JSON first: jsonc-parser would accept comments and trailing commas, npm does not.
function parseObject(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PackageJsonError(`it is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new PackageJsonError('it is not a JSON object');
  return parsed as Record<string, unknown>;
}

type Layout = { readonly eol: string; readonly unit: string };

function fileLayout(text: string): Layout {
  return { eol: text.includes('\r\n') ? '\r\n' : '\n', unit: /\n([ \t]+)"/.exec(text)?.[1] ?? '  ' };
}

/** `text` with the member at `path` (its object exists, the member does not) appended, in the file's style. */
function addMember(text: string, path: JSONPath, value: unknown, layout: Layout): string {
  const root = parseTree(text);
  const object = root && findNodeAtLocation(root, path.slice(0, -1));
  const [edit] = modify(text, path, value, {});
  if (object?.type !== 'object' || edit === undefined)
    throw new PackageJsonError('could not find where to add the scripts; add them by hand');
  return applyEdits(text, [styled(text, edit, object, layout)]);
}

// modify() without formatting inserts `,"name": value` after the last member, or `"name": value`
// into an empty object. An empty object is opened onto lines below the line it starts on; a
// non-empty one keeps its layout: one member per line at its members' indent, or inline.
function styled(text: string, edit: Edit, object: Node, layout: Layout): Edit {
  const firstMember = object.children?.[0];
  if (firstMember === undefined) {
    const indent = /([ \t]*)[^\n]*$/.exec(text.slice(0, object.offset))?.[1] ?? '';
    const content = `${layout.eol}${indent}${layout.unit}${edit.content}${layout.eol}${indent}`;
    return { offset: object.offset + 1, length: object.length - 2, content };
  }
  const member = edit.content.slice(1);
  const between = text.slice(object.offset + 1, firstMember.offset);
  if (!between.includes('\n')) return { ...edit, content: `, ${member}` };
  return { ...edit, content: `,${layout.eol}${/\n([ \t]*)$/.exec(between)?.[1] ?? ''}${member}` };
}
