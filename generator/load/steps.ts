import type { Step, StatementStep } from './model.ts';

/** Every statement step, in order, at any depth of parallel branches. */
export function statementSteps(steps: readonly Step[]): StatementStep[] {
  return steps.flatMap((step) => (step.kind === 'parallel' ? step.branches.flatMap(statementSteps) : [step]));
}
