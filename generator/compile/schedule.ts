import type { PollSchedule } from '../spec/model.ts';

/**
 * The poll waits of a step, computed at compile time because ASL has no multiplication:
 * `intervals` grow from `initial` by `factor` and end with the first capped value (`max`), and
 * `successor[k]` is the index after `k` (the last index repeats), so the machine walks the
 * schedule with States.ArrayGetItem. Whole seconds, strictly growing, at least 1.
 */
export type PollPlan = { readonly intervals: readonly number[]; readonly successor: readonly number[] };

export function pollPlan(poll: PollSchedule): PollPlan {
  const max = Math.max(1, Math.round(poll.maxSeconds));
  const intervals: number[] = [];
  let exact = Math.max(1, poll.initialSeconds);
  for (;;) {
    const interval = Math.min(max, Math.max(1, Math.round(exact)));
    if (intervals.length === 0 || interval > (intervals.at(-1) as number)) intervals.push(interval);
    if (interval >= max || poll.factor <= 1) break;
    exact *= poll.factor;
  }
  const successor = intervals.map((_, index) => Math.min(index + 1, intervals.length - 1));
  return { intervals, successor };
}

/**
 * Waits the machine performs for a statement that runs `runSeconds` (or forever), never past the
 * budget: the last wait is shortened so that the total equals the budget exactly.
 */
export function pollWaits(poll: PollSchedule, budgetSeconds: number, runSeconds = Number.POSITIVE_INFINITY): number[] {
  const { intervals, successor } = pollPlan(poll);
  const waits: number[] = [];
  let index = 0;
  let waited = 0;
  while (waited < budgetSeconds) {
    const wait = Math.min(intervals[index] as number, budgetSeconds - waited);
    waits.push(wait);
    waited += wait;
    if (waited >= runSeconds) break;
    index = successor[index] as number;
  }
  return waits;
}
