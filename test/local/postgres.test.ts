import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hydrateSymlinks, startPostgres, type PostgresServer } from '../../local/postgres.ts';

let server: PostgresServer;
let client: pg.Client;

beforeAll(async () => {
  server = await startPostgres();
  client = new pg.Client(server.url);
  await client.connect();
});

afterAll(async () => {
  await client?.end().catch(() => {});
  await server?.stop();
});

async function one(sql: string): Promise<unknown[]> {
  const result = await client.query<unknown[]>({ text: sql, rowMode: 'array' });
  return result.rows[0] ?? [];
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startPostgres', () => {
  it('starts PostgreSQL 18 on 127.0.0.1 with Redshift-like session defaults', async () => {
    expect(server.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/postgres$/);
    const [version, timezone, encoding] = await one(
      `select current_setting('server_version_num')::int, current_setting('TimeZone'), pg_encoding_to_char(encoding) from pg_database where datname = current_database()`,
    );
    expect(version).toBeGreaterThanOrEqual(180000);
    expect(timezone).toBe('UTC');
    expect(encoding).toBe('UTF8');
  });

  it('installs Redshift compatibility functions', async () => {
    const [getdate, nvlInt, nvlBig, nvl2, len, charindex] = await one(
      `select getdate() = date_trunc('second', getdate()), nvl(null::int, 3), nvl(null::bigint, 0), nvl2(null::int, 'a', 'b'), len('abc'), charindex('b', 'abc')`,
    );
    expect([getdate, nvlInt, nvlBig, nvl2, len, charindex]).toEqual([true, 3, '0', 'b', 3, 2]);

    const [ny, paris] = await one(
      `select convert_timezone('UTC', 'America/New_York', '2024-01-01 12:00:00')::text, convert_timezone('Europe/Paris', '2024-07-01 12:00:00'::timestamp)::text`,
    );
    expect([ny, paris]).toEqual(['2024-01-01 07:00:00', '2024-07-01 14:00:00']);

    const diffs = await one(`select
      datediff('day', '2024-01-31 23:59', '2024-02-01 00:01'), datediff('month', '2024-01-31', '2024-02-01'),
      datediff('yr', '2024-12-31', '2025-01-01'), datediff('qtr', '2024-03-31', '2024-04-01'),
      datediff('hour', '2024-01-01 10:59', '2024-01-01 11:00'), datediff('minutes', '2024-01-01 10:00:59', '2024-01-01 10:01:00'),
      datediff('week', '2024-01-07', '2024-01-08'), datediff('day', '2024-03-01'::date, '2024-02-01'::date)`);
    expect(diffs).toEqual(['1', '1', '1', '1', '1', '1', '1', '-29']);

    const added = await one(
      `select dateadd('month', 1, '2024-01-31')::text, dateadd('d', -1, '2024-03-01'::date)::text, dateadd('qtr', 1, '2024-01-15 10:00')::text`,
    );
    expect(added).toEqual(['2024-02-29 00:00:00', '2024-02-29 00:00:00', '2024-04-15 10:00:00']);

    const [listagg] = await one(
      `select listagg(x, ',') from (select x from (values ('a'), ('b'), (null), ('c')) v(x) order by x) s`,
    );
    const [ordered, count] = await one(
      `select listagg(x, '-' order by x desc), count(*) from (values ('a'), ('b'), (null), ('c')) v(x)`,
    );
    expect([listagg, ordered, count]).toEqual(['a,b,c', 'c-b-a', '4']);

    await expect(client.query(`select datediff('fortnight', now(), now())`)).rejects.toThrow(
      /datepart "fortnight" is not supported/,
    );
  });

  it('passes an existing server through without stopping it', async () => {
    const external = await startPostgres({ databaseUrl: server.url });
    expect(external.url).toBe(server.url);
    await external.stop();
    expect(await one('select 1')).toEqual([1]);
  });

  it('stops (twice) without leaving the server process or its data behind', async () => {
    const other = await startPostgres();
    const otherClient = new pg.Client(other.url);
    otherClient.on('error', () => {});
    await otherClient.connect();
    const dataDir = String(
      (await otherClient.query<{ dir: string }>('select current_setting($1) as dir', ['data_directory'])).rows[0]?.dir,
    );
    const postmasterPid = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
    expect(isRunning(postmasterPid)).toBe(true);

    await Promise.all([other.stop(), other.stop()]);
    await other.stop();

    expect(isRunning(postmasterPid)).toBe(false);
    expect(existsSync(dirname(dataDir))).toBe(false);
    const late = new pg.Client(other.url);
    late.on('error', () => {});
    await expect(late.connect()).rejects.toThrow();
  });
});

describe('hydrateSymlinks', () => {
  it('recreates the shared-library symlinks npm skipped, leaving existing files alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sfn-redshift-hydrate-'));
    try {
      await mkdir(join(dir, 'native', 'lib'), { recursive: true });
      await writeFile(join(dir, 'native', 'lib', 'libpq.so.5.18'), 'library');
      await writeFile(join(dir, 'native', 'lib', 'libpq.so'), 'already here');
      const links = [
        { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' },
        { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so' },
      ];
      await writeFile(join(dir, 'native', 'pg-symlinks.json'), JSON.stringify(links));

      await hydrateSymlinks(dir);

      expect(readlinkSync(join(dir, 'native', 'lib', 'libpq.so.5'))).toBe('libpq.so.5.18');
      expect(readFileSync(join(dir, 'native', 'lib', 'libpq.so.5'), 'utf8')).toBe('library');
      expect(readFileSync(join(dir, 'native', 'lib', 'libpq.so'), 'utf8')).toBe('already here');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
