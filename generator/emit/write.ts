import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { OutputFile } from './outputs.ts';

/**
 * Writes every file or none: all contents go to temporary files beside their targets first,
 * and only when every one of them is written are they renamed into place.
 */
export function writeOutputs(directory: string, files: readonly OutputFile[]): void {
  const staged: { temporary: string; target: string }[] = [];
  try {
    for (const file of files) {
      const target = join(directory, file.path);
      mkdirSync(dirname(target), { recursive: true });
      const temporary = `${target}.${process.pid}.tmp`;
      writeFileSync(temporary, file.content);
      staged.push({ temporary, target });
    }
  } catch (error) {
    for (const { temporary } of staged) rmSync(temporary, { force: true });
    throw error;
  }
  for (const { temporary, target } of staged) renameSync(temporary, target);
}

export type FileDrift = { readonly path: string; readonly kind: 'missing' | 'stale'; readonly current?: string; readonly expected: string };

/** Files whose committed content differs from what `generate` would write. */
export function findDrift(directory: string, files: readonly OutputFile[]): FileDrift[] {
  const drift: FileDrift[] = [];
  for (const file of files) {
    let current: string;
    try {
      current = readFileSync(join(directory, file.path), 'utf8');
    } catch {
      drift.push({ path: file.path, kind: 'missing', expected: file.content });
      continue;
    }
    if (current !== file.content) drift.push({ path: file.path, kind: 'stale', current, expected: file.content });
  }
  return drift;
}
