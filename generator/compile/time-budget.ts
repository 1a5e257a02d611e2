// The time budget of a statement is its `timeout` (statementStep.timeoutSeconds): the seconds the
// machine waits for it. This file turns those into the machine's own TimeoutSeconds. ("Limits" are
// Step Functions' quotas, see emit/limits.ts; the word budget is kept for time.)
import type { Pipeline, RetryPolicy, Step } from '../load/model.ts';

/** Bookkeeping calls per statement that may each spend a full retry schedule (lock, submit, …). */
const RETRYING_CALLS_PER_STEP = 4;
const SLACK_PER_STEP_SECONDS = 60;

export function retryDelaySeconds(policy: RetryPolicy): number {
  let total = 0;
  for (let attempt = 0; attempt < policy.attempts; attempt += 1) total += policy.intervalSeconds * policy.backoffRate ** attempt;
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

/** The machine's TimeoutSeconds: large enough for every step to spend its whole time budget in turn. */
export function pipelineTimeoutSeconds(pipeline: Pipeline): number {
  return stepsTimeBudgetSeconds(pipeline.steps);
}
