// Running statements through the local Data API: status transitions, concurrency, cancel,
// the active-statement limit and completion events.
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/shared-postgres.ts';
import {
  startRedshiftDataApi,
  type RedshiftDataApi,
  type RedshiftStatusChangeEvent,
} from '../../local/redshift-data/index.ts';
import { dataClient, eventually, rejectsWith, run, startEventSink, waitFor } from './redshift-data-helpers.ts';

let postgres: TestDatabase;
let api: RedshiftDataApi;
let client: RedshiftDataClient;
let admin: pg.Client;
let sink: Awaited<ReturnType<typeof startEventSink>>;
const events: RedshiftStatusChangeEvent[] = [];

beforeAll(async () => {
  postgres = await testDatabase();
  sink = await startEventSink();
  api = await startRedshiftDataApi({
    databaseUrl: postgres.url,
    onEvent: (event) => {
      events.push(event);
    },
    eventUrl: sink.url,
    region: 'eu-west-1',
    accountId: '111122223333',
  });
  client = dataClient(api.endpoint);
  admin = new pg.Client(postgres.url);
  await admin.connect();
});

afterAll(async () => {
  client?.destroy();
  await admin?.end();
  await api?.stop();
  await sink?.close();
  await postgres?.drop();
});

const execute = async (
  sql: string,
  extra: Record<string, unknown> = {},
  on: RedshiftDataClient = client,
): Promise<string> =>
  String((await on.send(new ExecuteStatementCommand({ Sql: sql, ClusterIdentifier: 'analytics', ...extra }))).Id);

async function backendState(pid: number): Promise<string | undefined> {
  const result = await admin.query<{ state: string }>('select state from pg_stat_activity where pid = $1', [pid]);
  return result.rows[0]?.state;
}

describe('status transitions', () => {
  it('is STARTED while the query runs, with its backend active, then FINISHED', async () => {
    const id = await execute('select pg_sleep(0.5)');
    const running = await waitFor(client, id, (d) => d.Status === 'STARTED');
    expect(running.Duration).toBe(-1);
    expect(running.ResultRows).toBe(-1);
    expect(running.RedshiftPid).toBeGreaterThan(0);
    expect(await backendState(Number(running.RedshiftPid))).toBe('active');
    await rejectsWith(
      client.send(new GetStatementResultCommand({ Id: id })),
      'ResourceNotFoundException',
      /does not have result/,
    );
    const finished = await waitFor(client, id);
    expect(finished.Status).toBe('FINISHED');
    expect(finished.Duration).toBeGreaterThanOrEqual(400_000_000);
  });

  it('runs statements concurrently, each on its own session', async () => {
    // All three wait on an advisory lock held here: they can all be STARTED together only when
    // each runs on its own session at the same time (serialized, the first would block the rest).
    await admin.query('select pg_advisory_lock(4711)');
    const ids = await Promise.all([1, 2, 3].map(() => execute('select pg_advisory_xact_lock_shared(4711)')));
    try {
      const running = await Promise.all(ids.map((id) => waitFor(client, id, (d) => d.Status === 'STARTED')));
      expect(new Set(running.map((d) => d.RedshiftPid)).size).toBe(3);
    } finally {
      await admin.query('select pg_advisory_unlock(4711)');
    }
    const done = await Promise.all(ids.map((id) => waitFor(client, id)));
    expect(done.map((d) => d.Status)).toEqual(['FINISHED', 'FINISHED', 'FINISHED']);
  });
});

describe('CancelStatement', () => {
  it('aborts a running statement and ends its session', async () => {
    const id = await execute('select pg_sleep(30)');
    const running = await waitFor(client, id, (d) => d.Status === 'STARTED');
    const pid = Number(running.RedshiftPid);
    await eventually(async () => ((await backendState(pid)) === 'active' ? true : undefined));

    const cancelled = await client.send(new CancelStatementCommand({ Id: id }));
    expect(cancelled.Status).toBe(true);
    const described = await client.send(new DescribeStatementCommand({ Id: id }));
    expect(described.Status).toBe('ABORTED');
    expect(described.Error).toBeUndefined();
    expect(described.Duration).toBeLessThan(10_000_000_000);
    await eventually(async () => ((await backendState(pid)) === undefined ? true : undefined));

    await rejectsWith(
      client.send(new CancelStatementCommand({ Id: id })),
      'ValidationException',
      /already in ABORTED state/,
    );
  });

  it('refuses to cancel a finished statement', async () => {
    const done = await run(client, 'select 1');
    await rejectsWith(
      client.send(new CancelStatementCommand({ Id: done.Id })),
      'ValidationException',
      new RegExp(`Could not cancel a query that is already in FINISHED state with ID: ${String(done.Id)}`),
    );
    await rejectsWith(
      client.send(new CancelStatementCommand({ Id: '00000000-0000-4000-8000-000000000000' })),
      'ResourceNotFoundException',
    );
  });

  it('aborts a batch mid-way and rolls it back', async () => {
    await admin.query('create table cancel_batch (id int)');
    const submitted = await client.send(
      new BatchExecuteStatementCommand({
        Sqls: ['insert into cancel_batch values (1)', 'select pg_sleep(30)', 'insert into cancel_batch values (2)'],
        ClusterIdentifier: 'analytics',
      }),
    );
    const id = String(submitted.Id);
    await waitFor(client, `${id}:2`, (d) => d.Status === 'STARTED');
    await rejectsWith(
      client.send(new CancelStatementCommand({ Id: `${id}:2` })),
      'ValidationException',
      /not by a sub-statement id/,
    );
    await client.send(new CancelStatementCommand({ Id: id }));
    const described = await client.send(new DescribeStatementCommand({ Id: id }));
    expect(described.Status).toBe('ABORTED');
    expect(described.SubStatements?.map((s) => s.Status)).toEqual(['FINISHED', 'ABORTED', 'ABORTED']);
    expect((await admin.query('select count(*)::int as n from cancel_batch')).rows[0]).toEqual({ n: 0 });
  });
});

describe('limits and queueing', () => {
  it('throws ActiveStatementsExceededException above maxActiveStatements', async () => {
    const limited = await startRedshiftDataApi({ databaseUrl: postgres.url, maxActiveStatements: 2 });
    const limitedClient = dataClient(limited.endpoint);
    try {
      const ids = [
        await execute('select pg_sleep(30)', {}, limitedClient),
        await execute('select pg_sleep(30)', {}, limitedClient),
      ];
      await rejectsWith(
        limitedClient.send(new ExecuteStatementCommand({ Sql: 'select 1', ClusterIdentifier: 'c' })),
        'ActiveStatementsExceededException',
      );
      await rejectsWith(
        limitedClient.send(new BatchExecuteStatementCommand({ Sqls: ['select 1'], ClusterIdentifier: 'c' })),
        'ActiveStatementsExceededException',
      );
      await limitedClient.send(new CancelStatementCommand({ Id: ids[0] }));
      const next = await execute('select 1', {}, limitedClient);
      expect((await waitFor(limitedClient, next)).Status).toBe('FINISHED');
    } finally {
      limitedClient.destroy();
      await limited.stop();
    }
  });

  it('keeps statements SUBMITTED while no session is free; they can be cancelled there; stop() cancels the rest', async () => {
    const single = await startRedshiftDataApi({ databaseUrl: postgres.url, maxConnections: 1 });
    const singleClient = dataClient(single.endpoint);
    try {
      const first = await execute('select pg_sleep(30)', {}, singleClient);
      const running = await waitFor(singleClient, first, (d) => d.Status === 'STARTED');
      const queued = await execute('select 1', {}, singleClient);
      const waiting = await singleClient.send(new DescribeStatementCommand({ Id: queued }));
      expect(waiting).toMatchObject({ Status: 'SUBMITTED', RedshiftPid: 0 });

      await singleClient.send(new CancelStatementCommand({ Id: queued }));
      expect((await singleClient.send(new DescribeStatementCommand({ Id: queued }))).Status).toBe('ABORTED');

      await Promise.all([single.stop(), single.stop()]);
      await eventually(async () =>
        (await backendState(Number(running.RedshiftPid))) === undefined ? true : undefined,
      );
    } finally {
      singleClient.destroy();
      await single.stop();
    }
  });
});

describe('stop', () => {
  it('closes every session it opened', async () => {
    const other = await startRedshiftDataApi({ databaseUrl: postgres.url });
    const otherClient = dataClient(other.endpoint);
    const done = await Promise.all([1, 2, 3].map(() => run(otherClient, 'select pg_sleep(0.05)')));
    const pids = done.map((d) => Number(d.RedshiftPid));
    expect(new Set(pids).size).toBe(3);
    const open = async () =>
      (await admin.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where pid = any($1)', [pids]))
        .rows[0]?.n;
    expect(await open()).toBe(3);
    otherClient.destroy();
    await other.stop();
    await eventually(async () => ((await open()) === 0 ? true : undefined));
  });
});

describe('WithEvent', () => {
  it('emits an EventBridge-shaped event per terminal state, to the callback and the URL', async () => {
    const finished = await run(client, 'select n from generate_series(1, 3) n', {
      WithEvent: true,
      StatementName: 'sfn-redshift/p/ok',
    });
    const failed = await run(client, 'select nope', {
      WithEvent: true,
      WorkgroupName: 'wg',
      ClusterIdentifier: undefined,
    });
    const abortedId = await execute('select pg_sleep(30)', { WithEvent: true });
    await waitFor(client, abortedId, (d) => d.Status === 'STARTED');
    await client.send(new CancelStatementCommand({ Id: abortedId }));
    const silent = await run(client, 'select 1');

    const byId = (id: unknown) => events.find((event) => event.detail.statementId === id);
    const ok = await eventually(() => byId(finished.Id));
    const bad = await eventually(() => byId(failed.Id));
    const aborted = await eventually(() => byId(abortedId));

    expect(ok).toMatchObject({
      version: '0',
      'detail-type': 'Redshift Data Statement Status Change',
      source: 'aws.redshift-data',
      account: '111122223333',
      region: 'eu-west-1',
      resources: ['arn:aws:redshift:eu-west-1:111122223333:cluster:local'],
      detail: {
        statementName: 'sfn-redshift/p/ok',
        statementId: finished.Id,
        state: 'FINISHED',
        rows: 3,
        redshiftQueryId: finished.RedshiftQueryId,
      },
    });
    expect(ok.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(ok.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(ok.detail.expireAt - Date.now() / 1000).toBeGreaterThan(24 * 3600 - 60);
    expect(ok.detail.principal).toContain('111122223333');
    expect(bad).toMatchObject({
      resources: ['arn:aws:redshift-serverless:eu-west-1:111122223333:workgroup/wg'],
      detail: { state: 'FAILED' },
    });
    expect(bad.detail.statementName).toBeUndefined();
    expect(aborted.detail.state).toBe('ABORTED');
    expect(byId(silent.Id)).toBeUndefined();

    const posted = await eventually(() => (sink.bodies.length >= 3 ? sink.bodies : undefined));
    expect(posted).toContainEqual(ok);
    expect(posted).toContainEqual(bad);
    expect(posted).toContainEqual(aborted);
  });

  it('emits one event for a batch, when the batch ends', async () => {
    const submitted = await client.send(
      new BatchExecuteStatementCommand({
        Sqls: ['select 1', 'select 2'],
        ClusterIdentifier: 'analytics',
        WithEvent: true,
      }),
    );
    await waitFor(client, String(submitted.Id));
    const event = await eventually(() => events.find((e) => e.detail.statementId === submitted.Id));
    expect(event.detail).toMatchObject({ state: 'FINISHED', rows: 2 });
    expect(events.filter((e) => e.detail.statementId.startsWith(String(submitted.Id)))).toHaveLength(1);
  });
});
