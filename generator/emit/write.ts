import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  type Stats,
  writeSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { OutputFile } from './outputs.ts';

/**
 * The write step, all or nothing across every output file, also under SIGKILL:
 * 1. the new files are written (and fsynced) into a staging directory inside the output directory;
 *    the current ones are hard-linked beside them as a backup;
 * 2. a journal naming the staging directory and the files is written atomically: the commit point;
 * 3. each staged file is renamed over its target (one atomic rename per file);
 * 4. the journal, then the staging directory, are removed.
 * A failure before 2 removes the staging directory (all old); a failure during 3 puts the backups
 * back (all old). A kill before 2 leaves all old; a kill after 2 leaves the journal, and the next
 * write step completes the commit from it first (all new). The next write step also removes what
 * dead runs left behind; `check` names it (see `leftovers`).
 */

const PREFIX = '.sfn-redshift-';
const JOURNAL = `${PREFIX}commit.json`;
const LOCK = `${PREFIX}lock`;
const STAGING = /^\.sfn-redshift-(\d+)-[0-9a-z]+\.staging$/;
/** Temporary files of earlier versions (`<file>.<pid>.tmp`), written beside their targets. */
const LEGACY_TEMPORARY = /\.(\d+)\.tmp$/;

/** A write that cannot happen, with the path and the cause; nothing was written. */
export class OutputWriteError extends Error {
  override readonly name = 'OutputWriteError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot write ${path}: ${reason}`);
  }
}

type Journal = { readonly staging: string; readonly files: readonly string[]; readonly remove?: readonly string[] };

const CAUSES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a path component is a file, not a directory',
  EISDIR: 'is a directory',
  ENOENT: 'no such file or directory',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'name too long',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ELOOP: 'too many symbolic links',
  EINVAL: 'invalid argument (this file system does not take ordinary files)',
};

/** The cause of a file system error in words (`ENOSPC` → `no space left on device (ENOSPC)`). */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined) return error instanceof Error ? error.message : String(error);
  return `${CAUSES[code] ?? 'file system error'} (${code})`;
}

function attempt<T>(path: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof OutputWriteError) throw error;
    throw new OutputWriteError(path, describeFsError(error));
  }
}

/**
 * Creates `directory` and its missing parents one level at a time (Node's recursive mkdir loops
 * forever under /proc), refusing a path whose existing part is not a directory.
 */
export function ensureDirectory(directory: string): string[] {
  const missing: string[] = [];
  let current = resolve(directory);
  for (;;) {
    let stats: Stats;
    try {
      stats = statSync(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new OutputWriteError(current, describeFsError(error));
      missing.push(current);
      const parent = dirname(current);
      if (parent === current) throw new OutputWriteError(current, describeFsError(error));
      current = parent;
      continue;
    }
    if (!stats.isDirectory()) throw new OutputWriteError(current, 'is a file, not a directory');
    break;
  }
  const created: string[] = [];
  try {
    for (const path of missing.reverse()) {
      attempt(path, () => mkdirSync(path));
      created.push(path);
    }
  } catch (error) {
    removeEmpty(created);
    throw error;
  }
  return created;
}

/** Removes directories this run created (deepest first), if they are still empty. */
function removeEmpty(created: readonly string[]): void {
  for (const path of [...created].reverse()) {
    try {
      rmdirSync(path);
    } catch {
      // Not empty (someone else wrote there) or already gone: leave it.
    }
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function writeDurably(path: string, content: string): void {
  const descriptor = openSync(path, 'wx');
  try {
    writeSync(descriptor, content);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}

function syncDirectory(directory: string): void {
  try {
    const descriptor = openSync(directory, 'r');
    try {
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
  } catch {
    // Some file systems cannot fsync a directory; the renames are still atomic.
  }
}

/** One writer per output directory; a lock whose holder is dead is taken over. */
function acquireLock(directory: string): () => void {
  const path = join(directory, LOCK);
  for (let tries = 0; tries < 2; tries += 1) {
    try {
      writeDurably(path, `${process.pid}\n`);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new OutputWriteError(directory, describeFsError(error));
    }
    const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (Number.isInteger(holder) && isAlive(holder) && holder !== process.pid) {
      throw new OutputWriteError(
        directory,
        `another sfn-redshift generate (pid ${holder}) is writing there; wait for it, or remove ${path} if that process is not ours`,
      );
    }
    rmSync(path, { force: true });
  }
  throw new OutputWriteError(directory, `cannot take the lock ${path}`);
}

/** Completes a commit that a killed run left (its journal), and removes what dead runs left. */
export function recoverOutputs(directory: string): void {
  const journalPath = join(directory, JOURNAL);
  if (existsSync(journalPath)) {
    const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as Journal;
    const staged = join(directory, journal.staging, 'new');
    for (const file of journal.files) {
      if (existsSync(join(staged, file))) renameSync(join(staged, file), join(directory, file));
    }
    for (const file of journal.remove ?? []) rmSync(join(directory, file), { force: true });
    syncDirectory(directory);
    unlinkSync(journalPath);
  }
  for (const entry of readdirSync(directory)) {
    const staging = STAGING.exec(entry);
    const legacy = LEGACY_TEMPORARY.exec(entry);
    const pid = Number((staging ?? legacy)?.[1]);
    if ((staging || legacy) && !isAlive(pid)) rmSync(join(directory, entry), { recursive: true, force: true });
  }
}

function checkTargets(directory: string, files: readonly OutputFile[]): void {
  for (const file of files) {
    const target = join(directory, file.path);
    let stats: Stats;
    try {
      stats = lstatSync(target);
    } catch {
      continue;
    }
    if (stats.isDirectory()) throw new OutputWriteError(target, 'is a directory; generate writes a file there');
    if (!stats.isFile() && !stats.isSymbolicLink()) throw new OutputWriteError(target, 'is not a regular file');
  }
}

function backup(target: string, copy: string): void {
  try {
    linkSync(target, copy);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    copyFileSync(target, copy);
  }
}

/** Writes every file or none (see the top of this file); throws OutputWriteError naming the path. */
export function writeOutputs(directory: string, files: readonly OutputFile[], remove: readonly string[] = []): void {
  const created = ensureDirectory(directory);
  let release: () => void;
  try {
    release = acquireLock(directory);
  } catch (error) {
    removeEmpty(created);
    throw error;
  }
  try {
    attempt(directory, () => recoverOutputs(directory));
    checkTargets(directory, files);
    const stagingName = `${PREFIX}${process.pid}-${Date.now().toString(36)}.staging`;
    const staging = join(directory, stagingName);
    try {
      stage(directory, staging, files, remove);
      commit(directory, stagingName, files, remove);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  } catch (error) {
    release();
    removeEmpty(created);
    throw error;
  }
  release();
}

function stage(directory: string, staging: string, files: readonly OutputFile[], remove: readonly string[]): void {
  attempt(directory, () => {
    mkdirSync(join(staging, 'new'), { recursive: true });
    mkdirSync(join(staging, 'old'));
  });
  for (const file of files) {
    const target = join(directory, file.path);
    attempt(target, () => writeDurably(join(staging, 'new', file.path), file.content));
    attempt(target, () => backup(target, join(staging, 'old', file.path)));
  }
  for (const path of remove)
    attempt(join(directory, path), () => backup(join(directory, path), join(staging, 'old', path)));
}

function commit(directory: string, stagingName: string, files: readonly OutputFile[], remove: readonly string[]): void {
  const journalPath = join(directory, JOURNAL);
  const journal: Journal = { staging: stagingName, files: files.map((file) => file.path), remove };
  const temporary = `${journalPath}.${process.pid}.tmp`;
  attempt(journalPath, () => {
    try {
      writeDurably(temporary, `${JSON.stringify(journal)}\n`);
      renameSync(temporary, journalPath);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
    syncDirectory(directory);
  });
  const committed: string[] = [];
  try {
    for (const file of files) {
      renameSync(join(directory, stagingName, 'new', file.path), join(directory, file.path));
      committed.push(file.path);
    }
    for (const path of remove) {
      rmSync(join(directory, path), { force: true });
      committed.push(path);
    }
  } catch (error) {
    rollBack(directory, stagingName, committed);
    rmSync(journalPath, { force: true });
    throw new OutputWriteError(
      join(directory, files[committed.length]?.path ?? remove[committed.length - files.length] ?? ''),
      describeFsError(error),
    );
  }
  syncDirectory(directory);
  rmSync(journalPath, { force: true });
}

function rollBack(directory: string, stagingName: string, committed: readonly string[]): void {
  for (const path of committed) {
    const old = join(directory, stagingName, 'old', path);
    if (existsSync(old)) renameSync(old, join(directory, path));
    else rmSync(join(directory, path), { force: true });
  }
}

/** What interrupted or concurrent runs left in the output directory (for `check` to name). */
export function leftovers(directory: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(directory);
  } catch {
    return [];
  }
  return entries.filter((entry) => entry.startsWith(PREFIX) || LEGACY_TEMPORARY.test(entry)).sort();
}

/** Why a leftover is there, for `check`'s message. */
export function leftoverReason(entry: string): string {
  if (entry === JOURNAL) return 'a generate was killed while committing; the next generate completes it';
  if (entry === LOCK)
    return 'the lock of a generate that is running or was killed; the next generate removes a dead one';
  return 'temporary files of an interrupted generate; the next generate removes them';
}

export type FileDrift = {
  readonly path: string;
  readonly kind: 'missing' | 'stale';
  readonly current?: string;
  readonly expected: string;
};

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
