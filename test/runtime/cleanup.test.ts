// The runtime's cleanup after a stopped execution ("Step Functions Execution Status Change" events
// for ABORTED, TIMED_OUT, FAILED): it cancels the statements the execution left running, releases
// their singleton locks and logs one line per cancellation; anything else is ignored.
import { CancelStatementCommand, ExecuteStatementCommand } from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockKey } from '../../runtime/src/lock-key.ts';
import { executionStatusChangeEvent } from '../../local/sfn-events.ts';
import { executionArn, s, sqsEvent, startRuntimeHarness, TARGET_ENV, type RuntimeHarness } from './harness.ts';

let h: RuntimeHarness;

beforeAll(async () => {
  h = await startRuntimeHarness();
});
afterAll(async () => {
  delete process.env.CLEANUP_STATE_MACHINE_PREFIX;
  await h?.stop();
});

const lockOf = (sql: string) =>
  lockKey({ kind: 'cluster', name: TARGET_ENV.REDSHIFT_CLUSTER_ID, database: TARGET_ENV.REDSHIFT_DATABASE }, sql);
const lockItem = async (sql: string) => (await h.items()).find((item) => s(item, 'pk') === lockOf(sql));

/** Stops a RUNNING execution of the local service and answers its status change event. */
function stop(arn: string) {
  h.stack.registry.stopExecution(arn, 'States.Aborted', 'stopped by the test');
  const record = h.stack.registry.getExecution(arn);
  if (!record) throw new Error('no such execution');
  return executionStatusChangeEvent(record);
}

const cleanupLines = (arn: string) =>
  h.logs.filter((line) => line.action === 'cleanup' && line.executionArn === arn && line.statementId !== undefined);

async function started(statementId: string): Promise<void> {
  for (;;) {
    const described = (await h.invoke({ action: 'describeStatement', statementId })) as { Status: string };
    if (described.Status === 'STARTED') return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('cleanup after a stopped execution', () => {
  it('cancels its running statements (a singleton and a callback one), releases the lock, one log line each', async () => {
    const arn = h.runningExecution('stopped');
    const sql = 'select pg_sleep(60) as cleanup_singleton';
    const singleton = (await h.invoke({
      action: 'executeSingletonStatement',
      sqlStatement: sql,
      executionArn: arn,
      stepId: 'load',
      statementName: 'sfn-redshift/nightly/load',
    })) as { Id: string };
    const callback = (await h.invoke({
      action: 'executeStatement',
      sqlStatement: 'select pg_sleep(60) as cleanup_callback',
      executionArn: arn,
      stepId: 'archive',
      taskToken: 'AQtoken-of-a-stopped-task',
    })) as { Id: string };
    await started(singleton.Id);
    expect(await lockItem(sql)).toBeDefined();

    expect(await h.invoke(stop(arn))).toBeNull();
    expect(await h.settled(singleton.Id)).toBe('ABORTED');
    expect(await h.settled(callback.Id)).toBe('ABORTED');
    expect(await lockItem(sql)).toBeUndefined();
    const lines = cleanupLines(arn);
    expect(lines.map((line) => line.statementId).sort()).toEqual([singleton.Id, callback.Id].sort());
    expect(lines.find((line) => line.statementId === singleton.Id)).toMatchObject({
      outcome: 'cancelled-and-lock-released',
      stepId: 'load',
      level: 'INFO',
    });
    expect(lines.find((line) => line.statementId === singleton.Id)?.statementName).toMatch(
      /^sfn-redshift\/nightly\/load\/runtime-test:stopped-/,
    );
    expect(h.logs.at(-1)).toMatchObject({ action: 'cleanup', outcome: 'cancelled-2', executionArn: arn });
  });

  it('a repeated event (directly or through SQS) is harmless: nothing more is cancelled', async () => {
    const arn = h.runningExecution('repeated');
    const running = (await h.invoke({
      action: 'executeStatement',
      sqlStatement: 'select pg_sleep(60) as repeated',
      executionArn: arn,
      stepId: 'x',
      taskToken: 'AQtoken-repeated',
    })) as { Id: string };
    const event = stop(arn);
    expect(await h.invoke(event)).toBeNull();
    expect(await h.settled(running.Id)).toBe('ABORTED');
    await Promise.all([h.invoke(event), h.invoke(event)]);
    expect(await h.invoke(sqsEvent([{ body: event }, { body: event }]))).toEqual({ batchItemFailures: [] });
    expect(await h.invoke(event)).toBeNull();
    expect(h.logs.at(-1)).toMatchObject({ action: 'cleanup', outcome: 'nothing-running' });
    expect(cleanupLines(arn)).toHaveLength(1);
  });

  it('an unknown execution, other statuses and foreign machines are ignored without error', async () => {
    const unknown = executionStatusChangeEvent({
      executionArn: executionArn('never-ran'),
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:runtime-test',
      name: 'never-ran',
      status: 'TIMED_OUT',
      startDate: new Date(),
      input: '{}',
    });
    expect(await h.invoke(unknown)).toBeNull();
    expect(h.logs.at(-1)).toMatchObject({ action: 'cleanup', outcome: 'nothing-running', level: 'INFO' });

    const arn = h.runningExecution('foreign');
    const running = (await h.invoke({
      action: 'executeStatement',
      sqlStatement: 'select pg_sleep(60) as foreign_machine',
      executionArn: arn,
      stepId: 'x',
      taskToken: 'AQtoken-foreign',
    })) as { Id: string };
    const succeeded = { ...stop(arn) };
    process.env.CLEANUP_STATE_MACHINE_PREFIX = 'nightly-';
    try {
      expect(await h.invoke(succeeded)).toEqual({ ignored: expect.stringContaining('not one of ours') });
    } finally {
      delete process.env.CLEANUP_STATE_MACHINE_PREFIX;
    }
    expect(await h.invoke({ ...succeeded, detail: { ...succeeded.detail, status: 'SUCCEEDED' } })).toEqual({
      ignored: 'ignored: status "SUCCEEDED"',
    });
    expect(await h.invoke({ ...succeeded, 'detail-type': 'Step Functions State Machine Status Change' })).toMatchObject(
      { ignored: expect.stringContaining('detail-type') },
    );
    const { Status } = (await h.invoke({ action: 'describeStatement', statementId: running.Id })) as { Status: string };
    expect(['SUBMITTED', 'PICKED', 'STARTED']).toContain(Status);
    await h.invoke(succeeded);
    expect(await h.settled(running.Id)).toBe('ABORTED');
  });

  it("does not see (so cannot cancel) another role's statements: those are the reaper machine's", async () => {
    const arn = h.runningExecution('machine-role');
    const suffix = arn.split(':').slice(6).join(':');
    const { Id } = await h.stack.clients.redshiftData.send(
      new ExecuteStatementCommand({
        ClusterIdentifier: 'analytics',
        Database: 'dev',
        DbUser: 'etl',
        Sql: 'select pg_sleep(60) as machine_role',
        StatementName: `sfn-redshift/nightly/load/${suffix}`,
      }),
    );
    expect(await h.invoke(stop(arn))).toBeNull();
    expect(h.logs.at(-1)).toMatchObject({ outcome: 'nothing-running' });
    await h.stack.clients.redshiftData.send(new CancelStatementCommand({ Id }));
  });
});
