// Cost per statement: state transitions and history events of one execution running one statement
// of 10 s, 1 min, 10 min, 1 h and 24 h, for our poll and callback modes and the baselines, in
// simulated time (see lib/simulator.ts), each checked against the cost model (lib/model.ts); a
// statement that never ends; and real-time runs that confirm the simulated counts.
import type { ExecutionResult } from '../../local/stack.ts';
import { SPEC_DEFAULTS } from '../../generator/load/defaults.ts';
import {
  LONG_POLL_SECONDS,
  LONG_POLL_SPEC,
  loadBaseline,
  ourPlan,
  SUBSTITUTIONS,
  type DesignId,
} from '../lib/designs.ts';
import { stateOf, type PipelinePlan } from '../../generator/compile/plan.ts';
import { LONG_POLL_PAIRS, longPollPlan } from '../../generator/compile/schedule.ts';
import {
  callbackCounts,
  dollars,
  fixedLoopCounts,
  fixedLoopCrossing,
  fixedLoopWaits,
  HISTORY_EVENT_LIMIT,
  longPollMachineCounts,
  longPollMachineTimeoutCounts,
  longPollRun,
  pollMachineCounts,
  pollMachineCrossing,
  pollMachineTimeoutCounts,
  pollMachineWaits,
  type Counts,
} from '../lib/model.ts';
import type { SimulatedStatement } from '../lib/simulator.ts';
import { execute, executionArnOf, executionName, type BenchContext } from './context.ts';

export const DURATIONS_SECONDS = [10, 60, 600, 3600, 86_400] as const;
/** Callback designs: real milliseconds per simulated second (24 h → 0.86 s). */
export const CALLBACK_MS_PER_SECOND = 0.01;
/** Real-time check: a statement this long, run with real waits (no compression); 4 s in the quick variant. */
export const REAL_CHECK_SECONDS = 12;
export const QUICK_REAL_CHECK_SECONDS = 4;

export type CostRun = {
  design: DesignId;
  scenario: 'finishes' | 'never-ends';
  /** Simulated statement duration (null: never ends). */
  durationSeconds: number | null;
  timing: 'simulated' | 'real';
  /** Spec budget (our designs). */
  budgetSeconds?: number;
  status: string;
  error?: string;
  stateTransitions: number;
  historyEvents: number;
  dollars: number;
  /** DescribeStatement calls of the machine. */
  polls: number;
  /** Real ms from the statement's end (its lock released) to the machine leaving its loop (ours, poll designs). */
  detectionMs?: number;
  /** Simulated seconds the machine waited (poll designs). */
  waitedSeconds?: number;
  /** The cost model's figure for this run, and whether the measurement equals it. */
  expected?: Counts;
  matchesModel?: boolean;
  /** Our poll mode: the waits the machine did equal pollWaits() of the spec. */
  scheduleMatches?: boolean;
  /** The execution reached 25,000 history events: where (it was stopped there, as Step Functions fails it). */
  crossedLimit?: { atSimulatedSeconds: number; stateTransitions: number; iteration: number };
  /** For a run stopped at the limit: what the whole run would have cost. */
  projected?: Counts & { dollars: number };
  /** Data API status of the statement after the execution ended (runaway runs). */
  statementAfter?: string;
  realMs: number;
};

export type CostResults = {
  durations: number[];
  runs: CostRun[];
  /** Baseline (a): model of the crossing, and our poll schedule's crossing with an unlimited budget. */
  crossingModel: {
    fixed: { iteration: number; waitedSeconds: number };
    pollUnlimited: { polls: number; waitedSeconds: number };
  };
  /** The long-poll window against its cost, from the cost model (which the long-poll runs are checked against). */
  longPollCurve?: LongPollPoint[];
  /** Real-time runs agree with simulated runs of the same duration. */
  realAgreement: { design: DesignId; seconds: number; real: Counts; simulated: Counts; equal: boolean }[];
};

const DEFAULT_POLL = SPEC_DEFAULTS.poll;

export type LongPollPoint = { longPollSeconds: number; hour: Counts; hourCalls: number; day: Counts };

export const LONG_POLL_CURVE_SECONDS = [5, 10, 15, 20, 25, 30] as const;

/** A statement of 1 h (1 h budget) and of 24 h (24 h budget) at each long-poll window. */
export function longPollCurve(): LongPollPoint[] {
  return LONG_POLL_CURVE_SECONDS.map((longPollSeconds) => {
    const hour = longPollRun(longPollPlan(longPollSeconds, 3600, true), 3600);
    const day = longPollRun(longPollPlan(longPollSeconds, 86_400, true), 86_400);
    return {
      longPollSeconds,
      hour: longPollMachineCounts(hour.describes),
      hourCalls: hour.describes + 1,
      day: longPollMachineCounts(day.describes),
    };
  });
}

function budgetFor(durationSeconds: number | null): number {
  return durationSeconds !== null && durationSeconds > SPEC_DEFAULTS.timeoutSeconds
    ? SPEC_DEFAULTS.maxTimeoutSeconds
    : SPEC_DEFAULTS.timeoutSeconds;
}

function ourCompiled(design: 'poll' | 'long-poll' | 'callback', budgetSeconds: number): PipelinePlan {
  const timeout = budgetSeconds === SPEC_DEFAULTS.timeoutSeconds ? {} : { timeout: `${budgetSeconds}s` };
  if (design === 'long-poll') return ourPlan({ mode: 'poll', poll: LONG_POLL_SPEC, ...timeout });
  return ourPlan({ mode: design, ...timeout });
}

const isOurs = (design: DesignId): design is 'poll' | 'long-poll' | 'callback' =>
  design === 'poll' || design === 'long-poll' || design === 'callback';

/** When the Status Choice that saw the statement's end was left (poll designs; long polling: any Status of the round). */
function loopExitMs(result: ExecutionResult, plan: PipelinePlan): number | undefined {
  const step = plan.steps[0] as PipelinePlan['steps'][number];
  const roles = LONG_POLL_PAIRS.map(([, status]) => status).filter((role) => step.states[role] !== undefined);
  const exits = new Set(roles.map((role) => stateOf(step, role)));
  const exit = result.history
    .filter((event) => event.type === 'ChoiceStateExited' && exits.has(event.stateName ?? ''))
    .at(-1);
  return exit === undefined ? undefined : Date.parse(exit.timestamp);
}

/** The statement id of a callback-mode run: the record's, or (on failure) the Cause. */
function callbackStatementId(result: ExecutionResult): string | undefined {
  const output = result.output as { steps?: { statement?: { Id?: string } }; Id?: string } | undefined;
  return (
    output?.steps?.statement?.Id ??
    output?.Id ??
    (result.cause !== undefined && /^[0-9a-f-]{36}$/.test(result.cause) ? result.cause : undefined)
  );
}

type RunSpec = {
  design: DesignId;
  durationSeconds: number | null;
  timing: 'simulated' | 'real';
  /** Callback designs, never-ending statement: compress Task timeouts by this factor. */
  timeoutScale?: number;
};

async function runOne(ctx: BenchContext, spec: RunSpec): Promise<CostRun> {
  const { design, durationSeconds, timing } = spec;
  const poll = design === 'poll' || design === 'long-poll' || design === 'a';
  const control = poll && timing === 'simulated' ? 'virtual' : 'timer';
  const statement: SimulatedStatement = await ctx.simulator.statement(
    durationSeconds ?? Number.POSITIVE_INFINITY,
    control,
  );
  const budgetSeconds = budgetFor(durationSeconds);
  const compiled = isOurs(design) ? ourCompiled(design, budgetSeconds) : undefined;
  const definition = isOurs(design) ? compiled?.machine : loadBaseline(ctx.root, design);
  const input = isOurs(design) ? { key: String(statement.key) } : { sql: `select ${statement.sql}` };
  const name = executionName(`${design}-${durationSeconds ?? 'inf'}-${timing}`);
  const timeoutScale = spec.timeoutScale;
  if (control === 'virtual') {
    ctx.simulator.instrument(definition, {
      substitutions: { ...SUBSTITUTIONS },
      ...(timeoutScale !== undefined ? { timeoutScale } : {}),
    });
    ctx.simulator.bind(executionArnOf(name), statement);
  }
  if (control === 'timer' && durationSeconds !== null) {
    const ms = timing === 'real' ? durationSeconds * 1000 : Math.max(50, durationSeconds * CALLBACK_MS_PER_SECOND);
    void ctx.simulator.releaseAfter(statement, ms);
  }

  const controller = new AbortController();
  let entered = 0;
  let waitsEntered = 0;
  let crossed: CostRun['crossedLimit'];
  const started = Date.now();
  const result = await execute(ctx, definition, input, name, {
    ...(timing === 'simulated' && poll ? { waitMs: 0 } : {}),
    ...(timeoutScale !== undefined ? { timeoutScale } : {}),
    signal: controller.signal,
    onEvent(event) {
      if (event.type.endsWith('StateEntered')) entered += 1;
      if (event.type === 'WaitStateEntered') waitsEntered += 1;
      if (event.id === HISTORY_EVENT_LIMIT && !crossed) {
        crossed = {
          atSimulatedSeconds: statement.clock.waitedSeconds,
          stateTransitions: entered,
          iteration: waitsEntered,
        };
        controller.abort();
      }
    },
  });
  const realMs = Date.now() - started;
  const statementId =
    statement.statementId ??
    (design === 'callback' || design.startsWith('b') ? callbackStatementId(result) : undefined);
  const run: CostRun = {
    design,
    scenario: durationSeconds === null ? 'never-ends' : 'finishes',
    durationSeconds,
    timing,
    status: result.status,
    stateTransitions: crossed?.stateTransitions ?? result.stateTransitions,
    historyEvents: crossed ? HISTORY_EVENT_LIMIT : result.historyEventCount,
    dollars: dollars(crossed?.stateTransitions ?? result.stateTransitions),
    polls: statement.describes,
    realMs,
  };
  if (isOurs(design)) run.budgetSeconds = budgetSeconds;
  const exitMs = compiled ? loopExitMs(result, compiled) : undefined;
  if (
    (design === 'poll' || design === 'long-poll') &&
    exitMs !== undefined &&
    statement.releasedAtMs !== undefined &&
    result.status === 'SUCCEEDED'
  ) {
    run.detectionMs = exitMs - statement.releasedAtMs;
  }
  if (result.error !== undefined) run.error = result.error;
  if (control === 'virtual') run.waitedSeconds = statement.clock.waitedSeconds;
  if (crossed) run.crossedLimit = crossed;
  if (durationSeconds === null) {
    run.statementAfter = (await ctx.simulator.isRunning(statement)) ? 'still running' : 'not running';
    const status = statementId === undefined ? undefined : await ctx.simulator.status(statementId);
    if (status !== undefined) run.statementAfter += ` (${status})`;
  }

  // The model's figure for the same run.
  let expected: Counts | undefined;
  if (design === 'poll') {
    const waits = pollMachineWaits(DEFAULT_POLL, budgetSeconds, durationSeconds ?? Number.POSITIVE_INFINITY);
    expected = durationSeconds === null ? pollMachineTimeoutCounts(waits.length) : pollMachineCounts(waits.length);
    if (control === 'virtual') run.scheduleMatches = JSON.stringify(statement.clock.waits) === JSON.stringify(waits);
  } else if (design === 'long-poll') {
    const plan = longPollPlan(LONG_POLL_SECONDS, budgetSeconds, true);
    const { windows, describes } = longPollRun(plan, durationSeconds ?? Number.POSITIVE_INFINITY);
    expected = durationSeconds === null ? longPollMachineTimeoutCounts(describes) : longPollMachineCounts(describes);
    if (control === 'virtual') run.scheduleMatches = JSON.stringify(statement.clock.waits) === JSON.stringify(windows);
  } else if (design === 'a') {
    if (durationSeconds !== null) {
      const waits = fixedLoopWaits(durationSeconds);
      const full = fixedLoopCounts(waits);
      if (full.historyEvents >= HISTORY_EVENT_LIMIT) {
        run.projected = { ...full, dollars: dollars(full.stateTransitions) };
      } else {
        expected = full;
      }
    }
    if (crossed) {
      const model = fixedLoopCrossing();
      run.matchesModel = crossed.atSimulatedSeconds === model.waitedSeconds && crossed.iteration === model.iteration;
    }
  } else if ((design === 'callback' || design === 'b') && durationSeconds !== null) {
    expected = callbackCounts();
  }
  if (expected) {
    run.expected = expected;
    run.matchesModel =
      expected.stateTransitions === run.stateTransitions && expected.historyEvents === run.historyEvents;
  }
  if (!statement.released) await ctx.simulator.release(statement);
  return run;
}

export async function runCost(ctx: BenchContext): Promise<CostResults> {
  const durations = [...DURATIONS_SECONDS];
  const runs: CostRun[] = [];
  const designs: DesignId[] = ['poll', 'long-poll', 'callback', 'a', 'b'];

  const realDesigns: DesignId[] = ['poll', 'long-poll', 'a', 'callback', 'b'];
  const realSeconds = ctx.quick ? QUICK_REAL_CHECK_SECONDS : REAL_CHECK_SECONDS;

  for (const design of designs) {
    for (const durationSeconds of [realSeconds, ...durations]) {
      const run = await runOne(ctx, { design, durationSeconds, timing: 'simulated' });
      runs.push(run);
      ctx.log(
        `  cost ${design} ${durationSeconds} s: ${run.status}, ${run.stateTransitions} transitions, ${run.historyEvents} events` +
          `${run.crossedLimit ? ` (crossed ${HISTORY_EVENT_LIMIT} at ${(run.crossedLimit.atSimulatedSeconds / 3600).toFixed(2)} h)` : ''}` +
          `${run.matchesModel === false ? ' — DIFFERS FROM THE MODEL' : ''} [${run.realMs} ms]`,
      );
    }
  }

  // A statement that never ends: our budgets (1 h default) cancel it; (a) loops to the quota.
  // 1 h → 5 s: the machine's own TimeoutSeconds (budget + retries + slack) scales too, and must leave
  // the cancel enough real time.
  const runawayScale = 5 / SPEC_DEFAULTS.timeoutSeconds;
  const runaway = await Promise.all(
    (
      [
        { design: 'poll', durationSeconds: null, timing: 'simulated' },
        { design: 'long-poll', durationSeconds: null, timing: 'simulated' },
        { design: 'callback', durationSeconds: null, timing: 'simulated', timeoutScale: runawayScale },
        { design: 'a', durationSeconds: null, timing: 'simulated' },
        { design: 'b-heartbeat', durationSeconds: null, timing: 'simulated', timeoutScale: runawayScale },
      ] satisfies RunSpec[]
    ).map((spec) => runOne(ctx, spec)),
  );
  for (const run of runaway) {
    runs.push(run);
    ctx.log(
      `  cost ${run.design} never ends: ${run.status} ${run.error ?? ''}, ${run.stateTransitions} transitions, ${run.historyEvents} events, statement ${run.statementAfter} [${run.realMs} ms]`,
    );
  }

  // Real-time checks last: simulated runs keep the event loop busy for seconds (24 h of polls),
  // which would delay the real Wait states and timers.
  const real = await Promise.all(
    realDesigns.map((design) => runOne(ctx, { design, durationSeconds: realSeconds, timing: 'real' })),
  );
  runs.push(...real);
  const realAgreement = real.map((run) => {
    const simulated = runs.find(
      (candidate) =>
        candidate.design === run.design &&
        candidate.timing === 'simulated' &&
        candidate.durationSeconds === realSeconds,
    );
    const simulatedCounts = simulated
      ? { stateTransitions: simulated.stateTransitions, historyEvents: simulated.historyEvents }
      : { stateTransitions: -1, historyEvents: -1 };
    const realCounts = { stateTransitions: run.stateTransitions, historyEvents: run.historyEvents };
    return {
      design: run.design,
      seconds: realSeconds,
      real: realCounts,
      simulated: simulatedCounts,
      equal: JSON.stringify(realCounts) === JSON.stringify(simulatedCounts),
    };
  });
  for (const check of realAgreement)
    ctx.log(
      `  real-time check ${check.design} ${realSeconds} s: ${JSON.stringify(check.real)} ${check.equal ? '=' : '≠'} simulated`,
    );

  return {
    durations,
    runs,
    crossingModel: { fixed: fixedLoopCrossing(), pollUnlimited: pollMachineCrossing(DEFAULT_POLL) },
    longPollCurve: longPollCurve(),
    realAgreement,
  };
}
