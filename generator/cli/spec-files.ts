import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { SpecInput } from '../load/load.ts';
import { UsageError } from './command.ts';

export const DEFAULT_SPEC_DIRECTORY = 'pipelines';
export const DEFAULT_OUT_DIRECTORY = 'asl';

const SPEC_FILE = /\.ya?ml$/;

/** Spec files named on the command line (files or directories searched recursively), sorted. */
export function findSpecFiles(cwd: string, args: readonly string[]): SpecInput[] {
  const roots = args.length > 0 ? args : [DEFAULT_SPEC_DIRECTORY];
  const files = new Set<string>();
  for (const root of roots) {
    const path = resolve(cwd, root);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw new UsageError(args.length > 0 ? `no such file or directory: ${root}` : `no specs given and no ${DEFAULT_SPEC_DIRECTORY}/ directory here; name spec files or directories`);
    }
    if (isDirectory) walk(path, files);
    else files.add(path);
  }
  if (files.size === 0) throw new UsageError(`no .yaml spec files found in ${roots.join(', ')}`);
  return [...files].sort().map((path) => ({ path, displayName: relative(cwd, path) || path }));
}

function walk(directory: string, files: Set<string>): void {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) walk(path, files);
    else if (SPEC_FILE.test(entry.name)) files.add(path);
  }
}
