// The package as users get it, shared by the pack test and the benchmark: `npm pack` of a copy of
// the repository (its prepack builds; the repository's own dist/ is left alone), and an install of
// the tarball into a fresh project with npm --offline.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export type Packed = { tarball: string; packedBytes: number; unpackedBytes: number; files: string[] };

const SOURCES = [
  'package.json',
  'README.md',
  'LICENSE',
  'bin',
  'generator',
  'local',
  'runtime/src',
  'runtime/README.md',
  'schemas',
  'templates',
];

/** Packs a copy of the repository at `root` inside `work`; throws with npm's output when it fails. */
export async function packCopy(root: string, work: string): Promise<Packed> {
  const source = join(work, 'source');
  for (const path of SOURCES) cpSync(join(root, path), join(source, path), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(source, 'node_modules'));
  const { stdout } = await promisify(execFile)('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: source,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const [info] = JSON.parse(stdout) as [
    { filename: string; size: number; unpackedSize: number; files: { path: string }[] },
  ];
  return {
    tarball: join(work, info.filename),
    packedBytes: info.size,
    unpackedBytes: info.unpackedSize,
    files: info.files.map((file) => file.path).sort(),
  };
}

export type Installed = { directory: string; stdout: string; stderr: string; code: number };

/** A fresh project in `directory` (example specs under pipelines/) with the tarball installed as a devDependency. */
export async function installTarball(tarball: string, directory: string, specs: string): Promise<Installed> {
  mkdirSync(directory, { recursive: true });
  writeFileSync(
    join(directory, 'package.json'),
    `${JSON.stringify({ name: 'infra', version: '9.9.9', private: true, scripts: { 'sfn-version': 'sfn-redshift --version' } }, null, 2)}\n`,
  );
  cpSync(specs, join(directory, 'pipelines'), { recursive: true });
  try {
    const { stdout, stderr } = await promisify(execFile)(
      'npm',
      ['install', '-D', '--offline', '--no-audit', '--no-fund', tarball],
      { cwd: directory, encoding: 'utf8' },
    );
    return { directory, stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      directory,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? String(error),
      code: typeof failed.code === 'number' ? failed.code : 1,
    };
  }
}

/** Bytes of every file under `directory` (what `du --apparent-size` says). */
export function treeBytes(directory: string): number {
  let bytes = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += statSync(join(entry.parentPath, entry.name)).size;
  }
  return bytes;
}

/** Packages npm installed in the project (its node_modules/.package-lock.json). */
export function installedPackages(directory: string): string[] {
  const lock = JSON.parse(readFileSync(join(directory, 'node_modules/.package-lock.json'), 'utf8')) as {
    packages: Record<string, unknown>;
  };
  return Object.keys(lock.packages)
    .filter((path) => path.startsWith('node_modules/'))
    .map((path) => path.slice('node_modules/'.length))
    .sort();
}
