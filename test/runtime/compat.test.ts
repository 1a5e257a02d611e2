// CALLBACK_COMPAT=cdk-stepfunctions-redshift: completions answer task tokens as the original
// function did (the completion event object as output, or as the cause of FAILED / ABORTED), from
// EventBridge directly or through SQS; without the setting nothing changes. The payload builders
// are pure; the handler runs in a fresh module instance that read the setting at its cold start.
import { ExecuteStatementCommand, type DescribeStatementResponse } from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TaskFailure } from '../../local/executor/registry.ts';
import { compatAnswer, contractAnswer, MAX_CAUSE_CHARS, truncateCause } from '../../runtime/src/answers.ts';
import { callbackCompat } from '../../runtime/src/config.ts';
import { s, sqsEvent, startRuntimeHarness, type RuntimeHarness } from './harness.ts';

type Handler = typeof import('../../runtime/src/index.ts').handler;
type CompletionModule = typeof import('../../runtime/src/completion.ts');
type StateTableModule = typeof import('../../runtime/src/state-table.ts');

const EVENT = {
  version: '0',
  id: 'e-1',
  'detail-type': 'Redshift Data Statement Status Change',
  source: 'aws.redshift-data',
  account: '123456789012',
  time: '2026-01-01T00:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:redshift:us-east-1:123456789012:cluster:analytics'],
  detail: {
    principal: 'arn:aws:iam::123456789012:role/r',
    statementName: 'sfn-redshift/runtime/executeStatement',
    statementId: 'id-1',
    redshiftQueryId: 7,
    state: 'FINISHED',
    rows: 1,
    expireAt: 1,
  },
};

describe('payloads (pure)', () => {
  it('FINISHED → success whose output is the event object itself', () => {
    const answer = compatAnswer(EVENT, 'FINISHED');
    expect(answer.kind).toBe('success');
    expect(answer.kind === 'success' && JSON.parse(answer.output)).toEqual(EVENT);
  });

  it('FAILED → error FAILED, cause the event as JSON; ABORTED → error ABORTED, same cause', () => {
    const failed = { ...EVENT, detail: { ...EVENT.detail, state: 'FAILED' } };
    expect(compatAnswer(failed, 'FAILED')).toEqual({ kind: 'failure', error: 'FAILED', cause: JSON.stringify(failed) });
    const aborted = { ...EVENT, detail: { ...EVENT.detail, state: 'ABORTED' } };
    expect(compatAnswer(aborted, 'ABORTED')).toEqual({
      kind: 'failure',
      error: 'ABORTED',
      cause: JSON.stringify(aborted),
    });
  });

  it('without the setting: the contract’s record and error names', () => {
    const described = (fields: Partial<DescribeStatementResponse>) => fields as DescribeStatementResponse;
    expect(contractAnswer(described({ Id: 'id-1', ResultRows: 1, HasResultSet: false }), 'id-1', 'FINISHED')).toEqual({
      kind: 'success',
      output: JSON.stringify({ Id: 'id-1', Status: 'FINISHED', ResultRows: 1, HasResultSet: false }),
    });
    expect(contractAnswer(described({ Error: 'boom' }), 'id-1', 'FAILED')).toEqual({
      kind: 'failure',
      error: 'Redshift.StatementFailed',
      cause: 'boom',
    });
    expect(contractAnswer(described({}), 'id-1', 'ABORTED')).toEqual({
      kind: 'failure',
      error: 'Redshift.StatementAborted',
      cause: 'id-1',
    });
  });

  it('a cause over SendTaskFailure’s 32,768 characters is cut within it, never inside a surrogate pair', () => {
    const huge = {
      ...EVENT,
      detail: { ...EVENT.detail, state: 'FAILED', statementName: `sfn-redshift/${'x'.repeat(40_000)}` },
    };
    const answer = compatAnswer(huge, 'FAILED');
    expect(answer.kind === 'failure' && answer.cause.length).toBe(MAX_CAUSE_CHARS);
    expect(answer.kind === 'failure' && answer.cause.endsWith('…')).toBe(true);
    // An emoji (two UTF-16 units) straddling the cut is dropped whole.
    const straddling = `${'a'.repeat(MAX_CAUSE_CHARS - 2)}😀${'b'.repeat(10)}`;
    const cut = truncateCause(straddling);
    expect(cut.length).toBeLessThanOrEqual(MAX_CAUSE_CHARS);
    expect(cut).toBe(`${'a'.repeat(MAX_CAUSE_CHARS - 2)}…`);
    expect(truncateCause('short')).toBe('short');
  });

  it('CALLBACK_COMPAT: unset, or the one valid value; anything else names the variable and the valid values', () => {
    expect(callbackCompat({})).toBeUndefined();
    expect(callbackCompat({ CALLBACK_COMPAT: ' ' })).toBeUndefined();
    expect(callbackCompat({ CALLBACK_COMPAT: 'cdk-stepfunctions-redshift' })).toBe('cdk-stepfunctions-redshift');
    expect(() => callbackCompat({ CALLBACK_COMPAT: 'cdk-stepfunctions' })).toThrow(
      expect.objectContaining({
        name: 'InvalidConfiguration',
        message: 'CALLBACK_COMPAT: must be unset or one of: cdk-stepfunctions-redshift; got "cdk-stepfunctions"',
      }),
    );
  });
});

describe('the handler with CALLBACK_COMPAT=cdk-stepfunctions-redshift', () => {
  let h: RuntimeHarness;
  let handler: Handler;
  let completion: CompletionModule;
  let stateTable: StateTableModule;

  beforeAll(async () => {
    h = await startRuntimeHarness({ initSql: 'create table compat_loads (n int);' });
    process.env.CALLBACK_COMPAT = 'cdk-stepfunctions-redshift';
    // A cold start: fresh module instances read the setting.
    vi.resetModules();
    const index = await import('../../runtime/src/index.ts');
    index.setLogSink(() => undefined);
    handler = index.handler;
    completion = await import('../../runtime/src/completion.ts');
    stateTable = await import('../../runtime/src/state-table.ts');
  });
  afterAll(async () => {
    delete process.env.CALLBACK_COMPAT;
    await h?.stop();
  });

  /** A statement run as the original's machines call it: no action, a task token, the execution. */
  async function start(sql: string) {
    const run = h.runningExecution('compat');
    const token = h.stack.registry.createTaskToken(run, 'StartRedshiftStatementAndWaitForCallback');
    const { Id } = (await handler({ taskToken: token.token, executionArn: run, sqlStatement: sql })) as { Id: string };
    return { id: Id, outcome: token.promise };
  }

  it('FINISHED, direct from EventBridge: the output is the event object as received', async () => {
    const gate = await h.gate();
    const call = await start(`insert into compat_loads select 1 from (select ${gate.sql}) g`);
    await gate.open();
    const event = await h.eventFor(call.id);
    expect(await handler(event)).toBeNull();
    const output = await call.outcome;
    expect(output).toEqual(event);
    expect((output as typeof event).detail.state).toBe('FINISHED');
    expect((await h.items()).some((item) => s(item, 'pk') === `statement#${call.id}`)).toBe(false);
  });

  it('FINISHED through SQS: the output is the record’s body', async () => {
    const gate = await h.gate();
    const call = await start(`select 2, ${gate.sql}`);
    await gate.open();
    const event = await h.eventFor(call.id);
    const body = { ...event, id: 'as-delivered-by-sqs' };
    expect(await handler(sqsEvent([{ body }]))).toEqual({ batchItemFailures: [] });
    expect(await call.outcome).toEqual(body);
  });

  it('FAILED through SQS: error FAILED, the cause is the event as JSON', async () => {
    const gate = await h.gate();
    const call = await start(`select get_date(), ${gate.sql}`);
    await gate.open();
    const event = await h.eventFor(call.id);
    expect(event.detail.state).toBe('FAILED');
    await handler(sqsEvent([{ body: event }]));
    const failure = await call.outcome.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TaskFailure);
    expect([(failure as TaskFailure).name, JSON.parse((failure as TaskFailure).message)]).toEqual(['FAILED', event]);
  });

  it('ABORTED, direct: error ABORTED, the cause is the event as JSON', async () => {
    const gate = await h.gate();
    const call = await start(`select ${gate.sql}`);
    await h.invoke({ action: 'cancelStatement', statementId: call.id });
    const event = await h.eventFor(call.id);
    expect(event.detail.state).toBe('ABORTED');
    await handler(event);
    const failure = (await call.outcome.then(
      () => undefined,
      (error: unknown) => error,
    )) as TaskFailure;
    expect([failure.name, JSON.parse(failure.message)]).toEqual(['ABORTED', event]);
    await gate.open();
  });

  it('a statement that ends before its item is written: the event is kept, and the look after submit answers with it', async () => {
    // The event first (its statement unknown yet), as when Redshift is faster than the runtime's write.
    const { Id } = await h.stack.clients.runtimeRedshiftData.send(
      new ExecuteStatementCommand({
        ClusterIdentifier: 'analytics',
        Database: 'dev',
        DbUser: 'etl',
        Sql: 'select 3',
        StatementName: 'sfn-redshift/runtime/early',
        WithEvent: true,
      }),
    );
    const id = Id as string;
    const event = await h.eventFor(id);
    expect(await handler(event)).toBeNull();
    expect(
      (await h.items()).filter((item) => s(item, 'pk') === `statement#${id}`).map((item) => s(item, 'sk')),
    ).toEqual(['event']);
    // Then the runtime writes the item and looks once itself (what execute does after submit).
    const token = h.stack.registry.createTaskToken(h.runningExecution('early'), 'Early');
    await stateTable.putStatement(h.stack.stateTableName, {
      statementId: id,
      statementName: 'sfn-redshift/runtime/early',
      taskToken: token.token,
    });
    expect(await completion.completeStatement(h.stack.stateTableName, id, 'skip')).toBe('succeeded');
    expect(await token.promise).toEqual(event);
    expect((await h.items()).some((item) => s(item, 'pk') === `statement#${id}`)).toBe(false);
  });

  it('a statement that ends before the look after submit but whose event comes later: answered by the event', async () => {
    const call = await start('select 4');
    await h.settled(call.id);
    // The look after submit found it terminal without an event: the answer waits for the event.
    expect(await completion.completeStatement(h.stack.stateTableName, call.id, 'skip')).toBe('awaiting-event');
    const event = await h.eventFor(call.id);
    await handler(event);
    expect(await call.outcome).toEqual(event);
  });

  it('a statement with a stepId (as generated callback steps send) keeps the contract’s answers', async () => {
    const gate = await h.gate();
    const run = h.runningExecution('generated');
    const token = h.stack.registry.createTaskToken(run, 'load.Execute');
    const { Id } = (await handler({
      action: 'executeStatement',
      sqlStatement: `select 6, ${gate.sql}`,
      taskToken: token.token,
      executionArn: run,
      stepId: 'load',
      statementName: 'sfn-redshift/pipeline/load',
    })) as { Id: string };
    await gate.open();
    await handler(await h.eventFor(Id));
    expect(await token.promise).toEqual({ Id, Status: 'FINISHED', ResultRows: 1, HasResultSet: true });
  });

  it('an action answers as before (the setting concerns completions only)', async () => {
    const { Id } = (await handler({ sqlStatement: 'select 5' })) as { Id: string };
    expect(await h.settled(Id)).toBe('FINISHED');
    expect(await handler({ action: 'describeStatement', statementId: Id })).toMatchObject({ Id, Status: 'FINISHED' });
  });
});
