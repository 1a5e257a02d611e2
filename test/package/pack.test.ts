// The package as a user gets it: `npm pack` (its prepack builds the CLI and the runtime bundle) of a
// copy of the repository, installed from the tarball into a fresh project with npm's --offline (no
// registry: a generate-only install needs no other package), then the README's commands run from a
// node_modules they cannot write to, 16 of them at once on the fresh install.
import { execFile, spawnSync, type ExecFileOptions } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installTarball, packCopy } from '../../bench/lib/package.ts';
import { cli } from '../generator/cli-harness.ts';

const ROOT = join(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  files: string[];
  peerDependencies: Record<string, string>;
};
const work = mkdtempSync(join(tmpdir(), 'sfn-redshift-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** As root, the commands run as `nobody`, so that a node_modules owned by root is really read-only to them. */
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

type Run = { code: number; out: string; err: string };

async function run(
  command: string,
  args: readonly string[],
  options: ExecFileOptions & { user?: boolean } = {},
): Promise<Run> {
  const { user, ...rest } = options;
  const identity = user && asRoot ? { uid: NOBODY, gid: NOBODY } : {};
  try {
    const { stdout, stderr } = await promisify(execFile)(command, [...args], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      ...identity,
      ...rest,
    });
    return { code: 0, out: String(stdout), err: String(stderr) };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      out: failed.stdout ?? '',
      err: failed.stderr ?? String(error),
    };
  }
}

/** Every file under `directory` with its size and modification time: what a write would change. */
function snapshot(directory: string): string[] {
  const entries: string[] = [];
  const walk = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      const stats = statSync(child);
      entries.push(`${relative(directory, child)} ${entry.isDirectory() ? 'dir' : stats.size} ${stats.mtimeMs}`);
      if (entry.isDirectory()) walk(child);
    }
  };
  walk(directory);
  return entries.sort();
}

let tarball: string;
let project: string;
let home: string;
let install: Run;

/** A fresh project with the example specs and the package installed from the tarball. */
async function freshProject(name: string): Promise<{ directory: string; install: Run }> {
  const installed = await installTarball(tarball, join(work, name), join(ROOT, 'examples/pipelines'));
  const { directory } = installed;
  // node_modules read-only: root-owned for `nobody`, and no write bit for anyone else.
  if (asRoot) {
    for (const path of [directory, join(directory, 'pipelines'), join(directory, 'package.json')])
      chownSync(path, NOBODY, NOBODY);
    for (const file of readdirSync(join(directory, 'pipelines'), { recursive: true, encoding: 'utf8' }))
      chownSync(join(directory, 'pipelines', file), NOBODY, NOBODY);
  } else {
    spawnSync('chmod', ['-R', 'a-w', join(directory, 'node_modules')]);
  }
  return { directory, install: { code: installed.code, out: installed.stdout, err: installed.stderr } };
}

/** The installed command, run (as `nobody` when we are root) in `cwd`. */
const sfnRedshift = (cwd: string, ...args: string[]) =>
  run(join(project, 'node_modules/.bin/sfn-redshift'), args, { cwd, user: true, env: { ...process.env, HOME: home } });

beforeAll(async () => {
  chmodSync(work, 0o755);
  home = join(work, 'home');
  mkdirSync(home);
  if (asRoot) chownSync(home, NOBODY, NOBODY);
  tarball = (await packCopy(ROOT, work)).tarball;
  const fresh = await freshProject('project');
  project = fresh.directory;
  install = fresh.install;
}, 180_000);

describe('npm pack', () => {
  it('ships the built CLI and runtime bundle, the schema, templates, README and license, and nothing else', async () => {
    const listing = await run('tar', ['tzf', tarball]);
    const files = listing.out
      .trim()
      .split('\n')
      .map((path) => path.replace(/^package\//, ''))
      .sort();
    expect(files).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'package.json',
        'bin/sfn-redshift.mjs',
        'dist/cli.mjs',
        'dist/THIRD-PARTY-NOTICES.txt',
        'runtime/dist/index.mjs',
        'runtime/README.md',
        'schemas/pipeline.schema.json',
        'templates/typed-module.ts',
      ]),
    );
    const allowed =
      /^(LICENSE|README\.md|package\.json|bin\/sfn-redshift\.mjs|dist\/[\w./-]+\.(mjs|txt)|runtime\/dist\/(index\.mjs|THIRD-PARTY-NOTICES\.txt)|runtime\/README\.md|schemas\/[\w.-]+\.json|templates\/[\w.-]+)$/;
    expect(files.filter((path) => !allowed.test(path))).toEqual([]);
    expect(files.filter((path) => /^(test|bench|examples|generator|local|\.ci)\//.test(path))).toEqual([]);
  });
});

describe('a generate-only install from the tarball', () => {
  it('is this one package, with no EBADENGINE on this Node', () => {
    expect(install.code, install.err).toBe(0);
    expect(`${install.out}${install.err}`).not.toContain('EBADENGINE');
    expect(install.out).toMatch(/added 1 package/);
    expect(
      readdirSync(join(project, 'node_modules'))
        .filter((name) => !name.startsWith('.'))
        .sort(),
    ).toEqual(['sfn-redshift']);
  });

  it('runs 16 first invocations at once, and none of them writes into node_modules', async () => {
    const before = snapshot(join(project, 'node_modules'));
    const runs = await Promise.all(
      Array.from({ length: 16 }, (_, index) => {
        if (index < 8) return sfnRedshift(project, 'generate', '--out', `out-${index}`);
        if (index < 12) return sfnRedshift(project, 'validate');
        if (index < 14) return sfnRedshift(project, 'graph', 'pipelines/nightly-sales.yaml');
        return sfnRedshift(project, '--help');
      }),
    );
    for (const result of runs) expect(result, result.err).toMatchObject({ code: 0 });
    const definitions = (index: number) =>
      readFileSync(join(project, `out-${index}`, 'nightly-sales.asl.json'), 'utf8');
    for (let index = 0; index < 8; index += 1)
      expect(definitions(index)).toBe(readFileSync(join(ROOT, 'examples/asl/nightly-sales.asl.json'), 'utf8'));
    expect(snapshot(join(project, 'node_modules'))).toEqual(before);
  });

  it('init, generate and check as the README says, from a read-only node_modules', async () => {
    const before = snapshot(join(project, 'node_modules'));
    const init = await sfnRedshift(project, 'init', '--dir', 'more');
    expect(init.code, init.err).toBe(0);
    expect(readFileSync(join(project, 'more/example.yaml'), 'utf8')).toContain(
      '# yaml-language-server: $schema=../node_modules/sfn-redshift/schemas/pipeline.schema.json',
    );
    const generate = await sfnRedshift(project, 'generate', 'pipelines', 'more');
    expect(generate.code, generate.err).toBe(0);
    expect(generate.out).toMatch(/^6 pipelines, \d+ states, written to asl\/$/m);
    for (const name of [
      'nightly-sales.asl.json',
      'nightly-sales.iam.json',
      'nightly-sales.md',
      'runtime.template.yaml',
    ]) {
      expect(readFileSync(join(project, 'asl', name), 'utf8'), name).toBe(
        readFileSync(join(ROOT, 'examples/asl', name), 'utf8'),
      );
    }
    expect(readFileSync(join(project, 'asl/index.ts'), 'utf8')).toContain(
      "definitionFile: 'asl/nightly-sales.asl.json'",
    );
    expect(await sfnRedshift(project, 'check', 'pipelines', 'more')).toMatchObject({
      code: 0,
      out: expect.stringContaining('6 pipelines, 20 files up to date in asl/'),
    });
    expect(await sfnRedshift(join(project, 'pipelines'), 'check', '.', '../more', '--out', '../asl')).toMatchObject({
      code: 0,
    });
    rmSync(join(project, 'more'), { recursive: true });
    const stray = await sfnRedshift(project, 'check');
    expect(stray.code).toBe(1);
    expect(stray.err).toContain('stray: asl/example.asl.json (no current spec writes it)');
    expect(snapshot(join(project, 'node_modules'))).toEqual(before);
  });

  it('reports a bad spec exactly as the sources do (the built CLI carries the schema validator precompiled)', async () => {
    const bad = join(project, 'bad');
    mkdirSync(bad);
    writeFileSync(
      join(bad, 'bad.yaml'),
      'version: 2\npipeline: "no good"\ntarget: { cluster: c, workgroup: w, database: d }\nsteps:\n  - id: 1x\n    sql: select 1\n    timeout: soon\n    extra: true\n',
    );
    if (asRoot) chownSync(join(bad, 'bad.yaml'), NOBODY, NOBODY);
    const installed = await sfnRedshift(project, 'validate', 'bad');
    const sources = await cli(project, 'validate', 'bad');
    expect(installed.code).toBe(2);
    expect(sources.code).toBe(2);
    expect(installed.err.trim()).toBe(sources.err.trim());
    expect(installed.err.split('\n').length).toBeGreaterThan(4);
  });

  it("prints its own version under npm run, not the project's", async () => {
    const result = await run('npm', ['run', '-s', 'sfn-version'], {
      cwd: project,
      user: true,
      env: { ...process.env, HOME: home, npm_config_cache: join(home, '.npm') },
    });
    expect(result).toMatchObject({ code: 0, out: `${manifest.version}\n` });
  });

  it('writes the runtime Lambda and its zip where the user asks', async () => {
    const result = await sfnRedshift(project, 'runtime', '--out', 'build/runtime');
    expect(result.code, result.err).toBe(0);
    expect(
      readFileSync(join(project, 'build/runtime/index.mjs')).equals(
        readFileSync(join(project, 'node_modules/sfn-redshift/runtime/dist/index.mjs')),
      ),
    ).toBe(true);
    expect(statSync(join(project, 'build/runtime/runtime.zip')).size).toBeGreaterThan(1000);
  });

  it('run names the exact install command of the local stack it lacks', async () => {
    const result = await sfnRedshift(project, 'run', 'pipelines/data-quality.yaml');
    expect(result.code).toBe(2);
    const command = `npm install -D ${Object.entries(manifest.peerDependencies)
      .map(([name, range]) => `'${name}@${range}'`)
      .join(' ')}`;
    expect(result.err).toContain(`\n  ${command}\n`);
    expect(result.err).not.toMatch(/\n\s+at /);
  });
});
