import { readFileSync } from 'node:fs';
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
  type Pair,
  type YAMLError,
} from 'yaml';
import { compareErrors, SpecError, type SourceLocation } from './errors.ts';
import { describeUtf8Problem, firstUtf8Problem } from './utf8.ts';

export type FieldPath = readonly (string | number)[];

/** A parsed spec file that can point at any field's line and column. */
export type SpecSource = {
  readonly file: string;
  readonly data: unknown;
  locate(path: FieldPath, at?: 'key' | 'value'): SourceLocation;
  error(code: SpecError['code'], path: FieldPath, detail: string, at?: 'key' | 'value'): SpecError;
};

export function formatPath(path: FieldPath): string {
  let text = '';
  for (const part of path) text += typeof part === 'number' ? `[${part}]` : text ? `.${part}` : part;
  return text;
}

export function loadSpecSource(file: string, displayName = file): { source: SpecSource; errors: SpecError[] } {
  const bytes = readFileSync(file);
  const problem = firstUtf8Problem(bytes);
  if (problem) {
    const { source } = parseSpecSource('', displayName);
    return {
      source,
      errors: [
        new SpecError(
          'invalid-encoding',
          { file: displayName, line: problem.line, column: problem.column },
          '',
          describeUtf8Problem(problem),
        ),
      ],
    };
  }
  return parseSpecSource(bytes.toString('utf8'), displayName);
}

/** What would be valid, per YAML error code: the second half of each syntax message. */
const YAML_HINTS: Partial<Record<YAMLError['code'], string>> = {
  TAB_AS_INDENT: 'indent with spaces',
  BAD_INDENT: 'indent nested fields with spaces, deeper than their parent, and close every [ and {',
  BLOCK_AS_IMPLICIT_KEY: "put a nested mapping on its own lines, or quote a value that holds ': '",
  MULTILINE_IMPLICIT_KEY: "end every key with ': ' on its own line, or quote a value that holds ': '",
  MISSING_CHAR: 'close every quote, [ and {',
  BAD_DQ_ESCAPE: String.raw`in double quotes use only YAML escapes (\\ \" \n \t \uXXXX), or single quotes`,
  UNEXPECTED_TOKEN: "quote a value that starts with @, `, %, or holds ': ' or ' #'",
  BAD_SCALAR_START: "quote a value that starts with @, `, %, or holds ': ' or ' #'",
  MULTIPLE_DOCS: "one pipeline per file: remove the '---' separator or split the file",
  BAD_ALIAS: 'define the anchor (&name) before its alias (*name)',
  KEY_OVER_1024_CHARS: 'keep keys under 1024 characters',
};

function yamlError(problem: YAMLError, toLocation: (offset: number) => SourceLocation): SpecError {
  const at = toLocation(problem.pos[0]);
  const hint = YAML_HINTS[problem.code] ?? 'write valid YAML 1.2 (quote a value when in doubt)';
  return new SpecError('yaml-syntax', at, '', `YAML syntax: ${firstLine(problem.message).replace(/\.$/, '')}; ${hint}`);
}

export function parseSpecSource(text: string, file: string): { source: SpecSource; errors: SpecError[] } {
  const lineCounter = new LineCounter();
  // `<<` merge keys are YAML 1.1; we support them (anchors of shared settings are common in specs).
  // uniqueKeys is checked below: the library's own check is quadratic in a map's size.
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: true });
  const duplicates = duplicateKeys(document);
  const toLocation = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const source: SpecSource = {
    file,
    data: document.errors.length > 0 || duplicates.length > 0 ? undefined : document.toJS({ maxAliasCount: 100 }),
    locate: (path, at = 'key') => toLocation(offsetOf(document, path, at)),
    error: (code, path, detail, at = 'key') => new SpecError(code, source.locate(path, at), formatPath(path), detail),
  };
  const errors = [
    ...document.errors.map((problem) => yamlError(problem, toLocation)),
    ...duplicates.map(
      ({ key, offset }) =>
        new SpecError(
          'yaml-syntax',
          toLocation(offset),
          '',
          `YAML syntax: duplicate key '${key.slice(0, 100)}'; each key may appear once in a mapping`,
        ),
    ),
  ].sort(compareErrors);
  if (
    errors.length === 0 &&
    (document.contents === null || (isScalar(document.contents) && document.contents.value === null))
  ) {
    errors.push(
      new SpecError(
        'empty-spec',
        toLocation(0),
        '',
        'empty spec; a spec holds version: 1, pipeline, target and steps (sfn-redshift init writes an example)',
      ),
    );
  }
  return { source, errors };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** Offset of the deepest existing node on `path`: a field's key, or with `at: 'value'` the value itself. */
function offsetOf(document: Document, path: FieldPath, at: 'key' | 'value'): number {
  let node: unknown = document.contents;
  let offset = rangeStart(node) ?? 0;
  path.forEach((part, index) => {
    if (node === undefined) return;
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = pairsByKey(node).get(part);
      node = pair?.value ?? undefined;
      if (pair)
        offset = (last && at === 'value' ? rangeStart(pair.value) : undefined) ?? rangeStart(pair.key) ?? offset;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
      offset = rangeStart(node) ?? offset;
    } else {
      node = undefined;
    }
  });
  return offset;
}

const pairIndexes = new WeakMap<object, Map<unknown, Pair>>();

/** A map's pairs by key, built once per map: locating N errors in a map of N keys stays linear. */
function pairsByKey(node: { items: Pair[] }): Map<unknown, Pair> {
  let index = pairIndexes.get(node);
  if (!index) {
    index = new Map();
    for (const item of node.items)
      if (isScalar(item.key) && !index.has(item.key.value)) index.set(item.key.value, item);
    pairIndexes.set(node, index);
  }
  return index;
}

/** Keys repeated in a mapping (after the first), each with its offset; linear in the document. */
function duplicateKeys(document: Document): { key: string; offset: number }[] {
  const found: { key: string; offset: number }[] = [];
  visit(document, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key) || pair.key.value === '<<') continue;
        if (seen.has(pair.key.value)) found.push({ key: String(pair.key.value), offset: rangeStart(pair.key) ?? 0 });
        seen.add(pair.key.value);
      }
    },
  });
  return found;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
