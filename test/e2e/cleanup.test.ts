// No orphan statements (issue 14), end to end on the local stack: when an execution is stopped,
// times out or fails, the cleanup rule ("Step Functions Execution Status Change") starts the reaper
// machine, which runs as the pipelines' role and cancels their poll-mode statements, and invokes the
// runtime, which cancels the statements it submitted (callback steps) and releases their locks.
// The Data API shows each role only its own statements, as AWS does, so each does its own part.
import {
  ListStatementsCommand,
  DescribeStatementCommand,
  CancelStatementCommand,
  type StatementData,
} from '@aws-sdk/client-redshift-data';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { reaperMachine } from '../../generator/compile/reaper.ts';
import { reaperPageSizeFor } from '../../generator/emit/state-size.ts';
import type { ExecutionStatusChangeEvent, LocalStack } from '../../local/stack.ts';
import { startTestStack } from '../support/shared-postgres.ts';
import { handler, setLogSink } from '../../runtime/src/index.ts';
import { pipelineFrom, run, sql } from './helpers.ts';

const RUNTIME_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:sfn-redshift-runtime';
const PREFIX = 'cleanup-';
const STOPPED = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;
const REAPER = 'sfn-redshift-reaper';
let stack: LocalStack;
/** Set by a test to hold Data API requests (a request in flight). */
let held: ((operation: string, input: Readonly<Record<string, unknown>>) => Promise<void> | undefined) | undefined;
const reaperRuns: ExecutionStatusChangeEvent[] = [];

beforeAll(async () => {
  stack = await startTestStack({
    initSql: 'create table sleep_for (seconds float); insert into sleep_for values (60);',
    // The reaper's Settle wait (60 s) in 20 ms.
    ruleWaitMs: 20,
    holdDataApiRequest: (operation, input) => held?.(operation, input),
    redshiftEventTarget: RUNTIME_ARN,
    executionEventRules: [
      { stateMachineNamePrefix: PREFIX, statuses: STOPPED, target: { function: RUNTIME_ARN } },
      {
        stateMachineNamePrefix: PREFIX,
        statuses: STOPPED,
        // The page size generate writes for short statements like these tests' (reaperPageSize).
        target: { stateMachine: { name: REAPER, definition: reaperMachine(100) } },
      },
    ],
    onExecutionEvent: (event) => {
      if (event.detail.stateMachineArn.endsWith(`:${REAPER}`) && event.detail.status !== 'RUNNING')
        reaperRuns.push(event);
    },
  });
  Object.assign(process.env, stack.lambdaEnvironment, {
    REDSHIFT_CLUSTER_ID: 'analytics',
    REDSHIFT_DATABASE: 'dev',
    CLEANUP_STATE_MACHINE_PREFIX: PREFIX,
  });
  setLogSink(() => undefined);
  stack.registerFunction(RUNTIME_ARN, (event, context) => handler(event, context));
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

function machine(yaml: string) {
  return compilePipeline(pipelineFrom(yaml)).machine;
}

const spec = (mode: 'poll' | 'callback', steps: string) => `version: 1
pipeline: reaped
mode: ${mode}
target: { cluster: analytics, database: dev, dbUser: etl }
defaults: { poll: { initial: 1s, max: 1s }, timeout: 1h }
steps:
${steps}`;

const SLEEPY = 'select pg_sleep(seconds) from sleep_for';
const singleton = (mode: 'poll' | 'callback') => spec(mode, `  - { id: sleepy, sql: "${SLEEPY}", singleton: true }`);

function start(definition: unknown, stateMachineName: string, options: { name?: string } = {}) {
  return stack.execute(
    definition,
    {},
    { stateMachineName, waitMs: 20, substitutions: { RuntimeFunctionArn: RUNTIME_ARN }, ...options },
  );
}

/** Statements of either role whose name ends with the execution's suffix, once `count` of them run. */
async function runningOf(executionArn: string, count = 1): Promise<string[]> {
  const suffix = executionArn.split(':').slice(6).join(':');
  for (;;) {
    const found: string[] = [];
    for (const client of [stack.clients.redshiftData, stack.clients.runtimeRedshiftData]) {
      for (const status of ['SUBMITTED', 'PICKED', 'STARTED'] as StatementData['Status'][]) {
        const { Statements = [] } = await client.send(
          new ListStatementsCommand({ StatementName: 'sfn-redshift/', Status: status, MaxResults: 100 }),
        );
        found.push(...Statements.filter((s) => s.StatementName?.endsWith(`/${suffix}`)).map((s) => s.Id ?? ''));
      }
    }
    if (found.length >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function statusOf(id: string): Promise<string | undefined> {
  for (const client of [stack.clients.redshiftData, stack.clients.runtimeRedshiftData]) {
    try {
      return (await client.send(new DescribeStatementCommand({ Id: id }))).Status;
    } catch {
      // the other role's statement
    }
  }
  return undefined;
}

/** Sessions running a statement whose text has `marker`, straight from PostgreSQL. */
async function activeSleepsOf(marker: string): Promise<number> {
  const rows = await sql<{ n: number }>(
    stack,
    `select count(*)::int as n from pg_stat_activity where state = 'active' and query like '%${marker}%' and query not like '%pg_stat_activity%' and datname = current_database()`,
  );
  return rows[0]?.n ?? 0;
}

async function activeSleeps(): Promise<number> {
  const rows = await sql<{ n: number }>(
    stack,
    "select count(*)::int as n from pg_stat_activity where state = 'active' and query like '%pg_sleep(seconds)%' and pid <> pg_backend_pid() and datname = current_database()",
  );
  return rows[0]?.n ?? -1;
}

async function lockItems(): Promise<number> {
  const { Items = [] } = await stack.clients.dynamodb.send(
    new ScanCommand({ TableName: stack.stateTableName, ConsistentRead: true }),
  );
  return Items.filter((item) => item.sk?.S === 'lock').length;
}

async function stopAndReap(executionArn: string): Promise<void> {
  await stack.clients.sfn.send(
    new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'stopped by the test' }),
  );
}

describe('a stopped execution leaves nothing running', () => {
  it('poll mode: StopExecution mid-statement → the reaper (pipeline role) cancels it, the lock is free for a rerun', async () => {
    const definition = machine(singleton('poll'));
    const execution = start(definition, `${PREFIX}poll`, { name: 'stop-poll' });
    const arn = `arn:aws:states:us-east-1:123456789012:execution:${PREFIX}poll:stop-poll`;
    const [statement = ''] = await runningOf(arn);
    expect(await activeSleeps()).toBeGreaterThan(0);
    await stopAndReap(arn);
    expect((await execution).status).toBe('ABORTED');
    await stack.drainExecutionEvents();
    expect(await statusOf(statement)).toBe('ABORTED');
    expect(await activeSleeps()).toBe(0);
    expect(reaperRuns.at(-1)?.detail.status).toBe('SUCCEEDED');
    // The lock's statement is terminal, so a rerun takes it over instead of ConcurrentExecution.
    await sql(stack, 'update sleep_for set seconds = 0.01');
    try {
      expect((await start(definition, `${PREFIX}poll`)).status).toBe('SUCCEEDED');
      expect(await lockItems()).toBe(0);
    } finally {
      await sql(stack, 'update sleep_for set seconds = 60');
    }
  });

  it('callback mode: StopExecution mid-statement → the runtime cancels it and deletes its lock', async () => {
    const definition = machine(singleton('callback'));
    const execution = start(definition, `${PREFIX}callback`, { name: 'stop-callback' });
    const arn = `arn:aws:states:us-east-1:123456789012:execution:${PREFIX}callback:stop-callback`;
    const [statement = ''] = await runningOf(arn);
    expect(await lockItems()).toBe(1);
    await stopAndReap(arn);
    expect((await execution).status).toBe('ABORTED');
    await stack.drainExecutionEvents();
    expect(await statusOf(statement)).toBe('ABORTED');
    expect(await activeSleeps()).toBe(0);
    expect(await lockItems()).toBe(0);
  });

  it('an execution timeout (TIMED_OUT) is reaped too', async () => {
    const definition = { ...machine(spec('poll', `  - { id: sleepy, sql: "${SLEEPY}" }`)), TimeoutSeconds: 1 };
    const result = await start(definition, `${PREFIX}timeout`, { name: 'times-out' });
    expect(result.status).toBe('TIMED_OUT');
    await stack.drainExecutionEvents();
    expect(await activeSleeps()).toBe(0);
    const suffix = `${PREFIX}timeout:times-out`;
    const { Statements = [] } = await stack.clients.redshiftData.send(
      new ListStatementsCommand({ StatementName: 'sfn-redshift/reaped/sleepy/', Status: 'ABORTED' }),
    );
    expect(Statements.filter((s) => s.StatementName?.endsWith(suffix))).toHaveLength(1);
  });

  it('runPipeline timeoutSeconds (run --timeout) on a given stack without the rule: TIMED_OUT with States.Timeout, and the run cancels its statement itself', async () => {
    const yaml = spec('poll', `  - { id: sleepy, sql: "${SLEEPY}" }`).replace(
      'pipeline: reaped',
      'pipeline: unreaped-timeout',
    );
    const result = await run(stack, yaml, { waitMs: 20, timeoutSeconds: 1 });
    expect(result).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(result.cleanup).toBeUndefined();
    const statement = result.steps.find((step) => step.stepId === 'sleepy')?.statementId ?? '';
    expect(await statusOf(statement)).toBe('ABORTED');
    expect(await activeSleeps()).toBe(0);
  });

  it('a Parallel step whose branch fails: the execution fails with the original error and the long branch is cancelled', async () => {
    const definition = machine(
      spec(
        'poll',
        `  - id: both
    parallel:
      - steps: [{ id: long, sql: "${SLEEPY}" }]
      - steps: [{ id: broken, sql: "select * from no_such_table_for_cleanup" }]`,
      ),
    );
    const result = await start(definition, `${PREFIX}parallel`, { name: 'one-fails' });
    expect([result.status, result.error]).toEqual(['FAILED', 'Redshift.StatementFailed']);
    expect(result.cause).toContain('no_such_table_for_cleanup');
    await stack.drainExecutionEvents();
    expect(await activeSleeps()).toBe(0);
  });

  it("another machine's stopped executions are left alone; repeated events are harmless", async () => {
    const definition = machine(spec('poll', `  - { id: sleepy, sql: "${SLEEPY}" }`));
    const execution = start(definition, 'foreign-machine', { name: 'not-ours' });
    const arn = 'arn:aws:states:us-east-1:123456789012:execution:foreign-machine:not-ours';
    const [statement = ''] = await runningOf(arn);
    await stopAndReap(arn);
    expect((await execution).status).toBe('ABORTED');
    await stack.drainExecutionEvents();
    expect(await statusOf(statement)).toBe('STARTED');
    await stack.clients.redshiftData.send(new CancelStatementCommand({ Id: statement }));

    const ours = start(definition, `${PREFIX}repeat`, { name: 'repeated' });
    const oursArn = `arn:aws:states:us-east-1:123456789012:execution:${PREFIX}repeat:repeated`;
    await runningOf(oursArn);
    await stopAndReap(oursArn);
    await ours;
    await stack.drainExecutionEvents();
    const event = stack.registry.getExecution(oursArn);
    expect(event?.status).toBe('ABORTED');
    const { executionStatusChangeEvent } = await import('../../local/sfn-events.ts');
    const again = executionStatusChangeEvent(event as NonNullable<typeof event>);
    const reaped = await Promise.all([
      stack.execute(reaperMachine(100), again, { stateMachineName: REAPER, waitMs: 20 }),
      stack.execute(reaperMachine(100), again, { stateMachineName: REAPER, waitMs: 20 }),
    ]);
    expect(reaped.map((run) => run.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(await handler(again)).toBeNull();
  });

  it('a burst of 100 stopped executions: no statement is left running', async () => {
    const definition = machine(spec('poll', `  - { id: sleepy, sql: "${SLEEPY}" }`));
    const names = Array.from({ length: 100 }, (_, index) => `burst-${index}`);
    const executions = names.map((name) => start(definition, `${PREFIX}burst`, { name }));
    await runningNamed(`sfn-redshift/reaped/sleepy/${PREFIX}burst:`, names.length);
    await Promise.all(
      names.map((name) => stopAndReap(`arn:aws:states:us-east-1:123456789012:execution:${PREFIX}burst:${name}`)),
    );
    expect((await Promise.all(executions)).every((run) => run.status === 'ABORTED')).toBe(true);
    await stack.drainExecutionEvents();
    expect(await runningNamed('sfn-redshift/', 0)).toBe(0);
    expect(await activeSleeps()).toBe(0);
    expect(reaperRuns.filter((run) => run.detail.status !== 'SUCCEEDED')).toEqual([]);
  }, 600_000);
});

// Stopping an execution cannot recall a Data API request one of its Tasks already sent: the
// statement may appear after the reaper's first sweep, so the reaper sweeps again after a while.
describe('a submit still in flight when the execution stops', () => {
  it('is cancelled by the second sweep', async () => {
    const marker = 'in_flight_submit';
    let releaseSubmit: () => void = () => undefined;
    const submitHeld = new Promise<void>((resolve) => {
      held = (operation, input) => {
        if (operation === 'ExecuteStatement' && String(input.Sql).includes(marker)) {
          resolve();
          return new Promise<void>((release) => {
            releaseSubmit = release;
          });
        }
        if (operation === 'ListStatements' && input.RoleLevel === true && listsAfterStop !== undefined) {
          listsAfterStop += 1;
          // The first sweep lists three statuses; before the second sweep lists, the submit arrives.
          if (listsAfterStop === 4) return arrived();
        }
        return undefined;
      };
    });
    let listsAfterStop: number | undefined;
    let released = false;
    const arrived = async () => {
      released = true;
      releaseSubmit();
      for (;;) {
        if ((await activeSleepsOf(marker)) > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    try {
      const definition = machine(spec('poll', `  - { id: sleepy, sql: "${SLEEPY} -- ${marker}" }`));
      const execution = start(definition, `${PREFIX}inflight`, { name: 'in-flight' });
      await submitHeld;
      listsAfterStop = 0;
      await stopAndReap(`arn:aws:states:us-east-1:123456789012:execution:${PREFIX}inflight:in-flight`);
      expect((await execution).status).toBe('ABORTED');
      await stack.drainExecutionEvents();
      // Without a second sweep the submit would arrive after the reaper is done: let it arrive now.
      if (!released) await arrived();
      expect(await activeSleepsOf(marker)).toBe(0);
      expect(listsAfterStop).toBeGreaterThanOrEqual(6);
    } finally {
      held = undefined;
      await sql(
        stack,
        `select pg_cancel_backend(pid) from pg_stat_activity where query like '%${marker}%' and pid <> pg_backend_pid()`,
      );
    }
  });
});

// A ListStatements page carries each statement's SQL text, and a Task's answer over 256 KiB fails
// the reaper with States.DataLimitExceeded ("Step Functions service quotas"): its page size follows
// the largest statement of the pipelines it serves.
describe('the reaper and long SQL', () => {
  it('lists 60 KB statements in pages that fit, where pages of 100 would end in States.DataLimitExceeded', async () => {
    const padding = `-- ${'p'.repeat(60_000)}`;
    const pipeline = pipelineFrom(spec('poll', `  - { id: sleepy, sql: "${SLEEPY} ${padding}" }`));
    const definition = compilePipeline(pipeline).machine;
    const names = ['long-0', 'long-1', 'long-2', 'long-3', 'long-4'];
    // Not a cleanup- machine: no rule reaps these, the reapers below are started by hand.
    const executions = names.map((name) => start(definition, 'long-sql', { name }));
    const arnOf = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:long-sql:${name}`;
    const statements = await Promise.all(names.map(async (name) => (await runningOf(arnOf(name)))[0] ?? ''));
    const [statement = '', ...others] = statements;
    await stopAndReap(arnOf('long-0'));
    await stack.drainExecutionEvents();
    const { executionStatusChangeEvent } = await import('../../local/sfn-events.ts');
    const stopped = stack.registry.getExecution(arnOf('long-0'));
    const event = executionStatusChangeEvent(stopped as NonNullable<typeof stopped>);

    const pageSize = reaperPageSizeFor([pipeline]);
    expect(pageSize).toBe(3);
    const tooLong = await stack.execute(reaperMachine(100), event, { stateMachineName: REAPER, waitMs: 20 });
    expect(tooLong.status).toBe('FAILED');
    expect(tooLong.error).toBe('States.DataLimitExceeded');
    expect(await statusOf(statement)).toBe('STARTED');
    const fitting = await stack.execute(reaperMachine(pageSize), event, { stateMachineName: REAPER, waitMs: 20 });
    expect(fitting.status).toBe('SUCCEEDED');
    expect(await statusOf(statement)).toBe('ABORTED');
    expect(await Promise.all(others.map(statusOf))).toEqual(others.map(() => 'STARTED'));
    for (const name of names.slice(1)) await stopAndReap(arnOf(name));
    await Promise.all(executions);
    for (const id of others) await stack.clients.redshiftData.send(new CancelStatementCommand({ Id: id }));
  });
});

/** How many statements named with `prefix` are SUBMITTED/PICKED/STARTED, once at least `atLeast`. */
async function runningNamed(prefix: string, atLeast: number): Promise<number> {
  for (;;) {
    let count = 0;
    for (const status of ['SUBMITTED', 'PICKED', 'STARTED'] as StatementData['Status'][]) {
      let token: string | undefined;
      do {
        const page = await stack.clients.redshiftData.send(
          new ListStatementsCommand({
            StatementName: prefix,
            Status: status,
            MaxResults: 100,
            ...(token ? { NextToken: token } : {}),
          }),
        );
        count += page.Statements?.length ?? 0;
        token = page.NextToken;
      } while (token !== undefined);
    }
    if (count >= atLeast) return count;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
