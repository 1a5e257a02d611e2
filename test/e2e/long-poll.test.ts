// poll.longPoll end to end on the local stack: generated machines whose Data API calls wait
// (WaitTimeSeconds) in the local Data API until their statement ends. Statements that must keep
// running wait on a gate (an advisory lock this test holds), opened when the machine has reached
// the point the test is about. `longPollMs` compresses a long poll the statement outlives, as
// `waitMs` compresses Wait states; without it the waits are real (and end at the statement's end).
import {
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  ListStatementsCommand,
} from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { executionCost, maxPolls, type StepScenario } from '../../generator/emit/limits.ts';
import type { HistoryEvent } from '../../local/executor/index.ts';
import type { ExecutionResult, LocalStack } from '../../local/stack.ts';
import { startTestStack } from '../support/shared-postgres.ts';
import type { Pipeline, StatementStep } from '../../generator/load/model.ts';
import { closedGate, pipelineFrom } from './helpers.ts';

let stack: LocalStack;
let gateKey = 7_130_000;

beforeAll(async () => {
  stack = await startTestStack({
    initSql: 'create table long_poll_rows (n int); insert into long_poll_rows values (1), (2), (3);',
  });
});

afterAll(async () => {
  await stack?.stop();
});

function spec(name: string, steps: string, longPoll = '30s'): Pipeline {
  return pipelineFrom(`version: 1
pipeline: ${name}
target: { cluster: analytics, database: dev, dbUser: etl }
defaults:
  timeout: 1h
  poll: { longPoll: ${longPoll} }
  retry: { attempts: 1, interval: 1s }
steps:
${steps}`);
}

type RunOptions = { longPollMs?: number; onEvent?: (event: HistoryEvent) => void };

function run(pipeline: Pipeline, options: RunOptions = {}): Promise<ExecutionResult> {
  return stack.execute(compilePipeline(pipeline).machine, {}, { retryIntervalMs: 2, ...options });
}

const entered = (result: ExecutionResult, prefix: string): string[] =>
  result.history
    .filter((event) => event.type.endsWith('StateEntered') && event.stateName?.startsWith(prefix))
    .map((event) => event.stateName ?? '');

/** DescribeStatement calls a step made (every Describe state of its loop, retries included). */
const describes = (result: ExecutionResult, stepId: string): number =>
  result.history.filter(
    (event) =>
      event.type === 'TaskScheduled' &&
      /^[^.]+\.Describe\d?$/.test(event.stateName ?? '') &&
      event.stateName?.startsWith(`${stepId}.`),
  ).length;

const stepRecord = (result: ExecutionResult, stepId: string): Record<string, unknown> =>
  (result.output as { steps?: Record<string, Record<string, unknown>> } | undefined)?.steps?.[stepId] ?? {};

/** Calls `then` once, the first time `when` holds for an event. */
function onceWhen(
  when: (event: HistoryEvent) => boolean,
  then: () => Promise<unknown>,
): { onEvent: (event: HistoryEvent) => void; done: () => Promise<unknown> } {
  let fired: Promise<unknown> | undefined;
  return {
    onEvent: (event) => {
      if (fired === undefined && when(event)) fired = then();
    },
    done: () => fired ?? Promise.resolve(),
  };
}

const taskStarted = (state: string, nth = 1) => {
  let seen = 0;
  return (event: HistoryEvent) => event.type === 'TaskStarted' && event.stateName === state && (seen += 1) === nth;
};

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

const observedCost = (result: ExecutionResult) => ({
  transitions: result.stateTransitions,
  events: result.historyEventCount,
});

function predicted(pipeline: Pipeline, scenario: (step: StatementStep) => StepScenario) {
  return executionCost(compilePipeline(pipeline), scenario);
}

describe('long polling on the local stack', () => {
  it('a statement that ends within the long poll: Execute, Describe, Status, Record — 4 transitions, no Wait state', async () => {
    const pipeline = spec('lp-short', '  - id: quick\n    sql: "select n from long_poll_rows"\n');
    const result = await run(pipeline);
    expect([result.status, result.error]).toEqual(['SUCCEEDED', undefined]);
    expect(entered(result, 'quick.')).toEqual(['quick.Execute', 'quick.Describe', 'quick.Status', 'quick.Record']);
    expect(stepRecord(result, 'quick')).toMatchObject({ Status: 'FINISHED', ResultRows: 3, HasResultSet: true });
    expect(observedCost(result)).toEqual(predicted(pipeline, () => ({ outcome: { kind: 'finished', polls: 1 } })));
  });

  it('a statement that ends while the submit waits leaves the loop on that very answer', async () => {
    const gate = await closedGate(stack, (gateKey += 1));
    try {
      const pipeline = spec('lp-during-submit', `  - id: gated\n    sql: "select count(*) as n from ${gate.sql} g"\n`);
      const opener = onceWhen(taskStarted('gated.Execute'), () => gate.open());
      const result = await run(pipeline, { onEvent: opener.onEvent });
      await opener.done();
      expect(result.status).toBe('SUCCEEDED');
      expect(entered(result, 'gated.')).toEqual(['gated.Execute', 'gated.Describe', 'gated.Status', 'gated.Record']);
    } finally {
      await gate.close();
    }
  });

  it('a long statement: rounds of three long polls, NextPolls between rounds, then its record and result; the counts are the budget arithmetic', async () => {
    const gate = await closedGate(stack, (gateKey += 1));
    try {
      const pipeline = spec(
        'lp-rounds',
        `  - id: long\n    sql: "select count(*) as n from ${gate.sql} g"\n    results: true\n`,
      );
      // Compressed windows; the gate opens as the first Describe of the third round starts.
      const opener = onceWhen(taskStarted('long.Describe', 3), () => gate.open());
      const result = await run(pipeline, { longPollMs: 5, onEvent: opener.onEvent });
      await opener.done();
      expect([result.status, result.error]).toEqual(['SUCCEEDED', undefined]);
      const states = entered(result, 'long.');
      expect(states.filter((state) => state === 'long.NextPolls')).toHaveLength(2);
      for (const state of ['long.Describe2', 'long.Status2', 'long.Describe3', 'long.Status3'])
        expect(states).toContain(state);
      expect(stepRecord(result, 'long')).toMatchObject({ Status: 'FINISHED', Result: { TotalNumRows: 1 } });
      const polls = describes(result, 'long');
      expect(polls).toBeGreaterThanOrEqual(7);
      expect(observedCost(result)).toEqual(
        predicted(pipeline, () => ({ outcome: { kind: 'finished', polls, hasResult: true } })),
      );
    } finally {
      await gate.close();
    }
  });

  it('timeout: the windows add up to the budget, then the statement is cancelled and the step fails Redshift.StatementTimeout', async () => {
    const pipeline = spec(
      'lp-timeout',
      '  - id: slow\n    sql: "select pg_sleep(30) as long_poll_slow"\n    timeout: 7s\n',
      '2s',
    );
    const slow = pipeline.steps[0] as StatementStep;
    const result = await run(pipeline, { longPollMs: 5 });
    expect([result.status, result.error]).toEqual(['FAILED', 'Redshift.StatementTimeout']);
    // The submit waits 1 s, then three Describe calls of 2 s: 7 s.
    expect(compilePipeline(pipeline).machine.States['slow.Execute']).toMatchObject({
      Parameters: { WaitTimeSeconds: 1 },
    });
    expect(maxPolls(slow)).toBe(3);
    expect(describes(result, 'slow')).toBe(3);
    const statement = await stack.clients.redshiftData.send(new DescribeStatementCommand({ Id: result.cause }));
    expect(statement.Status).toBe('ABORTED');
    expect(observedCost(result)).toEqual(predicted(pipeline, () => ({ outcome: { kind: 'timeout' } })));
  });

  it('FAILED during a long poll: Redshift.StatementFailed with the database error', async () => {
    const gate = await closedGate(stack, (gateKey += 1));
    try {
      // A 61 s budget in 30 s windows: the submit waits 1 s, then each Describe 30 s (real time here).
      const pipeline = spec(
        'lp-failed',
        `  - id: broken\n    sql: "select 1 / (count(*) - count(*)) from ${gate.sql} g"\n    timeout: 61s\n`,
      );
      const opener = onceWhen(taskStarted('broken.Describe'), () => gate.open());
      const result = await run(pipeline, { longPollMs: 60_000, onEvent: opener.onEvent });
      await opener.done();
      expect([result.status, result.error]).toEqual(['FAILED', 'Redshift.StatementFailed']);
      expect(result.cause).toMatch(/division by zero/);
      expect(entered(result, 'broken.').at(-1)).toBe('broken.Failed');
    } finally {
      await gate.close();
    }
  });

  it('ABORTED during a long poll (cancelled by someone else): Redshift.StatementAborted with the statement id', async () => {
    const gate = await closedGate(stack, (gateKey += 1));
    try {
      const pipeline = spec(
        'lp-aborted',
        `  - id: victim\n    sql: "select count(*) from ${gate.sql} g"\n    timeout: 61s\n`,
      );
      const data = stack.clients.redshiftData;
      let cancelled: string | undefined;
      const canceller = onceWhen(taskStarted('victim.Describe'), async () => {
        const { Statements = [] } = await data.send(
          new ListStatementsCommand({ StatementName: 'sfn-redshift/lp-aborted/victim', Status: 'STARTED' }),
        );
        cancelled = Statements[0]?.Id;
        await data.send(new CancelStatementCommand({ Id: cancelled }));
      });
      const result = await run(pipeline, { longPollMs: 60_000, onEvent: canceller.onEvent });
      await canceller.done();
      expect([result.status, result.error]).toEqual(['FAILED', 'Redshift.StatementAborted']);
      expect(result.cause).toBe(cancelled);
    } finally {
      await gate.close();
    }
  });

  it('ActiveWaitingRequestsExceededException (another caller waits on the statement): the long poll is retried with backoff', async () => {
    const gate = await closedGate(stack, (gateKey += 1));
    const data = stack.clients.redshiftData;
    try {
      const { Id } = await data.send(
        new ExecuteStatementCommand({
          ClusterIdentifier: 'analytics',
          Database: 'dev',
          DbUser: 'etl',
          Sql: `select count(*) from ${gate.sql} g`,
        }),
      );
      // Someone else long-polls the statement first: the local Data API lets one waiter per statement.
      const other = data.send(new DescribeStatementCommand({ Id, WaitTimeSeconds: 30 }));
      await until(() => stack.waitingRequests() === 1);
      // The compiled long poll of a step, as it stands in the machine (its Retry included).
      const compiled = compilePipeline(
        spec('lp-waiters', '  - id: w\n    sql: select 1\n    retry: { attempts: 5, interval: 1s }\n'),
      ).machine.States['w.Describe2'];
      expect(compiled?.Type === 'Task' ? compiled.Retry?.[0]?.ErrorEquals : []).toContain(
        'RedshiftData.ActiveWaitingRequestsExceededException',
      );
      const machine = {
        StartAt: 'w.Describe2',
        States: { 'w.Describe2': { ...compiled, Next: undefined, End: true } },
      };
      const opener = onceWhen(
        (event) => event.type === 'TaskFailed' && event.stateName === 'w.Describe2',
        () => gate.open(),
      );
      const result = await stack.execute(
        machine,
        { steps: { w: { Run: { Id } } } },
        { retryIntervalMs: 200, onEvent: opener.onEvent },
      );
      await opener.done();
      expect([result.status, result.error]).toEqual(['SUCCEEDED', undefined]);
      expect(result.history.find((event) => event.type === 'TaskFailed')?.error).toBe(
        'RedshiftData.ActiveWaitingRequestsExceededException',
      );
      expect((result.output as { steps: { w: { Statement: { Status: string } } } }).steps.w.Statement.Status).toBe(
        'FINISHED',
      );
      expect((await other).Status).toBe('FINISHED');
    } finally {
      await gate.close();
    }
  });

  it('a batch with results, a singleton step (run twice: the lock is released) and a results step', async () => {
    const pipeline = spec(
      'lp-kinds',
      `  - id: batch
    sqls: ["create temp table lp_batch as select n from long_poll_rows", "select n from lp_batch where n > :min order by n"]
    parameters: { min: 1 }
    results: true
  - id: only_one
    sql: "select count(*) as lp_singleton from long_poll_rows"
    singleton: true
  - id: rows
    sql: "select n from long_poll_rows order by n"
    results: true
`,
    );
    for (const attempt of [1, 2]) {
      const result = await run(pipeline);
      expect([attempt, result.status, result.error, result.cause]).toEqual([
        attempt,
        'SUCCEEDED',
        undefined,
        undefined,
      ]);
      expect(stepRecord(result, 'batch')).toMatchObject({ Status: 'FINISHED', Result: { TotalNumRows: 2 } });
      expect(stepRecord(result, 'only_one')).toMatchObject({ Status: 'FINISHED', ResultRows: 1 });
      expect(stepRecord(result, 'rows')).toMatchObject({ Status: 'FINISHED', Result: { TotalNumRows: 3 } });
      expect(entered(result, 'only_one.')).toContain('only_one.Release');
      expect(observedCost(result)).toEqual(
        predicted(pipeline, (step) => ({
          outcome: { kind: 'finished', polls: describes(result, step.id), hasResult: true },
        })),
      );
    }
  });
});
