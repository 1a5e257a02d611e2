import type { ParallelStep } from '../load/model.ts';
import type { Transition } from './asl.ts';
import { END, type CompileContext } from './context.ts';
import { jsonMerge } from './intrinsics.ts';
import type { StepRenderer } from './pipeline.ts';

/**
 * Branches run concurrently on copies of the state; each adds its records under `$.steps`. The
 * Parallel state selects the first branch's state and the union of every branch's `steps`; one
 * Pass merges them. (No JSON string round trip: every record's text survives exactly.)
 */
export function renderParallel(
  ctx: CompileContext,
  step: ParallelStep,
  exit: Transition,
  renderSteps: StepRenderer,
): string {
  const branches = step.branches.map((steps) => {
    const scope = ctx.scope.scope();
    const startAt = renderSteps({ ...ctx, scope }, steps, END);
    return scope.branch(startAt);
  });
  const states = ctx.scope.step(step.id);
  const merge = states.add('Merge', {
    Type: 'Pass',
    Comment: 'The state as it was, with every branch record under steps',
    Parameters: { 'State.$': jsonMerge('$.Base', '$.Patch') },
    OutputPath: '$.State',
    ...exit,
  });
  return states.parallel({
    Type: 'Parallel',
    ...(step.description !== undefined ? { Comment: step.description } : {}),
    Branches: branches,
    ResultSelector: { 'Base.$': '$[0]', Patch: { 'steps.$': mergedSteps(branches.length) } },
    Next: merge,
  });
}

export function mergedSteps(branchCount: number): string {
  let steps = '$[0].steps';
  for (let index = 1; index < branchCount; index += 1) steps = jsonMerge(steps, `$[${index}].steps`);
  return steps;
}
