// Completion of callback statements: Redshift Data's status-change events, directly from
// EventBridge or as SQS records, answer the task token through the local Step Functions API
// (reached by the runtime's real SFN client) and release the lock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecuteStatementCommand } from '@aws-sdk/client-redshift-data';
import { TaskFailure } from '../../local/executor/registry.ts';
import type { RedshiftStatusChangeEvent } from '../../local/stack.ts';
import { lockKey } from '../../runtime/src/lock-key.ts';
import { executionArn, s, sqsEvent, startRuntimeHarness, TARGET_ENV, type RuntimeHarness } from './harness.ts';

let h: RuntimeHarness;

beforeAll(async () => {
  h = await startRuntimeHarness({ initSql: 'create table loads (day text);' });
});
afterAll(async () => {
  await h?.stop();
});

const lockOf = (sql: string) =>
  lockKey({ kind: 'cluster', name: TARGET_ENV.REDSHIFT_CLUSTER_ID, database: TARGET_ENV.REDSHIFT_DATABASE }, sql);

async function lockItem(sql: string) {
  return (await h.items()).find((item) => s(item, 'pk') === lockOf(sql));
}

/** A callback call as the generator's Task sends it; answers the statement id and the token's fate. */
async function startCallback(
  sql: string,
  options: { stepId?: string; singleton?: boolean; parameters?: Record<string, string> } = {},
) {
  const run = h.runningExecution('callback');
  const stepId = options.stepId ?? 'step';
  const token = h.stack.registry.createTaskToken(run, 'Run');
  const answer = (await h.invoke({
    action: options.singleton === false ? 'executeStatement' : 'executeSingletonStatement',
    sqlStatement: sql,
    taskToken: token.token,
    executionArn: run,
    stepId,
    statementName: `sfn-redshift/pipeline/${stepId}`,
    ...(options.parameters ? { parameters: options.parameters } : {}),
  })) as { Id: string };
  return { run, statementId: answer.Id, token: token.token, outcome: token.promise };
}

const lastLog = () => h.logs.at(-1);

describe('FINISHED', () => {
  it('an EventBridge event → SendTaskSuccess with exactly the step record; lock and statement item gone', async () => {
    const gate = await h.gate();
    const sql = `insert into loads select 'direct' from (select ${gate.sql}) as gated`;
    const call = await startCallback(sql, { stepId: 'load_direct' });
    expect(lastLog()?.outcome).toBe('submitted');
    expect(s(await lockItem(sql), 'StatementId')).toBe(call.statementId);
    await gate.open();

    const event = await h.eventFor(call.statementId);
    expect(event.detail.state).toBe('FINISHED');
    expect(await h.invoke(event)).toBeNull();
    expect(lastLog()).toMatchObject({
      action: 'completion',
      outcome: 'succeeded',
      statementId: call.statementId,
      stepId: 'load_direct',
      executionArn: call.run,
      level: 'INFO',
    });

    const output = await call.outcome;
    expect(Object.keys(output as object)).toEqual(['Id', 'Status', 'ResultRows', 'HasResultSet']);
    expect(output).toEqual({ Id: call.statementId, Status: 'FINISHED', ResultRows: 1, HasResultSet: false });
    expect(await lockItem(sql)).toBeUndefined();
    expect((await h.items()).some((item) => s(item, 'pk') === `statement#${call.statementId}`)).toBe(false);
  });

  it('the same event as an SQS record → SendTaskSuccess, batchItemFailures empty', async () => {
    const gate = await h.gate();
    const sql = `select 'sqs' as via, ${gate.sql}`;
    const call = await startCallback(sql, { stepId: 'select_sqs' });
    await gate.open();
    const event = await h.eventFor(call.statementId);
    expect(await h.invoke(sqsEvent([{ messageId: 'm-1', body: event }]))).toEqual({ batchItemFailures: [] });
    expect(await call.outcome).toEqual({ Id: call.statementId, Status: 'FINISHED', ResultRows: 1, HasResultSet: true });
    expect(lastLog()?.records).toEqual([
      {
        messageId: 'm-1',
        statementId: call.statementId,
        stepId: 'select_sqs',
        executionArn: call.run,
        outcome: 'succeeded',
      },
    ]);
    expect(await lockItem(sql)).toBeUndefined();
  });

  it('a statement done before its item was written is completed by the runtime itself', async () => {
    const sql = "select 'instant'";
    // Hold the event back: the runtime must not depend on it.
    const call = await startCallback(sql, { stepId: 'instant' });
    await h.settled(call.statementId);
    if (lastLog()?.outcome === 'submitted') {
      // The statement outran the look after submit: the event completes it.
      await h.invoke(await h.eventFor(call.statementId));
    } else {
      expect(lastLog()?.outcome).toBe('submitted-and-succeeded');
    }
    expect(await call.outcome).toMatchObject({ Id: call.statementId, Status: 'FINISHED' });
    // The late event is then an unknown statement: ignored.
    await h.invoke(await h.eventFor(call.statementId));
    expect(lastLog()?.outcome).toBe('unknown-statement');
  });
});

describe('FAILED and ABORTED', () => {
  it('FAILED through SQS → SendTaskFailure Redshift.StatementFailed with Redshift’s error text; lock released', async () => {
    // Fails only at run time (once the gate opens), so the event path completes it.
    const gate = await h.gate();
    const sql = `select 1 / (count(*)::int - 1) from (select ${gate.sql}) as gated`;
    const call = await startCallback(sql, { stepId: 'divide' });
    await gate.open();
    const event = await h.eventFor(call.statementId);
    expect(event.detail.state).toBe('FAILED');
    expect(await h.invoke(sqsEvent([{ body: event }]))).toEqual({ batchItemFailures: [] });
    const failure = await call.outcome.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TaskFailure);
    expect((failure as TaskFailure).name).toBe('Redshift.StatementFailed');
    expect((failure as TaskFailure).message).toMatch(/division by zero/);
    expect(await lockItem(sql)).toBeUndefined();
  });

  it('ABORTED (cancelled through the runtime) as an EventBridge event → Redshift.StatementAborted, Cause = statement id', async () => {
    const sql = 'select pg_sleep(30)';
    const call = await startCallback(sql, { stepId: 'sleeper' });
    expect(
      await h.invoke({ action: 'cancelStatement', statementId: 'LATEST', executionArn: call.run, stepId: 'sleeper' }),
    ).toEqual({ Status: true, Id: call.statementId });
    const event = await h.eventFor(call.statementId);
    expect(event.detail.state).toBe('ABORTED');
    await h.invoke(event);
    const failure = (await call.outcome.catch((error: unknown) => error)) as TaskFailure;
    expect([failure.name, failure.message]).toEqual(['Redshift.StatementAborted', call.statementId]);
    expect(await lockItem(sql)).toBeUndefined();
  });
});

describe('events that are not ours, repeated, or late', () => {
  it('a repeated event (sequential and concurrent) is harmless: answered once, no error', async () => {
    const gate = await h.gate();
    const call = await startCallback(`select 'twice', ${gate.sql}`, { stepId: 'twice' });
    await gate.open();
    const event = await h.eventFor(call.statementId);
    await Promise.all([h.invoke(event), h.invoke(event)]);
    await h.invoke(event);
    expect(h.logs.slice(-3).every((line) => line.level === 'INFO')).toBe(true);
    expect(h.logs.slice(-1)[0]?.outcome).toBe('unknown-statement');
    expect(await call.outcome).toMatchObject({ Status: 'FINISHED' });
  });

  it('a statement the runtime never saw is ignored', async () => {
    const { Id } = await h.stack.clients.runtimeRedshiftData.send(
      new ExecuteStatementCommand({
        ClusterIdentifier: 'analytics',
        Database: 'dev',
        DbUser: 'etl',
        Sql: 'select 1',
        WithEvent: true,
        StatementName: 'sfn-redshift/someone/else',
      }),
    );
    const event = await h.eventFor(Id ?? '');
    expect(await h.invoke(event)).toBeNull();
    expect(lastLog()).toMatchObject({ outcome: 'unknown-statement', level: 'INFO' });
    expect(await h.invoke(sqsEvent([{ body: event }]))).toEqual({ batchItemFailures: [] });
  });

  it('events of other sources, detail types, states or statement names are ignored, never errors', async () => {
    const base: RedshiftStatusChangeEvent = {
      version: '0',
      id: 'e',
      'detail-type': 'Redshift Data Statement Status Change',
      source: 'aws.redshift-data',
      account: '123456789012',
      time: '2024-01-01T00:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: {
        principal: 'p',
        statementId: 'not-ours',
        statementName: 'other-app/step',
        redshiftQueryId: 1,
        state: 'FINISHED',
        rows: 1,
        expireAt: 0,
      },
    };
    const foreign = [
      { ...base, source: 'aws.s3' },
      { ...base, 'detail-type': 'Object Created' },
      base, // statement name outside sfn-redshift/
      { ...base, detail: { ...base.detail, statementName: undefined } },
      { ...base, detail: { ...base.detail, statementName: 'sfn-redshift/p/s', state: 'STARTED' } },
    ];
    for (const event of foreign) {
      expect(await h.invoke(event)).toEqual({ ignored: expect.any(String) });
      expect(lastLog()).toMatchObject({ outcome: 'ignored', level: 'INFO' });
    }
    expect(await h.invoke(sqsEvent([...foreign.map((body) => ({ body })), { body: 'not json' }]))).toEqual({
      batchItemFailures: [],
    });
  });

  it('a token Step Functions reports TaskTimedOut (or never knew) is handled without an error; the lock is released', async () => {
    const gate = await h.gate();
    const sql = `select 'late', ${gate.sql}`;
    const call = await startCallback(sql, { stepId: 'late' });
    h.stack.registry.markTimedOut(call.token);
    await gate.open();
    await h.invoke(await h.eventFor(call.statementId));
    expect(lastLog()).toMatchObject({ outcome: 'succeeded-token-gone', level: 'INFO' });
    expect(await lockItem(sql)).toBeUndefined();

    const run = executionArn('invalid-token');
    const bogusGate = await h.gate();
    const bogus = (await h.invoke({
      action: 'executeStatement',
      sqlStatement: `select ${bogusGate.sql}`,
      taskToken: 'not-a-token',
      executionArn: run,
      stepId: 'bogus',
      statementName: 'sfn-redshift/p/bogus',
    })) as { Id: string };
    await bogusGate.open();
    await h.invoke(sqsEvent([{ body: await h.eventFor(bogus.Id) }]));
    expect(lastLog()?.records?.[0]?.outcome).toBe('succeeded-token-gone');
  });

  it('SQS: only the records that failed transiently are reported in batchItemFailures', async () => {
    const running = await startCallback('select pg_sleep(30)', { stepId: 'still_running', singleton: false });
    const done = await startCallback("select 'done', pg_sleep(0.1)", { stepId: 'done', singleton: false });
    const doneEvent = await h.eventFor(done.statementId);
    // An event claiming completion while DescribeStatement still says STARTED: retry that record later.
    const premature: RedshiftStatusChangeEvent = {
      ...doneEvent,
      id: 'premature',
      detail: {
        ...doneEvent.detail,
        statementId: running.statementId,
        statementName: 'sfn-redshift/pipeline/still_running',
      },
    };
    const answer = await h.invoke(
      sqsEvent([
        { messageId: 'ok', body: doneEvent },
        { messageId: 'early', body: premature },
        { messageId: 'foreign', body: { source: 'aws.ec2', 'detail-type': 'x', detail: {} } },
      ]),
    );
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'early' }] });
    expect(lastLog()).toMatchObject({ level: 'WARN' });
    expect(await done.outcome).toMatchObject({ Status: 'FINISHED' });
    // The real event later completes it.
    await h.invoke({ action: 'cancelStatement', statementId: running.statementId });
    await h.invoke(sqsEvent([{ body: await h.eventFor(running.statementId) }]));
    expect(await running.outcome.catch((error: unknown) => (error as Error).name)).toBe('Redshift.StatementAborted');
  });

  it('a premature direct event throws (EventBridge/Lambda retry it) instead of dropping the completion', async () => {
    const running = await startCallback('select pg_sleep(30)', { stepId: 'premature_direct', singleton: false });
    const sample = h.events[0] as RedshiftStatusChangeEvent;
    const error = await h.invokeError({
      ...sample,
      detail: {
        ...sample.detail,
        statementId: running.statementId,
        statementName: 'sfn-redshift/pipeline/premature_direct',
        state: 'FINISHED',
      },
    });
    expect(error.name).toBe('StatementNotTerminal');
    await h.invoke({ action: 'cancelStatement', statementId: running.statementId });
  });
});

describe('state table items', () => {
  it('every item the runtime writes has a TTL (expiresAt, epoch seconds, within 26 h)', async () => {
    const sql = 'select pg_sleep(30)';
    const call = await startCallback(sql, { stepId: 'ttl' });
    const items = await h.items();
    const kinds = new Set(items.map((item) => (s(item, 'pk') ?? '').split('#')[0]));
    expect(kinds).toEqual(new Set(['lock', 'statement', 'execution']));
    const now = Date.now() / 1000;
    for (const item of items) {
      const expiresAt = Number(item.expiresAt?.N);
      expect(expiresAt, JSON.stringify(item)).toBeGreaterThan(now);
      expect(expiresAt, JSON.stringify(item)).toBeLessThan(now + 26 * 3600);
    }
    expect(
      items
        .filter((item) => s(item, 'pk') === `execution#${call.run}`)
        .map((item) => s(item, 'sk'))
        .sort(),
    ).toEqual(['latest', 'latest#step#ttl']);
    await h.invoke({ action: 'cancelStatement', statementId: call.statementId });
    await h.invoke(await h.eventFor(call.statementId));
    expect(await lockItem(sql)).toBeUndefined();
  });
});

// EventBridge delivers Redshift Data events best-effort: a completion event may be lost. The
// harness never hands an event to the runtime unless the test does, so not invoking it is the loss.
describe('timeoutStatement: on a Task timeout the runtime looks before it cancels', () => {
  async function timedOut(sql: string, stepId: string) {
    const call = await startCallback(sql, { stepId });
    return call;
  }
  const settle = (call: { run: string }, stepId: string) => ({
    action: 'timeoutStatement',
    statementId: 'LATEST',
    executionArn: call.run,
    stepId,
  });

  it('FINISHED with its event lost → the step record; lock and statement item released', async () => {
    const sql = "insert into loads select 'lost-event'";
    const call = await timedOut(sql, 'lost_finished');
    expect(await h.settled(call.statementId)).toBe('FINISHED');
    h.stack.registry.markTimedOut(call.token);
    expect(await h.invoke(settle(call, 'lost_finished'))).toEqual({
      Id: call.statementId,
      Status: 'FINISHED',
      ResultRows: 1,
      HasResultSet: false,
    });
    expect(await lockItem(sql)).toBeUndefined();
    expect((await h.items()).some((item) => s(item, 'pk') === `statement#${call.statementId}`)).toBe(false);
  });

  it('FAILED → Redshift.StatementFailed with Redshift’s text; ABORTED by someone else → Redshift.StatementAborted', async () => {
    const failed = await timedOut('select * from no_such_table_lost', 'lost_failed');
    expect(await h.settled(failed.statementId)).toBe('FAILED');
    h.stack.registry.markTimedOut(failed.token);
    const failure = await h.invokeError(settle(failed, 'lost_failed'));
    expect(failure.name).toBe('Redshift.StatementFailed');
    expect(failure.message).toMatch(/no_such_table_lost/);

    const gate = await h.gate();
    const aborted = await timedOut(`select ${gate.sql}`, 'lost_aborted');
    await h.invoke({ action: 'cancelStatement', statementId: aborted.statementId });
    expect(await h.settled(aborted.statementId)).toBe('ABORTED');
    h.stack.registry.markTimedOut(aborted.token);
    const abort = await h.invokeError(settle(aborted, 'lost_aborted'));
    expect(abort).toMatchObject({ name: 'Redshift.StatementAborted', message: aborted.statementId });
    await gate.open();
  });

  it('still running → cancelled, then Redshift.StatementTimeout with the statement id; the lock is released', async () => {
    const gate = await h.gate();
    const sql = `select 'long', ${gate.sql}`;
    const call = await timedOut(sql, 'really_long');
    h.stack.registry.markTimedOut(call.token);
    const timeout = await h.invokeError(settle(call, 'really_long'));
    expect(timeout).toMatchObject({ name: 'Redshift.StatementTimeout', message: call.statementId });
    expect(await h.settled(call.statementId)).toBe('ABORTED');
    expect(await lockItem(sql)).toBeUndefined();
    await gate.open();
  });
});

describe('reconcileStatements: the scheduled sweep completes statements whose event was lost', () => {
  it('answers the token of a statement that ended unheard, leaves a running one waiting', async () => {
    const finished = await startCallback("insert into loads select 'swept'", { stepId: 'swept' });
    expect(await h.settled(finished.statementId)).toBe('FINISHED');
    const gate = await h.gate();
    const running = await startCallback(`select 'still', ${gate.sql}`, { stepId: 'still_running' });

    const report = (await h.invoke({ action: 'reconcileStatements' })) as {
      checked: number;
      completed: number;
      remaining: boolean;
    };
    expect(report.completed).toBeGreaterThanOrEqual(1);
    expect(report.remaining).toBe(false);
    expect(await finished.outcome).toEqual({
      Id: finished.statementId,
      Status: 'FINISHED',
      ResultRows: 1,
      HasResultSet: false,
    });
    const items = await h.items();
    expect(items.some((item) => s(item, 'pk') === `statement#${finished.statementId}`)).toBe(false);
    expect(items.some((item) => s(item, 'pk') === `statement#${running.statementId}`)).toBe(true);
    expect(h.stack.registry.pendingTokenCount(running.run)).toBe(1);

    await gate.open();
    expect(await h.settled(running.statementId)).toBe('FINISHED');
    await h.invoke({ action: 'reconcileStatements' });
    expect(await running.outcome).toMatchObject({ Id: running.statementId, Status: 'FINISHED' });
  });
});
