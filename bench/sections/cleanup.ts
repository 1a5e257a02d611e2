// Cleanup after a stopped execution (issue 14): real time from StopExecution to the statement
// ABORTED on the local stack, in poll mode (the reaper machine, as the pipeline's role) and in
// callback mode (the runtime Lambda), one stop at a time and as a burst of simultaneous stops.
// Runs on a stack of its own, whose cleanup rule routes the execution events as the template does.
import {
  DescribeStatementCommand,
  ListStatementsCommand,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { performance } from 'node:perf_hooks';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { reaperMachine, reaperPageSize } from '../../generator/compile/reaper.ts';

/** The bench's statements are short: the reaper pages as generate would write it for them. */
const SHORT_STATEMENT_BYTES = 4096;
import { loadPipeline } from '../../generator/load/load.ts';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { summarize, type Summary } from '../lib/stats.ts';
import type { BenchOptions, RuntimeModule } from './context.ts';

export type CleanupResults = {
  /** Per mode: ms from StopExecution's answer to DescribeStatement reporting ABORTED. */
  single: { mode: 'poll' | 'callback'; latencyMs: Summary }[];
  /** `size` executions stopped at once (poll mode): ms until the last of their statements was ABORTED. */
  burst: { size: number; lastAbortedMs: number; perStatementMs: Summary };
};

const RUNTIME_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:sfn-redshift-runtime';
const PREFIX = 'bench-cleanup-';
const ACCOUNT_EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution';

function machineOf(mode: 'poll' | 'callback') {
  const { pipeline, errors } = loadPipeline({
    path: 'cleanup.yaml',
    text: `version: 1\npipeline: reaped\nmode: ${mode}\ntarget: { cluster: analytics, database: dev, dbUser: etl }\nsteps:\n  - { id: sleepy, sql: "select pg_sleep(3600)" }\n`,
  });
  if (!pipeline) throw new Error(errors.map((error) => error.message).join('\n'));
  return compilePipeline(pipeline).machine;
}

/** One Data API call, again after a dropped keep-alive connection (a loaded machine resets some). */
async function again<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= 5 || (code !== 'ECONNRESET' && code !== 'EPIPE')) throw error;
    }
  }
}

async function statementOf(client: RedshiftDataClient, suffix: string): Promise<string> {
  for (;;) {
    const { Statements = [] } = await again(() =>
      client.send(
        new ListStatementsCommand({ StatementName: 'sfn-redshift/reaped/sleepy/', Status: 'STARTED', MaxResults: 100 }),
      ),
    );
    const found = Statements.find((statement) => statement.StatementName?.endsWith(`/${suffix}`));
    if (found?.Id !== undefined) return found.Id;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function abortedAfter(client: RedshiftDataClient, id: string, since: number): Promise<number> {
  for (;;) {
    const { Status } = await again(() => client.send(new DescribeStatementCommand({ Id: id })));
    if (Status === 'ABORTED') return performance.now() - since;
    if (Status === 'FINISHED' || Status === 'FAILED') throw new Error(`statement ${id} ended ${Status}, not ABORTED`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function stopAndTime(stack: LocalStack, mode: 'poll' | 'callback', name: string): Promise<number> {
  const machineName = `${PREFIX}${mode}`;
  const client = mode === 'poll' ? stack.clients.redshiftData : stack.clients.runtimeRedshiftData;
  const run = stack.execute(
    machineOf(mode),
    {},
    { stateMachineName: machineName, name, waitMs: 20, substitutions: { RuntimeFunctionArn: RUNTIME_ARN } },
  );
  const id = await statementOf(client, `${machineName}:${name}`);
  await stack.clients.sfn.send(
    new StopExecutionCommand({ executionArn: `${ACCOUNT_EXECUTION}:${machineName}:${name}` }),
  );
  const stopped = performance.now();
  const latency = await abortedAfter(client, id, stopped);
  await run;
  await stack.drainExecutionEvents();
  return latency;
}

export async function runCleanup(options: BenchOptions): Promise<CleanupResults> {
  const stack = await startLocalStack({
    redshiftEventTarget: RUNTIME_ARN,
    // The reaper's second sweep (its Settle wait of a minute) in 20 ms; the first sweep cancels.
    ruleWaitMs: 20,
    executionEventRules: [
      {
        stateMachineNamePrefix: PREFIX,
        statuses: ['ABORTED', 'TIMED_OUT', 'FAILED'],
        target: { function: RUNTIME_ARN },
      },
      {
        stateMachineNamePrefix: PREFIX,
        statuses: ['ABORTED', 'TIMED_OUT', 'FAILED'],
        target: {
          stateMachine: {
            name: 'sfn-redshift-reaper',
            definition: reaperMachine(reaperPageSize(SHORT_STATEMENT_BYTES)),
          },
        },
      },
    ],
  });
  try {
    Object.assign(process.env, stack.lambdaEnvironment, {
      REDSHIFT_CLUSTER_ID: 'analytics',
      REDSHIFT_DATABASE: 'dev',
      CLEANUP_STATE_MACHINE_PREFIX: PREFIX,
    });
    // The runtime from the sources: its SDK clients are created for this stack (the bundle's serve the main one).
    const runtime = (await import('../../runtime/src/index.ts')) as RuntimeModule;
    runtime.setLogSink(() => undefined);
    stack.registerFunction(RUNTIME_ARN, (event, context) => runtime.handler(event, context));
    const samples = options.quick ? 5 : 20;
    const single: CleanupResults['single'] = [];
    for (const mode of ['poll', 'callback'] as const) {
      const latencies: number[] = [];
      for (let index = 0; index < samples; index++) latencies.push(await stopAndTime(stack, mode, `single-${index}`));
      single.push({ mode, latencyMs: summarize(latencies) });
      options.log(`  ${mode}: StopExecution → ABORTED median ${summarize(latencies).median.toFixed(1)} ms`);
    }
    const size = options.quick ? 10 : 25;
    const machine = machineOf('poll');
    const names = Array.from({ length: size }, (_, index) => `burst-${index}`);
    const runs = names.map((name) =>
      stack.execute(machine, {}, { stateMachineName: `${PREFIX}poll`, name, waitMs: 20 }),
    );
    const ids = await Promise.all(
      names.map((name) => statementOf(stack.clients.redshiftData, `${PREFIX}poll:${name}`)),
    );
    const started = performance.now();
    await Promise.all(
      names.map((name) =>
        again(() =>
          stack.clients.sfn.send(
            new StopExecutionCommand({ executionArn: `${ACCOUNT_EXECUTION}:${PREFIX}poll:${name}` }),
          ),
        ),
      ),
    );
    const perStatement = await Promise.all(ids.map((id) => abortedAfter(stack.clients.redshiftData, id, started)));
    await Promise.all(runs);
    await stack.drainExecutionEvents();
    return {
      single,
      burst: { size, lastAbortedMs: Math.max(...perStatement), perStatementMs: summarize(perStatement) },
    };
  } finally {
    await stack.stop();
  }
}

export function cleanupSection(results: CleanupResults): string[] {
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  return [
    '## Cleanup: StopExecution → statement cancelled',
    '',
    "Real time from StopExecution's answer to DescribeStatement reporting the running statement ABORTED (issue 14), on the local stack: the " +
      "execution status change event goes through the cleanup rule to the reaper machine (poll mode, it runs as the machines' role) and to the " +
      'runtime (callback mode). On AWS, EventBridge delivery and the start of a Lambda invocation or an execution add their own latency, not measured here.',
    '',
    '| mode | n | median | p95 | max |',
    '|---|--:|--:|--:|--:|',
    ...results.single.map(
      ({ mode, latencyMs }) =>
        `| ${mode === 'poll' ? 'poll (reaper machine)' : 'callback (runtime)'} | ${latencyMs.n} | ${ms(latencyMs.median)} | ${ms(latencyMs.p95)} | ${ms(latencyMs.max)} |`,
    ),
    '',
    `A burst of ${results.burst.size} executions stopped at once (poll mode): every statement ABORTED after at most ${ms(results.burst.lastAbortedMs)} ` +
      `(per statement: median ${ms(results.burst.perStatementMs.median)}, p95 ${ms(results.burst.perStatementMs.p95)}).`,
    '',
  ];
}
