import type { PollSchedule } from '../spec/model.ts';

/**
 * The poll waits of a step, computed at compile time because ASL has no multiplication:
 * `intervals` grow from `initial` by `factor` and end with the first capped value (`max`), and
 * `successor[k]` is the index after `k` (the last index repeats), so the machine walks the
 * schedule with States.ArrayGetItem. Whole seconds, strictly growing, at least 1.
 */
export type PollPlan = { readonly intervals: readonly number[]; readonly successor: readonly number[] };

/** Longest growth phase kept in the definition; a later wait jumps to `max`. */
export const MAX_POLL_STEPS = 32;

export function pollPlan(poll: PollSchedule): PollPlan {
  const max = Math.max(1, Math.round(poll.maxSeconds));
  const intervals = [Math.min(max, Math.max(1, Math.round(poll.initialSeconds)))];
  let exact = poll.initialSeconds;
  while ((intervals.at(-1) as number) < max && poll.factor > 1) {
    exact *= poll.factor;
    // Each wait grows by at least a second, so a factor close to 1 still reaches `max`.
    const interval = Math.min(max, Math.max((intervals.at(-1) as number) + 1, Math.round(exact)));
    intervals.push(intervals.length + 1 >= MAX_POLL_STEPS ? max : interval);
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
