// Issue 15 items 1, 2 and 9 (--out /proc): the write step fails with one line naming the path and
// the cause, exit 2, and leaves every output as it was (all old) or, when it succeeds, all new.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { leftovers, recoverOutputs } from '../../generator/emit/write.ts';
import { cli, scratchRepo } from './cli-harness.ts';

/** Every file under `directory` with its content, dot-entries included. */
function snapshot(directory: string): Record<string, string> {
  if (!existsSync(directory)) return {};
  const files: Record<string, string> = {};
  for (const entry of readdirSync(directory, { recursive: true, withFileTypes: true })) {
    if (entry.isFile())
      files[join(entry.parentPath, entry.name).slice(directory.length + 1)] = readFileSync(
        join(entry.parentPath, entry.name),
        'utf8',
      );
  }
  return files;
}

const mounts: string[] = [];
/** A tmpfs of `options` (as root, where the test may mount); undefined where it cannot. */
function tmpfs(options: string): string | undefined {
  const directory = mkdtempSync(join(tmpdir(), 'sfn-redshift-mount-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', directory], { stdio: 'ignore' });
    mounts.push(directory);
    return directory;
  } catch {
    return undefined;
  }
}
afterAll(() => {
  for (const directory of mounts) execFileSync('umount', [directory]);
});

const isRoot = process.getuid?.() === 0;

/** A directory this process cannot write: a read-only mount as root, mode 0555 otherwise. */
function readOnlyDirectory(): string {
  if (!isRoot) {
    const directory = mkdtempSync(join(tmpdir(), 'sfn-redshift-ro-'));
    chmodSync(directory, 0o555);
    return directory;
  }
  const directory = tmpfs('ro,size=1m');
  if (!directory) throw new Error('as root the test needs mount(8) for a read-only directory');
  return directory;
}

type Case = {
  readonly name: string;
  /** Prepares the repo; returns the --out argument. */
  readonly out: (repo: string) => string;
  readonly message: (repo: string) => RegExp;
};

const cases: Case[] = [
  {
    name: '--out naming a file',
    out: () => 'pipelines/mv-refresh.yaml',
    message: (repo) =>
      new RegExp(
        `^sfn-redshift generate: cannot write ${repo}/pipelines/mv-refresh\\.yaml: is a file, not a directory; nothing was written\\.$`,
      ),
  },
  {
    name: '--out under a file',
    out: () => 'pipelines/mv-refresh.yaml/asl',
    message: (repo) =>
      new RegExp(
        `^sfn-redshift generate: cannot write ${repo}/pipelines/mv-refresh\\.yaml: is a file, not a directory; nothing was written\\.$`,
      ),
  },
  {
    name: '--out in a read-only directory',
    out: () => join(readOnlyDirectory(), 'asl'),
    message: () =>
      /^sfn-redshift generate: cannot write \/.+\/asl: (read-only file system \(EROFS\)|permission denied \(EACCES\)); nothing was written\.$/,
  },
  {
    name: '--out under /proc (no endless mkdir)',
    out: () => '/proc/sfn-redshift-none/asl',
    message: () =>
      /^sfn-redshift generate: cannot write \/proc\/sfn-redshift-none: no such file or directory \(ENOENT\); nothing was written\.$/,
  },
  {
    name: '--out under /sys',
    out: () => '/sys/sfn-redshift-none',
    message: () =>
      /^sfn-redshift generate: cannot write \/sys\/sfn-redshift-none: (operation not permitted \(EPERM\)|permission denied \(EACCES\)|read-only file system \(EROFS\)); nothing was written\.$/,
  },
];

describe('generate: a write that cannot happen', () => {
  it.each(cases)('$name: one line, exit 2, nothing written', async ({ out, message }) => {
    const repo = scratchRepo();
    const before = snapshot(repo);
    const target = out(repo);
    const run = await cli(repo, 'generate', '--out', target);
    expect(run.code).toBe(2);
    expect(run.err.split('\n')).toHaveLength(1);
    expect(run.err).toMatch(message(repo));
    expect(snapshot(repo)).toEqual(before);
  });

  it.skipIf(!isRoot)('a full disk (ENOSPC): one line, exit 2, the directory as it was, no temporary file', async () => {
    const disk = tmpfs('size=64k');
    expect(disk, 'as root the test needs mount(8) for a small file system').toBeDefined();
    const repo = scratchRepo();
    const out = join(disk as string, 'asl');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine\n');
    const run = await cli(repo, 'generate', '--out', out);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(
      /^sfn-redshift generate: cannot write \/.+: no space left on device \(ENOSPC\); nothing was written\.$/,
    );
    expect(readdirSync(out)).toEqual(['keep.txt']);
  });

  it('an index.ts that is a directory: refused before anything is replaced (all old)', async () => {
    const repo = scratchRepo();
    expect(await cli(repo, 'generate', '--out', 'asl')).toMatchObject({ code: 0 });
    rmSync(join(repo, 'asl', 'index.ts'));
    mkdirSync(join(repo, 'asl', 'index.ts'));
    writeFileSync(
      join(repo, 'pipelines', 'mv-refresh.yaml'),
      readFileSync(join(repo, 'pipelines', 'mv-refresh.yaml'), 'utf8').replace(
        /^description: .*$/m,
        'description: changed',
      ),
    );
    const before = snapshot(join(repo, 'asl'));
    const run = await cli(repo, 'generate', '--out', 'asl');
    expect(run.code).toBe(2);
    expect(run.err).toBe(
      `sfn-redshift generate: cannot write ${repo}/asl/index.ts: is a directory; generate writes a file there; nothing was written.`,
    );
    expect(snapshot(join(repo, 'asl'))).toEqual(before);
    expect(leftovers(join(repo, 'asl'))).toEqual([]);
  });

  it('init in a read-only directory: one line, exit 2, nothing written', async () => {
    const directory = readOnlyDirectory();
    const run = await cli(directory, 'init');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(
      /^sfn-redshift init: cannot write \/.+\/pipelines: (read-only file system \(EROFS\)|permission denied \(EACCES\)); nothing was changed\.$/,
    );
    expect(readdirSync(directory)).toEqual([]);
  });
});

describe('leftovers of killed runs', () => {
  it('a journal is completed by the next write step, dead staging and temporary files removed, and check names them first', async () => {
    const repo = scratchRepo();
    expect(await cli(repo, 'generate', '--out', 'asl')).toMatchObject({ code: 0 });
    const out = join(repo, 'asl');
    const dead = 2 ** 22 + 12345; // above Linux's pid_max default: never a live process
    // What a run killed between its journal and its last rename leaves:
    const staging = `.sfn-redshift-${dead}-x1.staging`;
    mkdirSync(join(out, staging, 'new'), { recursive: true });
    writeFileSync(join(out, staging, 'new', 'mv-refresh.md'), 'NEW\n');
    writeFileSync(
      join(out, '.sfn-redshift-commit.json'),
      `${JSON.stringify({ staging, files: ['mv-refresh.md', 'index.ts'] })}\n`,
    );
    writeFileSync(join(out, `.sfn-redshift-${dead}-x2.staging`), '');
    writeFileSync(join(out, `index.ts.${dead}.tmp`), 'partial');
    writeFileSync(join(out, '.sfn-redshift-lock'), `${dead}\n`);
    const check = await cli(repo, 'check', '--out', 'asl');
    expect(check.code).toBe(1);
    expect(check.err).toContain(
      'leftover: asl/.sfn-redshift-commit.json (a generate was killed while committing; the next generate completes it)',
    );
    expect(check.err).toContain(
      `leftover: asl/index.ts.${dead}.tmp (temporary files of an interrupted generate; the next generate removes them)`,
    );
    expect(check.err).toContain('leftover: asl/.sfn-redshift-lock');
    recoverOutputs(out);
    expect(readFileSync(join(out, 'mv-refresh.md'), 'utf8')).toBe('NEW\n');
    expect(leftovers(out)).toEqual(['.sfn-redshift-lock']);
    expect(await cli(repo, 'generate', '--out', 'asl')).toMatchObject({ code: 0 });
    expect(leftovers(out)).toEqual([]);
    expect(await cli(repo, 'check', '--out', 'asl')).toMatchObject({ code: 0 });
  });

  it('a lock held by a live process refuses a second writer', async () => {
    const repo = scratchRepo();
    mkdirSync(join(repo, 'asl'));
    writeFileSync(join(repo, 'asl', '.sfn-redshift-lock'), `${process.ppid}\n`);
    const run = await cli(repo, 'generate', '--out', 'asl');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(new RegExp(`another sfn-redshift generate \\(pid ${process.ppid}\\) is writing there`));
    expect(readdirSync(join(repo, 'asl'))).toEqual(['.sfn-redshift-lock']);
  });
});
