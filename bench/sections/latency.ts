// Detection latency: real time from a statement's real completion in PostgreSQL to the machine
// leaving its loop (poll: the Status Choice that saw FINISHED exits; callback: the waiting Task
// exits), over many concurrent statements of random (log-uniform) length, with real waits.
//
// Poll mode's waits run at 1:5 scale: the spec's schedule is the defaults divided by 5 exactly
// ({initial: 1s, max: 12s, factor: 2} walks 1, 2, 4, 8, 12 s for 5, 10, 20, 40, 60 s), and so are
// the statement lengths; its latency is reported as measured and ×5 (the wait-bound part scales;
// the few milliseconds of overhead are then overstated ×5, which the report states). The full run
// adds a smaller sample with the real default schedule, unscaled.
import type { HistoryEvent } from '../../local/executor/index.ts';
import { pollWaits } from '../../generator/compile/schedule.ts';
import { stateOf, type PipelinePlan } from '../../generator/compile/plan.ts';
import { LONG_POLL_PAIRS } from '../../generator/compile/schedule.ts';
import { LONG_POLL_SPEC, ourPlan } from '../lib/designs.ts';
import { logUniform, seededRandom, summarize, type Summary } from '../lib/stats.ts';
import { execute, executionName, type BenchContext } from './context.ts';

export const LATENCY_SCALE = 5;
const SCALED_POLL = { initialSeconds: 1, maxSeconds: 12, factor: 2 } as const;
const DEFAULT_POLL = { initialSeconds: 5, maxSeconds: 60, factor: 2 } as const;

export type LatencyGroup = {
  id: 'poll-scaled' | 'poll-real' | 'long-poll' | 'callback';
  label: string;
  /** Statement lengths (real seconds in this run) were drawn log-uniformly in this range. */
  lengthSeconds: [number, number];
  /** Multiply measured latencies by this for real-time equivalents. */
  scale: number;
  samples: { lengthSeconds: number; latencyMs: number; modelMs?: number }[];
  failures: number;
  measured: Summary;
  /** Latency the poll schedule alone implies for the same lengths (no overhead). */
  model?: Summary;
  /** measured × scale. */
  realEquivalent: Summary;
};

export type LatencyResults = { groups: LatencyGroup[]; wallSeconds: number; concurrentStatements: number };

type GroupPlan = {
  id: LatencyGroup['id'];
  label: string;
  count: number;
  range: [number, number];
  scale: number;
  poll?: { initialSeconds: number; maxSeconds: number; factor: number };
};

/**
 * The event at which the machine learns that its statement ended: the Status Choice that saw it
 * (poll; with long polling any Status of the round), the Execute Task (callback).
 */
function exitEvent(
  history: readonly HistoryEvent[],
  plan: PipelinePlan,
  mode: 'poll' | 'callback',
): HistoryEvent | undefined {
  const step = plan.steps[0] as PipelinePlan['steps'][number];
  const longPolls = step.kind === 'statement' && step.step.poll.longPollSeconds !== undefined;
  const wanted =
    mode === 'poll'
      ? {
          type: 'ChoiceStateExited',
          states: longPolls ? LONG_POLL_PAIRS.map(([, status]) => stateOf(step, status)) : [stateOf(step, 'Status')],
        }
      : { type: 'TaskStateExited', states: [stateOf(step, 'Execute')] };
  return history.filter((event) => event.type === wanted.type && wanted.states.includes(event.stateName ?? '')).at(-1);
}

/** Seconds from a statement's completion to the poll that sees it, by the schedule alone. */
export function scheduleLatencySeconds(
  poll: { initialSeconds: number; maxSeconds: number; factor: number },
  lengthSeconds: number,
): number {
  const waits = pollWaits(poll, Number.MAX_SAFE_INTEGER, lengthSeconds);
  return waits.reduce((sum, seconds) => sum + seconds, 0) - lengthSeconds;
}

export async function runLatency(ctx: BenchContext): Promise<LatencyResults> {
  const random = seededRandom(20240606);
  const plans: GroupPlan[] = ctx.quick
    ? [
        {
          id: 'poll-scaled',
          label: 'poll mode, waits at 1:5 (1, 2, 4, 8, 12 s)',
          count: 30,
          range: [2, 12],
          scale: LATENCY_SCALE,
          poll: SCALED_POLL,
        },
        { id: 'long-poll', label: 'poll mode, longPoll 30s (real waits)', count: 30, range: [2, 40], scale: 1 },
        {
          id: 'callback',
          label: 'callback mode (runtime Lambda, completion event)',
          count: 30,
          range: [2, 12],
          scale: 1,
        },
      ]
    : [
        {
          id: 'poll-scaled',
          label: 'poll mode, waits at 1:5 (1, 2, 4, 8, 12 s)',
          count: 70,
          range: [2, 90],
          scale: LATENCY_SCALE,
          poll: SCALED_POLL,
        },
        {
          id: 'poll-real',
          label: 'poll mode, default waits unscaled (5, 10, 20, 40, 60 s)',
          count: 30,
          range: [10, 90],
          scale: 1,
          poll: DEFAULT_POLL,
        },
        { id: 'long-poll', label: 'poll mode, longPoll 30s (real waits)', count: 70, range: [2, 90], scale: 1 },
        {
          id: 'callback',
          label: 'callback mode (runtime Lambda, completion event)',
          count: 70,
          range: [2, 90],
          scale: 1,
        },
      ];
  const staggerMs = ctx.quick ? 1000 : 5000;
  const started = Date.now();

  const measure = async (plan: GroupPlan): Promise<LatencyGroup> => {
    const mode = plan.id === 'callback' ? 'callback' : 'poll';
    const compiled =
      plan.id === 'long-poll'
        ? ourPlan({ mode, poll: LONG_POLL_SPEC })
        : mode === 'poll'
          ? ourPlan({
              mode,
              poll: `{ initial: ${plan.poll?.initialSeconds}s, max: ${plan.poll?.maxSeconds}s, factor: ${plan.poll?.factor} }`,
            })
          : ourPlan({ mode });
    const definition = compiled.machine;
    const lengths = Array.from({ length: plan.count }, () => logUniform(random(), plan.range[0], plan.range[1]));
    const delays = lengths.map(() => random() * staggerMs);
    let failures = 0;
    const samples = await Promise.all(
      lengths.map(async (lengthSeconds, index) => {
        await new Promise((resolve) => setTimeout(resolve, delays[index]));
        const statement = await ctx.simulator.statement(lengthSeconds, 'timer');
        const release = ctx.simulator.releaseAfter(statement, lengthSeconds * 1000);
        const result = await execute(
          ctx,
          definition,
          { key: String(statement.key) },
          executionName(`latency-${plan.id}`),
        );
        await release;
        const exit = exitEvent(result.history, compiled, mode);
        if (result.status !== 'SUCCEEDED' || !exit || statement.releasedAtMs === undefined) {
          failures += 1;
          ctx.log(`  latency ${plan.id}: execution ${result.status} ${result.error ?? ''} ${result.cause ?? ''}`);
          return undefined;
        }
        const sample: LatencyGroup['samples'][number] = {
          lengthSeconds,
          latencyMs: Date.parse(exit.timestamp) - statement.releasedAtMs,
        };
        if (plan.poll) sample.modelMs = scheduleLatencySeconds(plan.poll, lengthSeconds) * 1000;
        return sample;
      }),
    );
    const ok = samples.filter((sample): sample is NonNullable<typeof sample> => sample !== undefined);
    const measured = summarize(ok.map((sample) => sample.latencyMs));
    const group: LatencyGroup = {
      id: plan.id,
      label: plan.label,
      lengthSeconds: plan.range,
      scale: plan.scale,
      samples: ok,
      failures,
      measured,
      realEquivalent: summarize(ok.map((sample) => sample.latencyMs * plan.scale)),
    };
    if (plan.poll) group.model = summarize(ok.map((sample) => sample.modelMs ?? Number.NaN));
    ctx.log(
      `  latency ${plan.id}: n=${measured.n}, median ${measured.median.toFixed(0)} ms, p95 ${measured.p95.toFixed(0)} ms (×${plan.scale})`,
    );
    return group;
  };
  // The long-poll group runs once the others are done: together they would pass the Data API's
  // 200 active statements and measure its refusals instead.
  const first = await Promise.all(plans.filter((plan) => plan.id !== 'long-poll').map(measure));
  const then = await Promise.all(plans.filter((plan) => plan.id === 'long-poll').map(measure));
  const groups = [...first, ...then];
  const concurrent = Math.max(
    ...[plans.filter((plan) => plan.id !== 'long-poll'), plans.filter((plan) => plan.id === 'long-poll')].map((phase) =>
      phase.reduce((sum, plan) => sum + plan.count, 0),
    ),
  );
  return { groups, wallSeconds: (Date.now() - started) / 1000, concurrentStatements: concurrent };
}
