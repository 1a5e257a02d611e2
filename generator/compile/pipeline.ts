import type { Pipeline, Step } from '../load/model.ts';
import type { StateMachine, Transition } from './asl.ts';
import { END, next, type CompileContext } from './context.ts';
import { CompileError } from './errors.ts';
import { renderCallbackStatement } from './callback-statement.ts';
import { renderParallel } from './parallel.ts';
import { renderPollStatement } from './poll-statement.ts';
import { planOf } from './plan-builder.ts';
import type { PipelinePlan } from './plan.ts';
import { StateScope } from './state-scope.ts';
import { pipelineTimeoutSeconds } from './time-budget.ts';

export type StepRenderer = (ctx: CompileContext, steps: readonly Step[], exit: Transition) => string;

/** Steps in order, each continuing to the next; returns the first state's name. */
export const renderSteps: StepRenderer = (ctx, steps, exit) => {
  let following = exit;
  for (let index = steps.length - 1; index >= 0; index -= 1) {
    following = next(renderStep(ctx, steps[index] as Step, following));
  }
  if (following.Next === undefined) throw new CompileError('unsupported', 'a list of steps must not be empty');
  return following.Next;
};

function renderStep(ctx: CompileContext, step: Step, exit: Transition): string {
  if (step.kind === 'parallel') return renderParallel(ctx, step, exit, renderSteps);
  return step.mode === 'callback' ? renderCallbackStatement(ctx, step, exit) : renderPollStatement(ctx, step, exit);
}

/** The whole state machine of a pipeline, with what the compiler knows about it. */
export function compilePipeline(pipeline: Pipeline): PipelinePlan {
  const scope = new StateScope();
  const startAt = renderSteps({ pipeline, scope }, pipeline.steps, END);
  const { StartAt, States } = scope.branch(startAt);
  const machine: StateMachine = {
    ...(pipeline.description !== undefined ? { Comment: pipeline.description } : {}),
    StartAt,
    States,
    TimeoutSeconds: pipelineTimeoutSeconds(pipeline),
  };
  return planOf(pipeline, machine, scope);
}
