// The budget arithmetic against history events and state transitions counted on the local stack
// (aws-local-stepfunctions' event log priced like Step Functions by local/executor/
// history.ts): every path the worst case is made of (poll loops to a timeout, results fetched or
// not, a batch's result, singleton locks free and taken over the long way, parallel branches,
// callback statements finished, failed and timed out) costs exactly what executionCost predicts.
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_ATTRIBUTES, LOCK_SORT_KEY, lockKey } from '../../runtime/src/lock-key.ts';
import { handler, setLogSink } from '../../runtime/src/index.ts';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { executionCost, maxPolls, type StepScenario } from '../../generator/emit/limits.ts';
import type { ExecutionResult, LocalStack } from '../../local/stack.ts';
import { startTestStack } from '../support/shared-postgres.ts';
import type { Pipeline, StatementStep } from '../../generator/load/model.ts';
import { pipelineFrom } from '../generator/helpers.ts';

const RUNTIME_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:sfn-redshift-runtime';
let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({
    redshiftEventTarget: RUNTIME_ARN,
    initSql: 'create table budget_rows (n int); insert into budget_rows values (1), (2), (3);',
  });
  Object.assign(process.env, stack.lambdaEnvironment, { REDSHIFT_CLUSTER_ID: 'analytics', REDSHIFT_DATABASE: 'dev' });
  setLogSink(() => undefined);
  stack.registerFunction(RUNTIME_ARN, (event, context) => handler(event, context));
});

afterAll(async () => {
  await stack?.stop();
});

function spec(name: string, steps: string, mode: 'poll' | 'callback' = 'poll'): Pipeline {
  return pipelineFrom(`version: 1
pipeline: ${name}
mode: ${mode}
target: { cluster: analytics, database: dev, dbUser: etl }
defaults:
  timeout: 1h
  poll: { initial: 1s, max: 2s, factor: 2 }
  retry: { attempts: 1, interval: 1s }
steps:
${steps}`);
}

function run(pipeline: Pipeline, options: { timeoutScale?: number } = {}): Promise<ExecutionResult> {
  return stack.execute(
    compilePipeline(pipeline).machine,
    { day: '2024-01-31' },
    { waitMs: 2, retryIntervalMs: 2, substitutions: { RuntimeFunctionArn: RUNTIME_ARN }, ...options },
  );
}

/** DescribeStatement calls the execution made for a step (poll mode). */
function polls(result: ExecutionResult, stepId: string): number {
  return result.history.filter((event) => event.type === 'TaskScheduled' && event.stateName === `${stepId}.Describe`)
    .length;
}

function record(result: ExecutionResult, stepId: string): { HasResultSet?: boolean } {
  return ((result.output as { steps?: Record<string, { HasResultSet?: boolean }> } | undefined)?.steps?.[stepId] ??
    {}) as { HasResultSet?: boolean };
}

/** What the arithmetic says of this execution, with each step's polls and result as observed. */
function predicted(
  pipeline: Pipeline,
  result: ExecutionResult,
  outcome: (step: StatementStep) => StepScenario | undefined = () => undefined,
) {
  return executionCost(compilePipeline(pipeline), (step) => {
    const chosen = outcome(step);
    if (chosen) return chosen;
    const hasResult = record(result, step.id).HasResultSet;
    return {
      outcome: {
        kind: 'finished',
        polls: step.mode === 'callback' ? 1 : polls(result, step.id),
        ...(hasResult !== undefined ? { hasResult } : {}),
      },
    };
  });
}

const observed = (result: ExecutionResult) => ({
  transitions: result.stateTransitions,
  events: result.historyEventCount,
});

describe('budget arithmetic = counts observed on the local stack', () => {
  it('poll mode, every step finishing: results fetched and not, a batch, parallel branches, a free singleton lock', async () => {
    const pipeline = spec(
      'finishing',
      `  - id: rows
    sql: "select n from budget_rows order by n"
    results: true
  - id: no_rows
    sql: "create temp table scratch_budget (a int)"
    results: true
  - id: fan
    parallel:
      - steps:
          - { id: left, sql: "select 1" }
          - { id: locked, sql: "select count(*) from budget_rows", singleton: true }
      - steps:
          - { id: batch, sqls: ["select 1 as a", "select n from budget_rows where n > :min"], parameters: { min: 1 }, results: true }
  - id: last
    sql: "select :day::date as day"
    parameters: { day: "$.day" }
`,
    );
    const result = await run(pipeline);
    expect([result.status, result.error, result.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    expect(record(result, 'rows').HasResultSet).toBe(true);
    expect(record(result, 'no_rows').HasResultSet).toBe(false);
    expect(polls(result, 'rows')).toBeGreaterThanOrEqual(1);
    expect(observed(result)).toEqual(predicted(pipeline, result));
  });

  it('poll mode, a statement that runs past its timeout: every poll of the schedule, then cancel and fail', async () => {
    const pipeline = spec(
      'timing-out',
      `  - id: warm\n    sql: select 1\n  - id: slow\n    sql: "select pg_sleep(30) as budget_slow"\n    timeout: 7s\n`,
    );
    const result = await run(pipeline);
    expect([result.status, result.error]).toEqual(['FAILED', 'Redshift.StatementTimeout']);
    const slow = pipeline.steps[1] as StatementStep;
    // 1 + 2 + 2 + 2 = 7 s: four polls, the machine's own count.
    expect(maxPolls(slow)).toBe(4);
    expect(polls(result, 'slow')).toBe(4);
    expect(observed(result)).toEqual(
      predicted(pipeline, result, (step) => (step.id === 'slow' ? { outcome: { kind: 'timeout' } } : undefined)),
    );
  });

  it('poll mode, singleton: timeout releases the lock on the way out; a SQL error fails after its polls', async () => {
    const timingOut = spec(
      'singleton-timeout',
      `  - id: held\n    sql: "select pg_sleep(30) as budget_held"\n    singleton: true\n    timeout: 3s\n`,
    );
    const timeout = await run(timingOut);
    expect([timeout.status, timeout.error]).toEqual(['FAILED', 'Redshift.StatementTimeout']);
    expect(observed(timeout)).toEqual(predicted(timingOut, timeout, () => ({ outcome: { kind: 'timeout' } })));

    const failing = spec(
      'failing',
      `  - id: broken\n    sql: "select 1 / (n - n) from budget_rows"\n    singleton: true\n`,
    );
    const failed = await run(failing);
    expect([failed.status, failed.error]).toEqual(['FAILED', 'Redshift.StatementFailed']);
    expect(observed(failed)).toEqual(
      predicted(failing, failed, (step) => ({ outcome: { kind: 'failed', polls: polls(failed, step.id) } })),
    );
  });

  it('poll mode, singleton: a stale lock taken over the long way (holder statement unknown, holder execution ended)', async () => {
    const finished = await run(spec('holder', `  - id: gone\n    sql: select 1\n`));
    expect(finished.status).toBe('SUCCEEDED');
    const sql = 'select count(*) as taken_over from budget_rows';
    const pipeline = spec('takeover', `  - id: stale\n    sql: "${sql}"\n    singleton: true\n`);
    const A = LOCK_ATTRIBUTES;
    await stack.clients.dynamodb.send(
      new PutItemCommand({
        TableName: stack.stateTableName,
        Item: {
          [A.partitionKey]: { S: lockKey({ kind: 'cluster', name: 'analytics', database: 'dev' }, sql) },
          [A.sortKey]: { S: LOCK_SORT_KEY },
          [A.owner]: { S: finished.executionArn },
          [A.nonce]: { S: 'stale-nonce' },
          [A.statementId]: { S: '00000000-0000-4000-8000-000000000000' },
          [A.pipeline]: { S: 'holder' },
          [A.stepId]: { S: 'gone' },
        },
      }),
    );
    const result = await run(pipeline);
    expect(result.status).toBe('SUCCEEDED');
    const visited = new Set(
      result.history.filter((event) => event.type.endsWith('StateEntered')).map((event) => event.stateName),
    );
    for (const state of [
      'stale.HolderStatement',
      'stale.HolderExpiry',
      'stale.HolderExecution',
      'stale.HolderAlive',
      'stale.TakeOver',
    ])
      expect(visited).toContain(state);
    expect(observed(result)).toEqual(
      predicted(pipeline, result, (step) => ({
        outcome: { kind: 'finished', polls: polls(result, step.id) },
        lock: 'takeover',
      })),
    );
  });

  it('callback mode: finished with a result page, a batch, a SQL error, and a timeout cancelled through the runtime', async () => {
    const finishing = spec(
      'callback-finishing',
      `  - id: rows\n    sql: "select n from budget_rows"\n    results: true\n  - id: batch\n    sqls: ["select 1 as a", "select 2 as b"]\n  - id: plain\n    sql: select 1\n`,
      'callback',
    );
    const done = await run(finishing);
    expect(done.status).toBe('SUCCEEDED');
    expect(observed(done)).toEqual(predicted(finishing, done));
    // One Task per statement without results: 6 events, whatever the statement's length.
    expect(predicted(spec('one', '  - id: only\n    sql: select 1\n', 'callback'), done)).toEqual({
      transitions: 1,
      events: 8,
    });

    const failing = spec(
      'callback-failing',
      `  - id: warm\n    sql: select 1\n  - id: broken\n    sql: "select * from no_such_budget_table"\n`,
      'callback',
    );
    const failed = await run(failing);
    expect([failed.status, failed.error]).toEqual(['FAILED', 'Redshift.StatementFailed']);
    expect(observed(failed)).toEqual(
      predicted(failing, failed, (step) =>
        step.id === 'broken' ? { outcome: { kind: 'failed', polls: 1 } } : undefined,
      ),
    );

    const slow = spec(
      'callback-timeout',
      `  - id: sleepy\n    sql: "select pg_sleep(30) as budget_callback"\n    timeout: 2s\n`,
      'callback',
    );
    const timedOut = await run(slow, { timeoutScale: 0.25 });
    expect([timedOut.status, timedOut.error]).toEqual(['FAILED', 'Redshift.StatementTimeout']);
    expect(observed(timedOut)).toEqual(predicted(slow, timedOut, () => ({ outcome: { kind: 'timeout' } })));
  });
});
