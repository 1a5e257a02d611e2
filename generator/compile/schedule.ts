import type { PollSchedule } from '../load/model.ts';
import type { StateRole } from './plan.ts';

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

/** One wait of the poll loop and the state that set it (Execute's selector, Backoff or LastWait). */
export type PollWait = { readonly seconds: number; readonly setBy: 'Execute' | 'Backoff' | 'LastWait' };

/**
 * Every wait of a statement that runs until its budget is spent, exactly as the machine chooses
 * them (`<id>.Status`: Remaining < NextWait → LastWait, else Backoff): the last wait is shortened so
 * that the total equals the budget. Lazy: an unbounded budget gives an endless sequence.
 */
export function* pollSequence(poll: PollSchedule, budgetSeconds: number): Generator<PollWait> {
  const { intervals, successor } = pollPlan(poll);
  const first = Math.min(intervals[0] as number, budgetSeconds);
  yield { seconds: first, setBy: 'Execute' };
  let remaining = budgetSeconds - first;
  let index = successor[0] as number;
  while (remaining > 0) {
    const next = intervals[index] as number;
    if (remaining < next) {
      yield { seconds: remaining, setBy: 'LastWait' };
      remaining = 0;
    } else {
      yield { seconds: next, setBy: 'Backoff' };
      remaining -= next;
      index = successor[index] as number;
    }
  }
}

/** The waits the machine performs for a statement that runs `runSeconds` (or until the budget). */
export function pollWaits(poll: PollSchedule, budgetSeconds: number, runSeconds = Number.POSITIVE_INFINITY): number[] {
  const waits: number[] = [];
  let waited = 0;
  for (const { seconds } of pollSequence(poll, budgetSeconds)) {
    waits.push(seconds);
    waited += seconds;
    if (waited >= runSeconds) break;
  }
  return waits;
}

/** The Describe and Status states of one round of long polls, in order; the budget counter is updated once per round. */
export const LONG_POLL_PAIRS = [
  ['Describe', 'Status'],
  ['Describe2', 'Status2'],
  ['Describe3', 'Status3'],
] as const satisfies readonly (readonly [StateRole, StateRole])[];

/** Long polls per round of the long-poll loop. */
export const LONG_POLL_ROUND = LONG_POLL_PAIRS.length;

/**
 * The windows of a long-polled statement, in whole seconds. The budget is cut into windows of
 * `window` (the long poll, at most the budget); the first window takes the remainder, so that the
 * windows add up to the budget exactly. The submit waits out that first window itself when it may
 * (not for a singleton step: its statement id must reach the lock at once); otherwise the first
 * Describe does. `remaining`: the budget left once the first Describe's wait is over, as the
 * Execute state's selector sets it. `polls`: Describe calls of a statement that outlives its budget.
 */
export type LongPollPlan = {
  readonly window: number;
  readonly submitWait?: number;
  readonly firstWait: number;
  readonly remaining: number;
  readonly polls: number;
};

export function longPollPlan(longPollSeconds: number, budgetSeconds: number, submitMayWait: boolean): LongPollPlan {
  const window = Math.max(1, Math.min(longPollSeconds, budgetSeconds));
  const windows = Math.ceil(budgetSeconds / window);
  const first = budgetSeconds - window * (windows - 1);
  const submitWaits = submitMayWait && windows > 1;
  const firstWait = submitWaits ? window : first;
  return {
    window,
    ...(submitWaits ? { submitWait: first } : {}),
    firstWait,
    remaining: budgetSeconds - (submitWaits ? first : 0) - firstWait,
    polls: submitWaits ? windows - 1 : windows,
  };
}

/** Seconds each wait of a long-polled statement covers, in order: the submit's (if any), then each Describe's. */
export function longPollWaits(plan: LongPollPlan): number[] {
  return [
    ...(plan.submitWait === undefined ? [] : [plan.submitWait]),
    plan.firstWait,
    ...Array.from({ length: plan.polls - 1 }, () => plan.window),
  ];
}
