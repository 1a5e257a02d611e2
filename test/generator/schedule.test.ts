import { describe, expect, it } from 'vitest';
import { longPollPlan, longPollWaits, pollPlan, pollWaits } from '../../generator/compile/schedule.ts';
import { formatDuration, parseDuration } from '../../generator/load/durations.ts';

describe('poll schedule', () => {
  it('grows by the factor up to the cap', () => {
    expect(pollPlan({ initialSeconds: 5, maxSeconds: 60, factor: 2 })).toEqual({
      intervals: [5, 10, 20, 40, 60],
      successor: [1, 2, 3, 4, 4],
    });
    expect(pollPlan({ initialSeconds: 2, maxSeconds: 10, factor: 1.5 }).intervals).toEqual([2, 3, 5, 7, 10]);
    expect(pollPlan({ initialSeconds: 30, maxSeconds: 30, factor: 2 })).toEqual({ intervals: [30], successor: [0] });
    expect(pollPlan({ initialSeconds: 10, maxSeconds: 60, factor: 1 }).intervals).toEqual([10]);
    // A factor barely above 1 still grows a second per poll and the plan stays short.
    expect(pollPlan({ initialSeconds: 1, maxSeconds: 5, factor: 1.000001 }).intervals).toEqual([1, 2, 3, 4, 5]);
    const capped = pollPlan({ initialSeconds: 1, maxSeconds: 86_400, factor: 1.000001 }).intervals;
    expect(capped).toHaveLength(32);
    expect(capped.at(-1)).toBe(86_400);
  });

  it('never waits past the budget: the last wait is shortened', () => {
    expect(pollWaits({ initialSeconds: 5, maxSeconds: 60, factor: 2 }, 100)).toEqual([5, 10, 20, 40, 25]);
    expect(pollWaits({ initialSeconds: 5, maxSeconds: 60, factor: 2 }, 3)).toEqual([3]);
    const hour = pollWaits({ initialSeconds: 5, maxSeconds: 60, factor: 2 }, 3600);
    expect(hour.reduce((sum, wait) => sum + wait, 0)).toBe(3600);
    // 5 + 10 + 20 + 40 = 75 s, then 58 waits of 60 s, then the 45 s left.
    expect(hour).toHaveLength(4 + 58 + 1);
    expect(hour.at(-1)).toBe(45);
  });

  it('stops at the first poll after the statement ends', () => {
    expect(pollWaits({ initialSeconds: 5, maxSeconds: 60, factor: 2 }, 3600, 12)).toEqual([5, 10]);
  });
});

describe('durations', () => {
  it.each([
    ['30s', 30],
    ['5m', 300],
    ['2h', 7200],
    ['1h30m', 5400],
    ['90', 90],
    [45, 45],
  ] as const)('%s → %d s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', '0s', '5x', 'h', '1.5h', -3, 2.5])('rejects %s', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('formats seconds back', () => {
    expect([formatDuration(90), formatDuration(7200), formatDuration(3661)]).toEqual(['1m30s', '2h', '1h1m1s']);
  });
});

describe('long-poll windows (poll.longPoll)', () => {
  it('cut the budget into windows that add up to it exactly, the remainder first', () => {
    // 100 s in windows of 30 s: the submit waits 10 s, then three Describe calls of 30 s.
    expect(longPollPlan(30, 100, true)).toEqual({ window: 30, submitWait: 10, firstWait: 30, remaining: 60, polls: 3 });
    expect(longPollWaits(longPollPlan(30, 100, true))).toEqual([10, 30, 30, 30]);
    // A singleton's submit does not wait: the first Describe takes the remainder.
    expect(longPollPlan(30, 100, false)).toEqual({ window: 30, firstWait: 10, remaining: 90, polls: 4 });
    expect(longPollWaits(longPollPlan(30, 100, false))).toEqual([10, 30, 30, 30]);
    // A budget within one window: one Describe waits it all, the submit does not wait.
    expect(longPollPlan(30, 20, true)).toEqual({ window: 20, firstWait: 20, remaining: 0, polls: 1 });
    expect(longPollPlan(30, 3600, true)).toMatchObject({ submitWait: 30, polls: 119 });
  });

  it('every budget and long poll: windows within 1–30 s that sum to the budget, remaining = budget left after the first Describe', () => {
    for (const longPoll of [1, 2, 7, 29, 30]) {
      for (const budget of [1, 2, 29, 30, 31, 59, 60, 61, 100, 3599, 3600, 86_400]) {
        for (const submitMayWait of [true, false]) {
          const plan = longPollPlan(longPoll, budget, submitMayWait);
          const waits = longPollWaits(plan);
          expect(waits.reduce((sum, seconds) => sum + seconds, 0)).toBe(budget);
          for (const seconds of waits) expect(seconds >= 1 && seconds <= 30).toBe(true);
          expect(plan.remaining).toBe(
            budget - waits.slice(0, plan.submitWait === undefined ? 1 : 2).reduce((sum, seconds) => sum + seconds, 0),
          );
          expect(plan.remaining % plan.window).toBe(0);
        }
      }
    }
  });
});
