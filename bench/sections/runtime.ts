// Runtime: the bundle's size and cold import time, invocations per second on the local stack, and
// singleton storms on one SQL: 200 concurrent runtime invocations (callback mode's lock), and 200
// concurrent executions of a poll-mode singleton step (the same lock taken by the machine itself).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../local/executor/aws.ts';
import { stateOf } from '../../generator/compile/plan.ts';
import { ourPlan } from '../lib/designs.ts';
import { median, summarize, type Summary } from '../lib/stats.ts';
import { execute, executionName, type BenchContext } from './context.ts';

export type ThroughputRow = {
  action: string;
  concurrency: number;
  invocations: number;
  seconds: number;
  perSecond: number;
  errors: number;
  latency: Summary;
};
export type StormResult = {
  contenders: number;
  winners: number;
  concurrentExecutionErrors: number;
  otherErrors: string[];
  /** Per contender: from invocation (or execution start) to its answer on the lock. */
  lockLatency: Summary;
  /** The winner's statement ran to FINISHED afterwards. */
  winnerFinished: boolean;
  wallMs: number;
};
export type RuntimeResults = {
  bundleBytes: number;
  bundleGzipBytes: number;
  importMs: { wall: Summary; cpu: Summary; runs: number };
  throughput: ThroughputRow[];
  storm: StormResult;
  pollStorm: StormResult;
};

function runningExecution(ctx: BenchContext, name: string): string {
  const arn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:bench-storm:${name}`;
  const stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:bench-storm`;
  ctx.stack.registry.startExecution(
    { executionArn: arn, stateMachineArn, name, startDate: new Date(), input: '{}' },
    (error, cause) =>
      ctx.stack.registry.finishExecution(arn, 'ABORTED', {
        ...(error !== undefined ? { error } : {}),
        ...(cause !== undefined ? { cause } : {}),
      }),
  );
  return arn;
}

const lambdaContext = () => ({ awsRequestId: randomUUID(), getRemainingTimeInMillis: () => 60_000 });

async function throughput(
  ctx: BenchContext,
  action: string,
  concurrency: number,
  seconds: number,
  event: () => unknown,
): Promise<ThroughputRow> {
  const deadline = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const begin = performance.now();
        try {
          await ctx.runtime.handler(event(), lambdaContext());
        } catch {
          errors += 1;
        }
        latencies.push(performance.now() - begin);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  return {
    action,
    concurrency,
    invocations: latencies.length,
    seconds: elapsed,
    perSecond: latencies.length / elapsed,
    errors,
    latency: summarize(latencies),
  };
}

async function runtimeStorm(ctx: BenchContext, contenders: number): Promise<StormResult> {
  const gate = await ctx.simulator.statement(Number.POSITIVE_INFINITY, 'timer');
  const sql = `select ${gate.sql} as storm`;
  const arns = Array.from({ length: contenders }, (_, index) =>
    runningExecution(ctx, `storm-${index}-${randomUUID().slice(0, 8)}`),
  );
  const started = performance.now();
  const outcomes = await Promise.all(
    arns.map(async (executionArn) => {
      const begin = performance.now();
      try {
        const answer = (await ctx.runtime.handler(
          { action: 'executeSingletonStatement', sqlStatement: sql, executionArn, stepId: 'storm' },
          lambdaContext(),
        )) as { Id?: string };
        return { ms: performance.now() - begin, id: answer.Id, error: undefined as string | undefined };
      } catch (error) {
        return {
          ms: performance.now() - begin,
          id: undefined,
          error: error instanceof Error ? error.name : String(error),
        };
      }
    }),
  );
  const wallMs = performance.now() - started;
  const winners = outcomes.filter((outcome) => outcome.id !== undefined);
  await ctx.simulator.release(gate);
  const winnerId = winners[0]?.id;
  const finished =
    winners.length === 1 && winnerId !== undefined ? (await ctx.simulator.settled(winnerId)) === 'FINISHED' : false;
  for (const arn of arns) ctx.stack.registry.finishExecution(arn, 'SUCCEEDED', {});
  return {
    contenders,
    winners: winners.length,
    concurrentExecutionErrors: outcomes.filter((outcome) => outcome.error === 'ConcurrentExecution').length,
    otherErrors: outcomes.flatMap((outcome) =>
      outcome.error !== undefined && outcome.error !== 'ConcurrentExecution' ? [outcome.error] : [],
    ),
    lockLatency: summarize(outcomes.map((outcome) => outcome.ms)),
    winnerFinished: finished,
    wallMs,
  };
}

async function pollStorm(ctx: BenchContext, contenders: number): Promise<StormResult> {
  const gate = await ctx.simulator.statement(Number.POSITIVE_INFINITY, 'timer');
  // One definition for all: the SQL (hence the lock key) is the same, the gate's key a literal.
  const plan = ourPlan({ mode: 'poll', sql: `select ${gate.sql} as poll_storm`, singleton: true });
  const singleton = plan.machine;
  const submitState = stateOf(plan.steps[0] as (typeof plan.steps)[number], 'Execute');
  ctx.stack.executor.prepare(singleton, { substitutions: { StateTableName: ctx.stack.stateTableName } });
  const started = performance.now();
  let decided = 0;
  const outcomes = await Promise.all(
    Array.from({ length: contenders }, async (_, index) => {
      const begin = performance.now();
      let decidedMs: number | undefined;
      const resultPromise = execute(ctx, singleton, {}, executionName(`poll-storm-${index}`), {
        waitMs: 20,
        onEvent(event) {
          // The winner: its statement is submitted (the lock is held). A loser: the execution fails.
          if (decidedMs === undefined && event.type === 'TaskStateEntered' && event.stateName === submitState) {
            decidedMs = performance.now() - begin;
            decided += 1;
            if (decided === contenders) void ctx.simulator.release(gate);
          }
          if (decidedMs === undefined && event.type === 'ExecutionFailed') {
            decidedMs = performance.now() - begin;
            decided += 1;
            if (decided === contenders) void ctx.simulator.release(gate);
          }
        },
      });
      const result = await resultPromise;
      return { ms: decidedMs ?? performance.now() - begin, status: result.status, error: result.error };
    }),
  );
  const wallMs = performance.now() - started;
  if (!gate.released) await ctx.simulator.release(gate);
  const winners = outcomes.filter((outcome) => outcome.status === 'SUCCEEDED');
  return {
    contenders,
    winners: winners.length,
    concurrentExecutionErrors: outcomes.filter((outcome) => outcome.error === 'ConcurrentExecution').length,
    otherErrors: outcomes.flatMap((outcome) =>
      outcome.status !== 'SUCCEEDED' && outcome.error !== 'ConcurrentExecution'
        ? [`${outcome.status} ${outcome.error ?? ''}`]
        : [],
    ),
    lockLatency: summarize(outcomes.map((outcome) => outcome.ms)),
    winnerFinished: winners.length === 1,
    wallMs,
  };
}

function importTimes(ctx: BenchContext, runs: number): { wall: number[]; cpu: number[] } {
  const outfile = ctx.runtimeBundle.outfile;
  const script = `const t=performance.now(),c=process.cpuUsage();import(${JSON.stringify(outfile)}).then(m=>{if(typeof m.handler!=='function')process.exit(3);const u=process.cpuUsage(c);console.log(JSON.stringify({wall:performance.now()-t,cpu:(u.user+u.system)/1000}))})`;
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < runs; run++) {
    const answer = JSON.parse(
      execFileSync(process.execPath, ['--no-warnings', '-e', script], { cwd: dirname(outfile) }).toString(),
    ) as { wall: number; cpu: number };
    wall.push(answer.wall);
    cpu.push(answer.cpu);
  }
  return { wall, cpu };
}

export async function runRuntime(ctx: BenchContext): Promise<RuntimeResults> {
  const bytes = readFileSync(ctx.runtimeBundle.outfile);
  const importRuns = ctx.quick ? 5 : 11;
  const imports = importTimes(ctx, importRuns);
  ctx.log(
    `  runtime bundle ${bytes.length} bytes, import median ${median(imports.wall).toFixed(0)} ms wall, ${median(imports.cpu).toFixed(0)} ms CPU`,
  );

  const seconds = ctx.quick ? 1 : 3;
  const executionArn = runningExecution(ctx, `throughput-${randomUUID().slice(0, 8)}`);
  const first = (await ctx.runtime.handler(
    { action: 'executeStatement', sqlStatement: 'select 1 as bench', executionArn, stepId: 'throughput' },
    lambdaContext(),
  )) as { Id: string };
  await ctx.simulator.settled(first.Id);
  const rows: ThroughputRow[] = [];
  for (const concurrency of [1, 8]) {
    rows.push(
      await throughput(ctx, 'describeStatement', concurrency, seconds, () => ({
        action: 'describeStatement',
        statementId: first.Id,
      })),
    );
    rows.push(
      await throughput(ctx, 'describeStatement LATEST', concurrency, seconds, () => ({
        action: 'describeStatement',
        statementId: 'LATEST',
        executionArn,
        stepId: 'throughput',
      })),
    );
    rows.push(
      await throughput(ctx, 'executeStatement', concurrency, seconds, () => ({
        action: 'executeStatement',
        sqlStatement: 'select 1 as bench',
        executionArn,
        stepId: 'throughput',
      })),
    );
  }
  ctx.stack.registry.finishExecution(executionArn, 'SUCCEEDED', {});
  for (const row of rows)
    ctx.log(
      `  ${row.action} ×${row.concurrency}: ${row.perSecond.toFixed(0)}/s (p50 ${row.latency.median.toFixed(1)} ms, ${row.errors} errors)`,
    );

  const storm = await runtimeStorm(ctx, 200);
  ctx.log(
    `  runtime storm: ${storm.winners} winner(s), ${storm.concurrentExecutionErrors} ConcurrentExecution, p50 ${storm.lockLatency.median.toFixed(0)} ms, p99 ${storm.lockLatency.p99.toFixed(0)} ms`,
  );
  const machineStorm = await pollStorm(ctx, 200);
  ctx.log(
    `  poll-mode storm: ${machineStorm.winners} winner(s), ${machineStorm.concurrentExecutionErrors} ConcurrentExecution, p50 ${machineStorm.lockLatency.median.toFixed(0)} ms, p99 ${machineStorm.lockLatency.p99.toFixed(0)} ms`,
  );
  return {
    bundleBytes: bytes.length,
    bundleGzipBytes: gzipSync(bytes).length,
    importMs: { wall: summarize(imports.wall), cpu: summarize(imports.cpu), runs: importRuns },
    throughput: rows,
    storm,
    pollStorm: machineStorm,
  };
}
