// Long polling (WaitTimeSeconds) on the local Data API, through the real SDK client. Sources: Amazon
// Redshift Management Guide, "Reduce API calls with long polling"; Data API Reference
// (WaitTimeSeconds: Valid Range 1–30; ActiveWaitingRequestsExceededException).
// Statements that must stay running wait for an advisory lock this test holds, so they end exactly
// when the test releases it.
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  GetStatementResultV2Command,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/shared-postgres.ts';
import { LONG_POLL_CAP_HEADER } from '../../local/redshift-data/long-poll.ts';
import { startRedshiftDataApi, type RedshiftDataApi } from '../../local/redshift-data/index.ts';
import { dataClient, eventually, rejectsWith, waitFor } from './redshift-data-helpers.ts';

let postgres: TestDatabase;
let api: RedshiftDataApi;
let client: RedshiftDataClient;
let admin: pg.Client;
let nextKey = 4_200_000;

beforeAll(async () => {
  postgres = await testDatabase();
  api = await startRedshiftDataApi({ databaseUrl: postgres.url });
  client = dataClient(api.endpoint);
  admin = new pg.Client(postgres.url);
  await admin.connect();
});

afterAll(async () => {
  client?.destroy();
  await admin?.end();
  await api?.stop();
  await postgres?.drop();
});

const target = { ClusterIdentifier: 'analytics', Database: 'dev', DbUser: 'etl' };

/** SQL that runs until `release()`; the lock is taken before the statement is submitted. */
async function gate(): Promise<{ sql: string; release: () => Promise<void> }> {
  const key = (nextKey += 1);
  await admin.query('select pg_advisory_lock($1)', [key]);
  return {
    sql: `select pg_advisory_xact_lock(${key}) as locked`,
    release: async () => void (await admin.query('select pg_advisory_unlock($1)', [key])),
  };
}

async function started(sql: string): Promise<string> {
  const { Id } = await client.send(new ExecuteStatementCommand({ Sql: sql, ...target }));
  await waitFor(client, String(Id), (d) => d.Status === 'STARTED');
  return String(Id);
}

/** A client whose requests carry the local long-poll cap (what the executor's `longPollMs` sends). */
function cappedClient(ms: number): RedshiftDataClient {
  const capped = dataClient(api.endpoint);
  capped.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers: Record<string, string> };
      request.headers[LONG_POLL_CAP_HEADER] = String(ms);
      return next(args);
    },
    { step: 'build' },
  );
  return capped;
}

describe('WaitTimeSeconds validation (Valid Range: 1–30)', () => {
  const inputs: [string, (wait: number) => Promise<unknown>][] = [
    [
      'ExecuteStatement',
      (wait) => client.send(new ExecuteStatementCommand({ Sql: 'select 1', ...target, WaitTimeSeconds: wait })),
    ],
    [
      'BatchExecuteStatement',
      (wait) => client.send(new BatchExecuteStatementCommand({ Sqls: ['select 1'], ...target, WaitTimeSeconds: wait })),
    ],
    [
      'DescribeStatement',
      (wait) =>
        client.send(
          new DescribeStatementCommand({ Id: '00000000-0000-0000-0000-000000000000', WaitTimeSeconds: wait }),
        ),
    ],
    [
      'GetStatementResult',
      (wait) =>
        client.send(
          new GetStatementResultCommand({ Id: '00000000-0000-0000-0000-000000000000', WaitTimeSeconds: wait }),
        ),
    ],
    [
      'GetStatementResultV2',
      (wait) =>
        client.send(
          new GetStatementResultV2Command({ Id: '00000000-0000-0000-0000-000000000000', WaitTimeSeconds: wait }),
        ),
    ],
  ];
  it.each(inputs)('%s refuses 0 and 31 before doing anything', async (_operation, send) => {
    await rejectsWith(
      send(0),
      'ValidationException',
      /Value '0' at 'waitTimeSeconds' failed to satisfy constraint: Member must have value greater than or equal to 1/,
    );
    await rejectsWith(
      send(31),
      'ValidationException',
      /Value '31' at 'waitTimeSeconds' failed to satisfy constraint: Member must have value less than or equal to 30/,
    );
  });
});

describe('long-polled submits', () => {
  it('ExecuteStatement answers with the terminal Status, RedshiftPid and HasResultSet of a statement that ends within the wait', async () => {
    const answer = await client.send(
      new ExecuteStatementCommand({ Sql: 'select 1 as one', ...target, WaitTimeSeconds: 30 }),
    );
    expect(answer).toMatchObject({ Status: 'FINISHED', HasResultSet: true, ClusterIdentifier: 'analytics' });
    expect(answer.RedshiftPid).toBeGreaterThan(0);
    const failed = await client.send(
      new ExecuteStatementCommand({ Sql: 'select 1/0', ...target, WaitTimeSeconds: 30 }),
    );
    expect(failed).toMatchObject({ Status: 'FAILED', HasResultSet: false });
  });

  it('without WaitTimeSeconds ExecuteStatement answers at once, without a Status', async () => {
    const { sql, release } = await gate();
    const answer = await client.send(new ExecuteStatementCommand({ Sql: sql, ...target }));
    expect(answer.Status).toBeUndefined();
    await release();
    await waitFor(client, String(answer.Id));
  });

  it('answers the current status, and no HasResultSet, when the wait expires first', async () => {
    const { sql, release } = await gate();
    const answer = await client.send(new ExecuteStatementCommand({ Sql: sql, ...target, WaitTimeSeconds: 1 }));
    expect(['SUBMITTED', 'PICKED', 'STARTED']).toContain(answer.Status);
    expect(answer.HasResultSet).toBeUndefined();
    await release();
    expect((await client.send(new DescribeStatementCommand({ Id: answer.Id, WaitTimeSeconds: 30 }))).Status).toBe(
      'FINISHED',
    );
  });

  it('BatchExecuteStatement holds until the whole batch has ended', async () => {
    const answer = await client.send(
      new BatchExecuteStatementCommand({
        Sqls: ['create temp table t as select 1 as n', 'select n from t'],
        ...target,
        WaitTimeSeconds: 30,
      }),
    );
    expect(answer).toMatchObject({ Status: 'FINISHED', HasResultSet: true });
  });
});

describe('long-polled DescribeStatement and GetStatementResult', () => {
  it('DescribeStatement is woken by the statement ending', async () => {
    const { sql, release } = await gate();
    const id = await started(sql);
    const described = client.send(new DescribeStatementCommand({ Id: id, WaitTimeSeconds: 30 }));
    await eventually(() => (api.waitingRequests() > 0 ? true : undefined));
    await release();
    expect(await described).toMatchObject({ Id: id, Status: 'FINISHED', ResultRows: 1 });
  });

  it('DescribeStatement is woken by a cancel, and answers ABORTED', async () => {
    const { sql, release } = await gate();
    const id = await started(sql);
    const described = client.send(new DescribeStatementCommand({ Id: id, WaitTimeSeconds: 30 }));
    await client.send(new CancelStatementCommand({ Id: id }));
    expect((await described).Status).toBe('ABORTED');
    await release();
  });

  it('answers a FAILED statement at once, with its error', async () => {
    const { Id } = await client.send(new ExecuteStatementCommand({ Sql: 'select * from no_such_table', ...target }));
    const described = await client.send(new DescribeStatementCommand({ Id, WaitTimeSeconds: 30 }));
    expect(described.Status).toBe('FAILED');
    expect(described.Error).toMatch(/no_such_table/);
  });

  it('answers the current status when the wait expires', async () => {
    const { sql, release } = await gate();
    const id = await started(sql);
    expect((await client.send(new DescribeStatementCommand({ Id: id, WaitTimeSeconds: 1 }))).Status).toBe('STARTED');
    await release();
  });

  it('a sub-statement id returns when that sub-statement ends, before the rest of the batch', async () => {
    const { sql, release } = await gate();
    const { Id } = await client.send(new BatchExecuteStatementCommand({ Sqls: ['select 1 as one', sql], ...target }));
    const first = await client.send(new DescribeStatementCommand({ Id: `${Id}:1`, WaitTimeSeconds: 30 }));
    expect(first.Status).toBe('FINISHED');
    expect((await client.send(new DescribeStatementCommand({ Id }))).Status).not.toBe('FINISHED');
    await release();
    expect((await client.send(new DescribeStatementCommand({ Id, WaitTimeSeconds: 30 }))).Status).toBe('FINISHED');
  });

  it('GetStatementResult returns the rows once the statement ends, ResourceNotFoundException if the wait expires first', async () => {
    const { sql, release } = await gate();
    const id = await started(sql);
    await rejectsWith(
      client.send(new GetStatementResultCommand({ Id: id, WaitTimeSeconds: 1 })),
      'ResourceNotFoundException',
    );
    const result = client.send(new GetStatementResultCommand({ Id: id, WaitTimeSeconds: 30 }));
    await eventually(() => (api.waitingRequests() > 0 ? true : undefined));
    await release();
    expect((await result).TotalNumRows).toBe(1);
  });

  it('GetStatementResultV2 waits too, then refuses a statement that was not run with ResultFormat CSV', async () => {
    const { sql, release } = await gate();
    const id = await started(sql);
    await rejectsWith(
      client.send(new GetStatementResultV2Command({ Id: id, WaitTimeSeconds: 1 })),
      'ResourceNotFoundException',
    );
    const result = client.send(new GetStatementResultV2Command({ Id: id, WaitTimeSeconds: 30 }));
    await release();
    await rejectsWith(result, 'ValidationException', /ResultFormat CSV/);
  });
});

describe('waiting requests per statement', () => {
  it('refuses a second waiter on the same statement with ActiveWaitingRequestsExceededException, not on another statement', async () => {
    const { sql, release } = await gate();
    const id = await started(sql);
    const other = await started(sql.replace('locked', 'other'));
    const first = client.send(new DescribeStatementCommand({ Id: id, WaitTimeSeconds: 30 }));
    await eventually(() => (api.waitingRequests() > 0 ? true : undefined));
    await rejectsWith(
      client.send(new DescribeStatementCommand({ Id: id, WaitTimeSeconds: 30 })),
      'ActiveWaitingRequestsExceededException',
    );
    await rejectsWith(
      client.send(new GetStatementResultCommand({ Id: id, WaitTimeSeconds: 30 })),
      'ActiveWaitingRequestsExceededException',
    );
    // A call without WaitTimeSeconds is no waiter.
    expect((await client.send(new DescribeStatementCommand({ Id: id }))).Status).toBe('STARTED');
    const onOther = client.send(new DescribeStatementCommand({ Id: other, WaitTimeSeconds: 30 }));
    await release();
    expect((await first).Status).toBe('FINISHED');
    expect((await onOther).Status).toBe('FINISHED');
    expect((await client.send(new DescribeStatementCommand({ Id: id, WaitTimeSeconds: 30 }))).Status).toBe('FINISHED');
  });

  it('a waiter whose client went away no longer counts', async () => {
    const { sql, release } = await gate();
    const id = await started(sql);
    const leaving = new AbortController();
    const abandoned = client
      .send(new DescribeStatementCommand({ Id: id, WaitTimeSeconds: 30 }), { abortSignal: leaving.signal })
      .catch((e: unknown) => e);
    await eventually(() => (api.waitingRequests() > 0 ? true : undefined));
    leaving.abort();
    await abandoned;
    const admitted = await eventually(async () => {
      const capped = cappedClient(0);
      try {
        return (await capped.send(new DescribeStatementCommand({ Id: id, WaitTimeSeconds: 30 }))).Status;
      } catch (error) {
        if ((error as Error).name === 'ActiveWaitingRequestsExceededException') return undefined;
        throw error;
      } finally {
        capped.destroy();
      }
    });
    expect(admitted).toBe('STARTED');
    await release();
  });
});

describe('local compressed time', () => {
  it('the long-poll cap header shortens the real wait; the answer is the one at the end of the wait', async () => {
    const { sql, release } = await gate();
    const id = await started(sql);
    const capped = cappedClient(20);
    try {
      expect((await capped.send(new DescribeStatementCommand({ Id: id, WaitTimeSeconds: 30 }))).Status).toBe('STARTED');
    } finally {
      capped.destroy();
    }
    await release();
  });
});
