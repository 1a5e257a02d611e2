import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { SpecInput } from '../load/load.ts';
import { UsageError } from './command.ts';

export const DEFAULT_SPEC_DIRECTORY = 'pipelines';
export const DEFAULT_OUT_DIRECTORY = 'asl';

/** The flag that lets `sqlFile` name files outside the directory generate runs in. */
export const ALLOW_SQL_OUTSIDE = {
  'allow-sql-outside': {
    type: 'boolean',
    description: 'Let sqlFile name files outside the current directory (their SQL is embedded in the outputs)',
  },
} as const;

const SPEC_FILE = /\.ya?ml$/;

/** Spec files named on the command line (files or directories searched recursively), sorted. */
export function findSpecFiles(
  cwd: string,
  args: readonly string[],
  options: { allowSqlOutside?: boolean | undefined } = {},
): SpecInput[] {
  const roots = args.length > 0 ? args : [DEFAULT_SPEC_DIRECTORY];
  const files = new Set<string>();
  for (const root of roots) {
    const path = resolve(cwd, root);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw new UsageError(
        args.length > 0
          ? `no such file or directory: ${root}`
          : `no specs given and no ${DEFAULT_SPEC_DIRECTORY}/ directory here; name spec files or directories`,
      );
    }
    if (isDirectory) walk(path, files);
    else files.add(path);
  }
  if (files.size === 0) throw new UsageError(`no .yaml spec files found in ${roots.join(', ')}`);
  // sqlFile stays inside the project, unless allowed: its SQL is embedded in committed outputs, and
  // a spec must not pull /etc/passwd or ../../secrets into them.
  return [...files].sort().map((path) => ({
    path,
    displayName: relative(cwd, path) || path,
    ...(options.allowSqlOutside ? {} : { sqlRoot: projectRoot(cwd, path) }),
  }));
}

const PROJECT_MARKERS = ['package.json', '.git'];

/**
 * The tree a spec's SQL files must stay in (real path): the nearest directory above the spec that
 * holds package.json or .git (the repository generate runs in, wherever in it the working directory
 * is); without one, the deepest directory holding both the working directory and the spec.
 */
export function projectRoot(cwd: string, specPath: string): string {
  const specDirectory = realpathSync(dirname(specPath));
  for (let directory = specDirectory; ; directory = dirname(directory)) {
    if (PROJECT_MARKERS.some((marker) => existsSync(join(directory, marker)))) return directory;
    if (dirname(directory) === directory) break;
  }
  let common = realpathSync(cwd);
  while (relative(common, specDirectory).startsWith('..')) common = dirname(common);
  return common;
}

/**
 * Spec files under `directory`, following symbolic links to directories; a directory already on
 * the walk (by real path: a link loop, or two links to one place) is visited once.
 */
function walk(directory: string, files: Set<string>, visited = new Set<string>()): void {
  const real = realpathSync(directory);
  if (visited.has(real)) return;
  visited.add(real);
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(directory, entry.name);
    const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && isDirectoryTarget(path));
    if (isDirectory) walk(path, files, visited);
    else if (SPEC_FILE.test(entry.name)) files.add(path);
  }
}

function isDirectoryTarget(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // a dangling link or a loop: not a directory to walk
  }
}
