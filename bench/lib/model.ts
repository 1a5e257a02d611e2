// Pure cost model of the machines the benchmark compares: how many state transitions and history
// events one execution with one statement costs, counted the way Step Functions counts them
// (local/executor/history.ts implements the same rules for executions). The benchmark
// measures every figure on the local stack and checks it against this model.
import { longPollWaits, pollWaits, type LongPollPlan } from '../../generator/compile/schedule.ts';
import type { PollSchedule } from '../../generator/load/model.ts';

/** Step Functions Standard: history events per execution. */
export const HISTORY_EVENT_LIMIT = 25_000;
/** Step Functions Standard, us-east-1 list price: $0.025 per 1,000 state transitions. */
export const DOLLARS_PER_TRANSITION = 0.025 / 1000;
/** Baseline (a): the fixed wait of the common sample. */
export const FIXED_POLL_SECONDS = 10;

export type Counts = { stateTransitions: number; historyEvents: number };

export function dollars(stateTransitions: number): number {
  return stateTransitions * DOLLARS_PER_TRANSITION;
}

/*
 * Our poll machine, one statement step (no singleton, no results), statement FINISHED after n waits:
 *   Execute (Task: entered, scheduled, started, succeeded, exited = 5 events)
 *   n × [Wait (2), Describe (Task, 5), Status (Choice, 2)]       = 9 events, 3 transitions each
 *   (n − 1) × Backoff or LastWait (Pass, 2)                       = 2 events, 1 transition each
 *   Record (Pass, 2), plus ExecutionStarted and ExecutionSucceeded.
 */
export function pollMachineCounts(waits: number): Counts {
  assertWaits(waits);
  return { stateTransitions: 4 * waits + 1, historyEvents: 11 * waits + 7 };
}

/** Same machine, statement still running when the budget is spent: Cancel (Task, 5) and TimedOut (Fail, 1). */
export function pollMachineTimeoutCounts(waits: number): Counts {
  assertWaits(waits);
  return { stateTransitions: 4 * waits + 2, historyEvents: 11 * waits + 11 };
}

/** The waits our poll machine performs for a statement of `runSeconds` within `budgetSeconds`. */
export function pollMachineWaits(poll: PollSchedule, budgetSeconds: number, runSeconds: number): number[] {
  return pollWaits(poll, budgetSeconds, runSeconds);
}

/*
 * Baseline (a): Execute (5 events), n × [Wait (2), Describe (5), Choice (2)], Succeeded (Succeed: 2),
 * plus ExecutionStarted and ExecutionSucceeded.
 */
export function fixedLoopCounts(waits: number): Counts {
  assertWaits(waits);
  return { stateTransitions: 3 * waits + 2, historyEvents: 9 * waits + 9 };
}

/** Waits of baseline (a) until a Describe sees a statement of `runSeconds` finished. */
export function fixedLoopWaits(runSeconds: number, intervalSeconds = FIXED_POLL_SECONDS): number {
  if (!(runSeconds > 0)) throw new RangeError(`a statement runs a positive number of seconds, got ${runSeconds}`);
  return Math.ceil(runSeconds / intervalSeconds);
}

/**
 * Where a loop of baseline (a)'s shape reaches `limit` history events for a statement that has not
 * finished: the loop iteration holding the limit-th event and the simulated seconds waited by then.
 * Events before the loop: ExecutionStarted + Execute (5) = 6; each iteration: WaitStateEntered,
 * WaitStateExited, Describe (5), Choice (2) = 9; only WaitStateEntered comes before the wait ends.
 */
export function fixedLoopCrossing(
  limit = HISTORY_EVENT_LIMIT,
  intervalSeconds = FIXED_POLL_SECONDS,
): { iteration: number; waitedSeconds: number } {
  const before = 6;
  const perIteration = 9;
  const iteration = Math.ceil((limit - before) / perIteration);
  const offset = limit - before - perIteration * (iteration - 1);
  return { iteration, waitedSeconds: (offset === 1 ? iteration - 1 : iteration) * intervalSeconds };
}

/**
 * Our poll machine with an unlimited budget and a statement that never ends: roughly when history
 * would reach `limit` events (6 before the loop, then 11 per poll: Wait 2, Describe 5, Choice 2 and
 * the Pass 2 between polls), as the number of polls and the simulated seconds waited. Answers where
 * the poll schedule alone would cross the quota; the budget (at most 24 h) ends the loop first.
 */
export function pollMachineCrossing(
  poll: PollSchedule,
  limit = HISTORY_EVENT_LIMIT,
): { polls: number; waitedSeconds: number } {
  const polls = Math.ceil((limit - 6) / 11);
  return { polls, waitedSeconds: schedulePrefix(poll, polls).reduce((sum, seconds) => sum + seconds, 0) };
}

/** The first `count` waits of the schedule when no budget cuts it short. */
export function schedulePrefix(poll: PollSchedule, count: number): number[] {
  const cap = Math.max(1, Math.round(poll.maxSeconds));
  // Every wait is at most the cap, so a budget of cap × count holds at least `count` whole waits.
  return pollWaits(poll, cap * count).slice(0, count);
}

/*
 * Our poll machine with `poll.longPoll`, one statement step, n DescribeStatement calls:
 *   Execute (5 events), n × [Describe (Task, 5), Status (Choice, 2)], one NextPolls (Pass, 2) per
 *   three polls but the last, then Record (Pass, 2) or Cancel (Task, 5) + TimedOut (Fail, 1),
 *   plus ExecutionStarted and ExecutionSucceeded|Failed.
 */
export function longPollMachineCounts(describes: number): Counts {
  assertWaits(describes);
  const rounds = Math.floor((describes - 1) / 3);
  return { stateTransitions: 2 + 2 * describes + rounds, historyEvents: 9 + 7 * describes + 2 * rounds };
}

export function longPollMachineTimeoutCounts(describes: number): Counts {
  assertWaits(describes);
  const rounds = Math.floor((describes - 1) / 3);
  return { stateTransitions: 3 + 2 * describes + rounds, historyEvents: 13 + 7 * describes + 2 * rounds };
}

/**
 * The windows a long-polled statement of `runSeconds` is waited in (the submit's first, if it
 * waits), the last one cut at the statement's end; and the Describe calls the machine makes.
 */
export function longPollRun(plan: LongPollPlan, runSeconds: number): { windows: number[]; describes: number } {
  const all = longPollWaits(plan);
  const submit = plan.submitWait === undefined ? 0 : 1;
  const windows: number[] = [];
  let waited = 0;
  for (const seconds of all) {
    if (waited + seconds >= runSeconds) {
      windows.push(runSeconds - waited);
      return { windows, describes: Math.max(1, windows.length - submit) };
    }
    windows.push(seconds);
    waited += seconds;
  }
  return { windows, describes: plan.polls };
}

/** Callback designs (ours and baseline (b)) on success: one Task (entered, scheduled, started, submitted, succeeded, exited). */
export function callbackCounts(): Counts {
  return { stateTransitions: 1, historyEvents: 8 };
}

function assertWaits(waits: number): void {
  if (!Number.isInteger(waits) || waits < 1) throw new RangeError(`a poll loop waits at least once, got ${waits}`);
}
