// The benchmark's pure parts and its baselines, quickly (no local stack): the statistics, the cost
// model against the figures, the simulator's Wait arithmetic, the specs it generates, and
// that the baselines are valid ASL with exactly the shape their public descriptions give.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aslProblems } from '../../generator/emit/validate-asl.ts';
import { SPEC_DEFAULTS } from '../../generator/load/defaults.ts';
import { BASELINE_DIRECTORY, DESIGNS, ourMachine, ourSpec, pipelineOf } from '../../bench/lib/designs.ts';
import {
  callbackCounts,
  dollars,
  fixedLoopCounts,
  fixedLoopCrossing,
  fixedLoopWaits,
  longPollMachineCounts,
  longPollMachineTimeoutCounts,
  longPollRun,
  pollMachineCounts,
  pollMachineCrossing,
  pollMachineTimeoutCounts,
  pollMachineWaits,
  schedulePrefix,
} from '../../bench/lib/model.ts';
import { readPath, VirtualClock, waitSeconds } from '../../bench/lib/simulator.ts';
import {
  largestFitting,
  linearFit,
  logUniform,
  marginalSlopes,
  median,
  quantile,
  seededRandom,
  summarize,
} from '../../bench/lib/stats.ts';
import { scaleSpec, STEP_KINDS } from '../../bench/sections/generator.ts';
import { scheduleLatencySeconds } from '../../bench/sections/latency.ts';
import { judge } from '../../bench/report.ts';
import { longPollCurve } from '../../bench/sections/cost.ts';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { longPollPlan } from '../../generator/compile/schedule.ts';
import { executionCost } from '../../generator/emit/limits.ts';

type State = { Type: string; [key: string]: unknown };
type Machine = { StartAt: string; States: Record<string, State>; TimeoutSeconds?: number };

const baseline = (file: string) => JSON.parse(readFileSync(join(BASELINE_DIRECTORY, file), 'utf8')) as Machine;
const poll = SPEC_DEFAULTS.poll;

describe('statistics', () => {
  it('quantiles interpolate between closest ranks', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([1, 2, 3, 4])).toBe(2.5);
    expect(quantile([0, 10], 0.95)).toBeCloseTo(9.5);
    expect(
      quantile(
        Array.from({ length: 101 }, (_, i) => i),
        0.99,
      ),
    ).toBeCloseTo(99);
    expect(Number.isNaN(median([]))).toBe(true);
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
    expect(summarize([5, 1, 3])).toMatchObject({ n: 3, min: 1, median: 3, max: 5, mean: 3 });
  });

  it('fits a line exactly and measures the fit', () => {
    const fit = linearFit([
      [10, 25],
      [100, 205],
      [1000, 2005],
    ]);
    expect(fit.slope).toBeCloseTo(2);
    expect(fit.intercept).toBeCloseTo(5);
    expect(fit.r2).toBeCloseTo(1);
    expect(
      linearFit([
        [0, 0],
        [1, 1],
        [2, 0],
        [3, 1],
      ]).r2,
    ).toBeLessThan(0.5);
    expect(() => linearFit([[1, 1]])).toThrow(RangeError);
  });

  it('marginal slopes stay constant for a linear process and grow for a quadratic one', () => {
    const linear = marginalSlopes([
      [100, 150],
      [10, 60],
      [1000, 1050],
    ]);
    expect(linear.map((segment) => segment.slope)).toEqual([1, 1]);
    const quadratic = marginalSlopes([10, 100, 1000].map((x) => [x, x * x] as const));
    expect((quadratic[1]?.slope ?? 0) / (quadratic[0]?.slope ?? 1)).toBeGreaterThan(5);
  });

  it('finds the largest n that fits, by bisection', () => {
    let calls = 0;
    const fits = (n: number) => {
      calls += 1;
      return 65 + 6395 * n <= 1024 * 1024;
    };
    expect(largestFitting(1, 10_000, fits)).toBe(163);
    expect(calls).toBeLessThan(20);
    expect(largestFitting(200, 300, fits)).toBe(199);
    expect(largestFitting(1, 100, fits)).toBe(100);
  });

  it('draws the same lengths from the same seed, inside the range', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const draws = Array.from({ length: 100 }, () => a());
    expect(Array.from({ length: 100 }, () => b())).toEqual(draws);
    expect(draws.every((u) => u >= 0 && u < 1)).toBe(true);
    expect(logUniform(0, 2, 90)).toBeCloseTo(2);
    expect(logUniform(0.5, 2, 90)).toBeCloseTo(Math.sqrt(180));
  });
});

describe('cost model', () => {
  it('poll mode with the defaults: 253 transitions for 1 h, 15,880 events for 24 h', () => {
    const hour = pollMachineWaits(poll, 3600, 3600);
    expect(hour).toHaveLength(63);
    expect(hour.reduce((sum, seconds) => sum + seconds, 0)).toBe(3600);
    expect(pollMachineCounts(hour.length)).toEqual({ stateTransitions: 253, historyEvents: 700 });
    const day = pollMachineWaits(poll, 86_400, 86_400);
    expect(pollMachineCounts(day.length)).toEqual({ stateTransitions: 5773, historyEvents: 15_880 });
    expect(pollMachineCounts(2)).toEqual({ stateTransitions: 9, historyEvents: 29 });
    expect(pollMachineTimeoutCounts(63)).toEqual({ stateTransitions: 254, historyEvents: 704 });
    expect(() => pollMachineCounts(0)).toThrow(RangeError);
  });

  it('baseline (a): 9 events per 10 s iteration, crossing 25,000 events at about 7.7 h', () => {
    expect(fixedLoopWaits(3600)).toBe(360);
    expect(fixedLoopWaits(12)).toBe(2);
    expect(fixedLoopCounts(360)).toEqual({ stateTransitions: 1082, historyEvents: 3249 });
    expect(fixedLoopCounts(361).historyEvents - fixedLoopCounts(360).historyEvents).toBe(9);
    const crossing = fixedLoopCrossing();
    // 6 events before the loop, then 9 per iteration: event 25,000 is iteration 2,778's WaitStateEntered.
    expect(crossing).toEqual({ iteration: 2778, waitedSeconds: 27_770 });
    expect(crossing.waitedSeconds / 3600).toBeCloseTo(7.7, 1);
    expect(fixedLoopCrossing(6 + 9 * 2)).toEqual({ iteration: 2, waitedSeconds: 20 });
  });

  it('callback designs: one Task, 8 events; dollars at $0.025 per 1,000 transitions', () => {
    expect(callbackCounts()).toEqual({ stateTransitions: 1, historyEvents: 8 });
    expect(dollars(1000)).toBeCloseTo(0.025);
    expect(dollars(253)).toBeCloseTo(0.006325);
  });

  it('our schedule alone would reach 25,000 events only after the 24 h budget', () => {
    expect(schedulePrefix(poll, 6)).toEqual([5, 10, 20, 40, 60, 60]);
    const crossing = pollMachineCrossing(poll);
    expect(crossing.waitedSeconds).toBeGreaterThan(SPEC_DEFAULTS.maxTimeoutSeconds);
  });

  it('detection latency of a schedule: the rest of the wait during which the statement ended', () => {
    const scaled = { initialSeconds: 1, maxSeconds: 12, factor: 2 };
    expect(scheduleLatencySeconds(scaled, 3)).toBe(0);
    expect(scheduleLatencySeconds(scaled, 3.5)).toBeCloseTo(3.5);
    expect(scheduleLatencySeconds(poll, 76)).toBe(59);
    // The 1:5 schedule is the default one divided by 5.
    expect(schedulePrefix(scaled, 7).map((seconds) => seconds * 5)).toEqual(schedulePrefix(poll, 7));
  });
});

describe('cost model: long polling (issue 13)', () => {
  it("counts the same as the compiler's limits model for statements that finish or time out", () => {
    const plan = compilePipeline(pipelineOf(ourSpec({ mode: 'poll', poll: '{ longPoll: 30s }', timeout: '24h' })));
    for (const describes of [1, 2, 3, 4, 7, 100, 2879]) {
      const finished = executionCost(plan, () => ({ outcome: { kind: 'finished', polls: describes } }));
      expect([describes, longPollMachineCounts(describes)]).toEqual([
        describes,
        { stateTransitions: finished.transitions, historyEvents: finished.events },
      ]);
      const timedOut = executionCost(plan, () => ({ outcome: { kind: 'timeout' } }));
      expect(longPollMachineTimeoutCounts(2879)).toEqual({
        stateTransitions: timedOut.transitions,
        historyEvents: timedOut.events,
      });
    }
  });

  it('a statement ending in a window: the windows up to its end, and the Describe calls', () => {
    const plan = longPollPlan(30, 3600, true);
    expect(longPollRun(plan, 10)).toEqual({ windows: [10], describes: 1 });
    expect(longPollRun(plan, 45)).toEqual({ windows: [30, 15], describes: 1 });
    expect(longPollRun(plan, 3600).describes).toBe(119);
    expect(longPollRun(plan, Number.POSITIVE_INFINITY)).toMatchObject({ describes: 119 });
  });

  it('the window curve: only 30 s meets both 300 transitions for 1 h and 25,000 events for 24 h', () => {
    const curve = longPollCurve();
    const meets = curve
      .filter((point) => point.hour.stateTransitions <= 300 && point.day.historyEvents < 25_000)
      .map((point) => point.longPollSeconds);
    expect(meets).toEqual([30]);
    expect(curve.find((point) => point.longPollSeconds === 30)).toMatchObject({
      hour: { stateTransitions: 279 },
      hourCalls: 120,
    });
  });
});

describe('simulator arithmetic', () => {
  it('reads Wait seconds from Seconds or SecondsPath', () => {
    expect(waitSeconds({ Type: 'Wait', Seconds: 10 }, {})).toBe(10);
    expect(
      waitSeconds({ Type: 'Wait', SecondsPath: '$.steps.s.Run.Interval' }, { steps: { s: { Run: { Interval: 40 } } } }),
    ).toBe(40);
    expect(() => waitSeconds({ Type: 'Wait', SecondsPath: '$.missing' }, {})).toThrow(/not a number/);
    expect(() => waitSeconds({ Type: 'Wait', Timestamp: '2030-01-01T00:00:00Z' }, {})).toThrow(/only Seconds/);
    expect(readPath({ a: { b: 1 } }, '$.a.b')).toBe(1);
    expect(() => readPath({}, '$.a[0]')).toThrow(/unsupported/);
  });

  it('the clock sums entered and left waits, and answers waiters in order', async () => {
    const clock = new VirtualClock();
    const second = clock.untilEntered(2);
    clock.entered(5);
    clock.exited();
    clock.entered(10);
    await second;
    expect(clock.secondsAfter(2)).toBe(15);
    expect(clock.waitedSeconds).toBe(5);
    clock.exited();
    expect(clock.waitedSeconds).toBe(15);
    expect(() => clock.exited()).toThrow(/never entered/);
  });
});

describe('baselines', () => {
  it('are valid ASL (asl-validator, paths and ARNs checked)', () => {
    for (const design of ['a', 'b', 'b-heartbeat'] as const) {
      const file = DESIGNS[design].file as string;
      expect(aslProblems(baseline(file)), file).toBe('');
    }
  });

  it('(a) is the fixed 10 s loop: no timeout anywhere, no ABORTED branch, loops on anything else', () => {
    const machine = baseline('a-fixed-poll.asl.json');
    const states = Object.values(machine.States);
    expect(machine.TimeoutSeconds).toBeUndefined();
    expect(states.map((state) => state.Type).sort()).toEqual(['Choice', 'Fail', 'Succeed', 'Task', 'Task', 'Wait']);
    expect(states.filter((state) => state.Type === 'Wait').map((state) => state.Seconds)).toEqual([10]);
    expect(states.filter((state) => state.Type === 'Task').map((state) => state.Resource)).toEqual([
      'arn:aws:states:::aws-sdk:redshiftdata:executeStatement',
      'arn:aws:states:::aws-sdk:redshiftdata:describeStatement',
    ]);
    const choice = states.find((state) => state.Type === 'Choice') as unknown as {
      Choices: { StringEquals?: string }[];
      Default: string;
    };
    expect(choice.Choices.map((rule) => rule.StringEquals)).toEqual(['FINISHED', 'FAILED']);
    expect(machine.States[choice.Default]?.Type).toBe('Wait');
    expect(JSON.stringify(machine.States)).not.toMatch(/TimeoutSeconds|ABORTED|cancelStatement|Retry|Catch/);
  });

  it('(b) is the seed function’s documented Task: waitForTaskToken, its executeStatement payload, nothing else', () => {
    const machine = baseline('b-seed-callback.asl.json');
    const states = Object.values(machine.States);
    expect(states).toHaveLength(1);
    const task = states[0] as State & { Parameters: { Payload: Record<string, unknown> } };
    expect(task.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(task.Parameters.Payload).toEqual({
      action: 'executeStatement',
      'sqlStatement.$': '$.sql',
      'taskToken.$': '$$.Task.Token',
      'executionArn.$': '$$.Execution.Id',
    });
    expect(Object.keys(task).sort()).toEqual(['End', 'Parameters', 'Resource', 'Type']);
  });

  it('(b) with the documented guard: a heartbeat whose timeout is caught to cancel LATEST', () => {
    const machine = baseline('b-seed-callback-heartbeat.asl.json');
    const task = machine.States[machine.StartAt] as State & { Catch: { ErrorEquals: string[]; Next: string }[] };
    expect(task.HeartbeatSeconds).toBe(3600);
    expect(task.TimeoutSeconds).toBeUndefined();
    expect(task.Catch[0]?.ErrorEquals).toContain('States.Timeout');
    const cancel = machine.States[task.Catch[0]?.Next ?? ''] as State & {
      Parameters: { Payload: Record<string, unknown> };
    };
    expect(cancel.Parameters.Payload).toEqual({
      action: 'cancelStatement',
      statementId: 'LATEST',
      'executionArn.$': '$$.Execution.Id',
    });
  });
});

describe('specs the benchmark generates', () => {
  it('our one-step machines compile in both modes, with a 24 h budget and as singleton', () => {
    expect(ourSpec({ mode: 'poll' })).toContain('pg_advisory_xact_lock(:key)');
    for (const options of [
      { mode: 'poll' },
      { mode: 'callback' },
      { mode: 'poll', timeout: '86400s' },
      { mode: 'poll', sql: 'select 1', singleton: true },
    ] as const) {
      const machine = ourMachine(options);
      expect(aslProblems(machine), JSON.stringify(options)).toBe('');
    }
    expect(ourMachine({ mode: 'poll', timeout: '86400s' }).States['statement.Execute']).toMatchObject({
      ResultSelector: { Remaining: 86_395 },
    });
  });

  it('scale specs load for every step kind and grow by one step per step', () => {
    for (const kind of STEP_KINDS) {
      const pipeline = pipelineOf(scaleSpec(3, kind));
      expect(pipeline.steps, kind).toHaveLength(3);
    }
  });
});

describe('targets moved here from unit tests', () => {
  const meta = {
    date: '',
    quick: true,
    node: '',
    cpus: 2,
    cpuModel: '',
    loadAverage: { start: [], end: [] },
    commit: '',
    wallSeconds: 0,
    sections: [],
  };
  it('the local stack start-up is judged against 15 s', () => {
    const target = (startupMs: number) =>
      judge({ meta, stack: { startupMs } }).targets.find((candidate) => candidate.id === 'stack-startup');
    expect(target(1_234)).toMatchObject({ target: 'local stack starts under 15 s', pass: true });
    expect(target(15_000)?.pass).toBe(false);
  });
});
