import type { ParallelStep } from '../spec/model.ts';
import type { Transition } from './asl.ts';
import { END, type CompileContext } from './context.ts';
import { format, jsonMerge } from './intrinsics.ts';
import type { StepRenderer } from './pipeline.ts';

/**
 * Branches run concurrently on copies of the state; each adds its records under `$.steps`.
 * The branch outputs are merged back in the Parallel state itself (no extra transition): the
 * first branch's state with `steps` replaced by the union of every branch's `steps`.
 */
export function renderParallel(ctx: CompileContext, step: ParallelStep, exit: Transition, renderSteps: StepRenderer): string {
  const branches = step.branches.map((steps) => {
    const registry = ctx.registry.scope();
    const startAt = renderSteps({ ...ctx, registry }, steps, END);
    return registry.branch(startAt);
  });
  return ctx.registry.add(step.id, {
    Type: 'Parallel',
    ...(step.description !== undefined ? { Comment: step.description } : {}),
    Branches: branches,
    ResultSelector: { 'State.$': mergeBranchOutputs(branches.length) },
    OutputPath: '$.State',
    ...exit,
  });
}

export function mergeBranchOutputs(branchCount: number): string {
  let steps = '$[0].steps';
  for (let index = 1; index < branchCount; index += 1) steps = jsonMerge(steps, `$[${index}].steps`);
  // Intrinsic string literals need `{` and `}` escaped; States.Format fills the one `{}` left.
  const wrapped = `States.StringToJson(${format('\\{"steps":{}\\}', `States.JsonToString(${steps})`)})`;
  return jsonMerge('$[0]', wrapped);
}
