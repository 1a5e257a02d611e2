// The time budget of a statement is its `timeout` (statementStep.timeoutSeconds): the seconds the
// machine waits for it. This file turns those into the machine's own TimeoutSeconds. ("Limits" are
// Step Functions' quotas, see emit/limits.ts; the word budget is kept for time.)
import type { Pipeline, RetryPolicy, Step } from '../load/model.ts';
import { CompileError } from './errors.ts';

/** Bookkeeping calls per statement that may each spend a full retry schedule (lock, submit, …). */
const RETRYING_CALLS_PER_STEP = 4;
const SLACK_PER_STEP_SECONDS = 60;

export function retryDelaySeconds(policy: RetryPolicy): number {
  let total = 0;
  for (let attempt = 0; attempt < policy.attempts; attempt += 1)
    total += policy.intervalSeconds * policy.backoffRate ** attempt;
  return Math.ceil(total);
}

/** Longest a step may take: its statement's time budget plus retries and bookkeeping. */
export function stepTimeBudgetSeconds(step: Step): number {
  if (step.kind === 'parallel') return Math.max(...step.branches.map(stepsTimeBudgetSeconds));
  return step.timeoutSeconds + RETRYING_CALLS_PER_STEP * retryDelaySeconds(step.retry) + SLACK_PER_STEP_SECONDS;
}

export function stepsTimeBudgetSeconds(steps: readonly Step[]): number {
  return steps.reduce((sum, step) => sum + stepTimeBudgetSeconds(step), 0);
}

/** ASL: TimeoutSeconds (of a machine or a Task) is a positive integer of at most 99999999. */
export const MAX_ASL_TIMEOUT_SECONDS = 99_999_999;

/**
 * The machine's TimeoutSeconds: large enough for every step to spend its whole time budget in turn.
 * Beyond ASL's range (long timeouts times many retries that back off far) the definition would be
 * refused by Step Functions: refused here first.
 */
export function pipelineTimeoutSeconds(pipeline: Pipeline): number {
  const seconds = stepsTimeBudgetSeconds(pipeline.steps);
  if (seconds > MAX_ASL_TIMEOUT_SECONDS) {
    throw new CompileError(
      'out-of-range',
      `the machine's TimeoutSeconds would be ${seconds.toLocaleString('en-US')} (every step's timeout plus its retry schedule, retry.interval × retry.factor^n for retry.attempts), above the ${MAX_ASL_TIMEOUT_SECONDS.toLocaleString('en-US')} Step Functions accepts; lower retry.attempts, retry.interval or retry.factor`,
    );
  }
  return seconds;
}
