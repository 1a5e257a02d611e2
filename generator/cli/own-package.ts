// This package's own package.json, found from this module: in the sources (generator/cli), in the
// built CLI (dist/ and dist/chunks/), wherever npm installed it. Never the host project's (under
// `npm run`, npm_package_version is the host's version).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_NAME = 'sfn-redshift';

export type OwnPackage = {
  /** The package's directory (holds package.json, dist/, runtime/dist/, templates/, schemas/). */
  readonly root: string;
  readonly version: string;
  readonly peerDependencies: Readonly<Record<string, string>>;
};

let found: OwnPackage | undefined;

export function ownPackage(): OwnPackage {
  if (found) return found;
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth += 1) {
    const file = join(directory, 'package.json');
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, 'utf8')) as {
        name?: string;
        version?: string;
        peerDependencies?: Record<string, string>;
      };
      if (json.name === PACKAGE_NAME) {
        found = { root: directory, version: json.version ?? '0.0.0', peerDependencies: json.peerDependencies ?? {} };
        return found;
      }
    }
    directory = dirname(directory);
  }
  throw new Error(`${PACKAGE_NAME}'s package.json not found above ${fileURLToPath(import.meta.url)}`);
}

/** True when Node would find package `name` from this package's directory (node_modules up the tree). */
function resolvable(name: string, from: string): boolean {
  for (let directory = from; ; directory = dirname(directory)) {
    if (existsSync(join(directory, 'node_modules', name, 'package.json'))) return true;
    if (dirname(directory) === directory) return false;
  }
}

/**
 * The optional peer dependencies (the local stack of `run`) that are not installed, each as the
 * `name@range` to install; none in a full install or in the repository.
 */
export function missingPeers(): string[] {
  const { root, peerDependencies } = ownPackage();
  return Object.entries(peerDependencies)
    .filter(([name]) => !resolvable(name, root))
    .map(([name, range]) => `${name}@${range}`);
}
