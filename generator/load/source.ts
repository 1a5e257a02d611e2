import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { SpecError, type SourceLocation } from './errors.ts';

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
  return parseSpecSource(readFileSync(file, 'utf8'), displayName);
}

export function parseSpecSource(text: string, file: string): { source: SpecSource; errors: SpecError[] } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const toLocation = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const source: SpecSource = {
    file,
    data: document.errors.length > 0 ? undefined : document.toJS({ maxAliasCount: 100 }),
    locate: (path, at = 'key') => toLocation(offsetOf(document, path, at)),
    error: (code, path, detail, at = 'key') => new SpecError(code, source.locate(path, at), formatPath(path), detail),
  };
  const errors = document.errors.map(
    (problem) => new SpecError('yaml-syntax', toLocation(problem.pos[0]), '', `YAML syntax: ${firstLine(problem.message)}`),
  );
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
      const pair = node.items.find((item: Pair) => isScalar(item.key) && item.key.value === part);
      node = pair?.value ?? undefined;
      if (pair) offset = (last && at === 'value' ? rangeStart(pair.value) : undefined) ?? rangeStart(pair.key) ?? offset;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
      offset = rangeStart(node) ?? offset;
    } else {
      node = undefined;
    }
  });
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
