// A drop-in replacement for the original Python function: the integration machines of
// cdk-stepfunctions-redshift (written here as ASL from their public description, as CDK renders
// them: fixtures/cdk-stepfunctions-redshift/) run unchanged against the real runtime bundle with
// CALLBACK_COMPAT=cdk-stepfunctions-redshift, on the local stack (Data API on PostgreSQL, dynalite,
// the local executor and Step Functions API; completion events delivered as EventBridge would).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error bin/build.mjs is plain JavaScript without declarations
import { buildRuntime } from '../../bin/build.mjs';
import type { ExecuteOptions, LocalStack } from '../../local/stack.ts';
import { startTestStack } from '../support/shared-postgres.ts';
import type { LambdaContext } from '../../runtime/src/index.ts';
import { runPipeline } from '../../local/run-pipeline.ts';
import { closedGate, pipelineFrom } from './helpers.ts';

type Handler = (event: unknown, context?: LambdaContext) => Promise<unknown>;

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:cdk-stepfunctions-redshift';
/** The advisory lock the local stand-in of the original's f_slow UDF waits on (see the fixtures). */
const SLOW_GATE = 9009;
const FIXTURES = join(import.meta.dirname, 'fixtures', 'cdk-stepfunctions-redshift');
const machine = (name: string): unknown => JSON.parse(readFileSync(join(FIXTURES, `${name}.asl.json`), 'utf8'));
const CREATE_SLOW = (
  machine('cancelling_statement') as {
    States: { provideUdfSlowExecution: { Parameters: { Payload: { sqlStatement: string } } } };
  }
).States.provideUdfSlowExecution.Parameters.Payload.sqlStatement;

const dir = mkdtempSync(join(tmpdir(), 'sfn-redshift-original-'));
const bundle = join(dir, 'index.mjs');
let stack: LocalStack;
/** Execute invocations still running, so that a LATEST call can wait for the statement it names. */
const submitting = new Set<Promise<unknown>>();
/** Told whenever an execute invocation has answered (submitted, or refused). */
let onSubmitted: () => void = () => undefined;

beforeAll(async () => {
  stack = await startTestStack({ redshiftEventTarget: FUNCTION_ARN, initSql: CREATE_SLOW });
  await buildRuntime({ outfile: bundle });
  // The function's environment, then its cold start: the bundle reads CALLBACK_COMPAT on import.
  Object.assign(process.env, stack.lambdaEnvironment, {
    REDSHIFT_CLUSTER_ID: 'analytics',
    REDSHIFT_DATABASE: 'dev',
    REDSHIFT_DB_USER: 'etl',
    CALLBACK_COMPAT: 'cdk-stepfunctions-redshift',
  });
  const runtime = (await import(pathToFileURL(bundle).href)) as {
    handler: Handler;
    setLogSink: (sink: (line: string) => void) => void;
  };
  runtime.setLogSink(() => undefined);
  stack.registerFunction(FUNCTION_ARN, async (event, context) => {
    const call = event as { sqlStatement?: unknown; statementId?: unknown };
    // A heartbeat timeout may fire before the slow statement's submit has registered it for LATEST;
    // in AWS the 10 s heartbeat leaves ample time, here the follow-up call waits for it instead.
    if (call.statementId === 'LATEST') await Promise.all([...submitting]);
    const invocation = runtime.handler(event, context as LambdaContext);
    if (call.sqlStatement !== undefined) {
      const tracked = invocation.catch(() => undefined);
      submitting.add(tracked);
      void tracked.finally(() => {
        submitting.delete(tracked);
        onSubmitted();
      });
    }
    return invocation;
  });
});

afterAll(async () => {
  await stack?.stop();
  delete process.env.CALLBACK_COMPAT;
  rmSync(dir, { recursive: true, force: true });
});

function run(name: string, options: ExecuteOptions = {}) {
  return stack.execute(
    machine(name),
    {},
    { waitMs: 5, retryIntervalMs: 5, ...options, substitutions: { RuntimeFunctionArn: FUNCTION_ARN } },
  );
}

describe('cdk-stepfunctions-redshift machines, unchanged, on the runtime bundle', () => {
  it('success_and_fail: a statement succeeds, then an invalid one is caught as FAILED with the event as cause', async () => {
    const result = await run('success_and_fail');
    expect([result.status, result.error]).toEqual(['SUCCEEDED', undefined]);
    const entered = result.history
      .filter((event) => event.type.endsWith('StateEntered'))
      .map((event) => event.stateName);
    expect(entered).toEqual([
      'StartRedshiftStatementAndWaitForCallback',
      'StartInvalidRedshiftStatementAndWaitForCallback',
      'Succeed',
    ]);
    // The Catch (no ResultPath) hands on the error: FAILED, and the completion event as JSON.
    const { Error: error, Cause: cause } = result.output as { Error: string; Cause: string };
    expect(error).toBe('FAILED');
    expect(JSON.parse(cause)).toMatchObject({
      source: 'aws.redshift-data',
      'detail-type': 'Redshift Data Statement Status Change',
      detail: {
        state: 'FAILED',
        statementId: expect.any(String),
        statementName: expect.stringMatching(/^sfn-redshift\//),
      },
    });
  });

  it('polling: execute without action, then describeStatement until FINISHED', async () => {
    const gate = await closedGate(stack, SLOW_GATE);
    try {
      // The statement stays STARTED (the loop goes round) until the first describe has seen it so.
      let polls = 0;
      const result = await run('polling', {
        onEvent: (event) => {
          if (event.type === 'TaskStateExited' && event.stateName === 'checkExecutionStateRSTask' && ++polls === 1)
            void gate.open();
        },
      });
      expect([result.status, result.error]).toEqual(['SUCCEEDED', undefined]);
      expect(polls).toBeGreaterThanOrEqual(2);
      expect(result.output).toMatchObject({ executionDetails: { Status: 'FINISHED', Id: expect.any(String) } });
    } finally {
      await gate.open();
      await gate.close();
    }
  });

  it('cancelling_statement: a heartbeat timeout leads to cancelStatement LATEST, then describeStatement LATEST shows ABORTED', async () => {
    const gate = await closedGate(stack, SLOW_GATE);
    try {
      // HeartbeatSeconds 10 → 0.5 s; the slow statement waits on the closed gate meanwhile.
      const result = await run('cancelling_statement', { timeoutScale: 0.05 });
      expect([result.status, result.error]).toEqual(['SUCCEEDED', undefined]);
      const entered = result.history
        .filter((event) => event.type.endsWith('StateEntered'))
        .map((event) => event.stateName);
      expect(entered.slice(0, 4)).toEqual([
        'provideUdfSlowExecution',
        'startSlowQuery',
        'cancelSlowQuery',
        'describeCanceledSlowQuery',
      ]);
      expect(entered.at(-1)).toBe('cancelingSucceeded');
      expect(
        result.history.find((event) => event.stateName === 'startSlowQuery' && event.type === 'TaskTimedOut')?.error,
      ).toBe('States.HeartbeatTimeout');
      expect(result.output).toMatchObject({
        executionCancelDetails: { Status: true },
        executionDetails: { Status: 'ABORTED' },
      });
    } finally {
      await gate.open();
      await gate.close();
    }
  });

  it('parallel_no_concurrency: of ten branches racing one singleton statement exactly one runs, nine get ConcurrentExecution (20 runs)', async () => {
    for (let iteration = 1; iteration <= 20; iteration++) {
      const gate = await closedGate(stack, SLOW_GATE);
      try {
        // Every statement that got through waits on the gate until all ten branches had their answer.
        let answered = 0;
        onSubmitted = () => void (++answered === 10 && gate.open());
        const result = await run('parallel_no_concurrency');
        expect([iteration, result.status]).toEqual([iteration, 'SUCCEEDED']);
        const branches = (result.output as { results: Record<string, unknown>[] }).results;
        const ran = branches.filter((branch) => 'executionDetails' in branch);
        const concurrent = branches.filter((branch) => branch.Error === 'ConcurrentExecution');
        expect([iteration, ran.length, concurrent.length]).toEqual([iteration, 1, 9]);
        expect(ran[0]).toMatchObject({
          executionDetails: { source: 'aws.redshift-data', detail: { state: 'FINISHED' } },
        });
      } finally {
        onSubmitted = () => undefined;
        await gate.open();
        await gate.close();
      }
    }
  }, 180_000);
});

describe('the same runtime deployment during a migration', () => {
  it('serves a generated callback pipeline with the contract’s step record and errors', async () => {
    const result = await runPipeline(
      pipelineFrom(`version: 1
pipeline: migrated
mode: callback
target: { cluster: analytics, database: dev, dbUser: etl }
steps:
  - id: first
    sql: select getdate()
  - id: invalid
    sql: select get_date()
`),
      { stack, waitMs: 5, substitutions: { RuntimeFunctionArn: FUNCTION_ARN } },
    );
    expect([result.status, result.error]).toEqual(['FAILED', 'Redshift.StatementFailed']);
    expect(result.cause).toMatch(/get_date/);
    expect(result.steps.map((step) => [step.stepId, step.phase])).toEqual([
      ['first', 'succeeded'],
      ['invalid', 'failed'],
    ]);
  });
});

it('an invalid CALLBACK_COMPAT fails the cold start, naming the variable and the valid values', () => {
  const script = `import(${JSON.stringify(pathToFileURL(bundle).href)}).then(() => process.exit(0), (error) => { console.error(error.name + ': ' + error.message); process.exit(1); })`;
  const env = { ...process.env, CALLBACK_COMPAT: 'cdk-stepfunctions' };
  const result = spawnSync(process.execPath, ['--no-warnings', '-e', script], { cwd: dir, env, encoding: 'utf8' });
  expect(result.status).toBe(1);
  expect(result.stderr.trim()).toBe(
    'InvalidConfiguration: CALLBACK_COMPAT: must be unset or one of: cdk-stepfunctions-redshift; got "cdk-stepfunctions"',
  );
});
