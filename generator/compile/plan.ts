// What the compiler returns for a pipeline: the immutable ASL model plus what the compiler knows
// about it, so that every view (limits, role policy, typed module, diagrams, fragments, the local
// progress view, the bench) reads facts instead of parsing state names, ARNs or rendered text.
import type { ParallelStep, Pipeline, StatementStep } from '../load/model.ts';
import type { StateMachine } from './asl.ts';

/**
 * What a state does for its step. A state is named `<stepId>.<role>` (the Parallel state of a
 * parallel step is named by the step id alone), but views look states up by role: renaming a role
 * here is a compile error wherever it is read.
 */
export type StateRole =
  // Every statement step
  | 'Execute'
  | 'Cancel'
  | 'TimedOut'
  | 'Record'
  // Poll mode
  | 'Wait'
  | 'Describe'
  | 'Status'
  | 'Backoff'
  | 'LastWait'
  // Poll mode with `poll.longPoll` (with Describe and Status: one round of long polls)
  | 'Describe2'
  | 'Status2'
  | 'Describe3'
  | 'Status3'
  | 'NextPolls'
  | 'FailedText'
  | 'FailedUntold'
  | 'Failed'
  | 'Aborted'
  // Callback mode
  | 'EarlyCause'
  | 'TimedOutEarly'
  | 'TimedOutUntold'
  | 'Settled'
  | 'Busy'
  | 'Concurrent'
  // `results: true`
  | 'HasResult'
  | 'FetchResult'
  | 'NoResult'
  | 'LastResult'
  | 'ResultSize'
  | 'TooLarge'
  | 'ResultTooLarge'
  // The singleton lock (poll mode)
  | 'Lock'
  | 'Acquire'
  | 'Holder'
  | 'HolderState'
  | 'HolderStatement'
  | 'HolderRunning'
  | 'HolderExpiry'
  | 'HolderExecution'
  | 'HolderAlive'
  | 'HolderDeadline'
  | 'HolderBusy'
  | 'BusyStarting'
  | 'TakeOver'
  | 'Register'
  | 'Release'
  | 'ReleaseOnError'
  | 'RaiseCause'
  | 'Raise'
  | 'RaiseUntold'
  // A parallel step
  | 'Parallel'
  | 'Merge';

/** State names of one step by role; a role the step does not use is absent. */
export type StatesByRole = { readonly [R in StateRole]?: string };

/** The service a Task integrates with. */
export type Integration = 'redshift-data' | 'dynamodb' | 'states' | 'lambda';

/**
 * Why the role needs a permission; the policy groups and names its statements by it (CDK's
 * `policyStatements` of a Task, with the purpose the Sid is written from).
 */
export type PermissionPurpose =
  | 'run'
  | 'owned'
  | 'credentials'
  | 'secret'
  | 'kms'
  | 'table'
  | 'executions'
  | 'lambda'
  | 'reaper';

/** One IAM action on one resource that a Task needs (resources keep their `${…}` placeholders). */
export type Permission = { readonly purpose: PermissionPurpose; readonly action: string; readonly resource: string };

export type TaskPlan = {
  readonly state: string;
  readonly role: StateRole;
  readonly integration: Integration;
  readonly permissions: readonly Permission[];
};

/**
 * The singleton lock of a step: taken by the machine itself (poll mode) in the state table under
 * the key of the contract, or by the runtime inside its submit (callback mode).
 */
export type LockPlan =
  | {
      readonly takenBy: 'machine';
      readonly table: string;
      readonly target: string;
      readonly database: string;
      readonly sqlDigest: string;
    }
  | { readonly takenBy: 'runtime' };

type StepPlanCommon = {
  readonly states: StatesByRole;
  /** The step's Tasks in the order the compiler built them; for a parallel step, its own (none). */
  readonly tasks: readonly TaskPlan[];
  /** `${Name}` keys of DefinitionSubstitutions the step's states use (nested steps included), sorted. */
  readonly substitutionKeys: readonly string[];
};

export type StatementStepPlan = StepPlanCommon & {
  readonly kind: 'statement';
  readonly step: StatementStep;
  readonly lock?: LockPlan;
};

export type ParallelStepPlan = StepPlanCommon & {
  readonly kind: 'parallel';
  readonly step: ParallelStep;
  readonly branches: readonly (readonly StepPlan[])[];
};

export type StepPlan = StatementStepPlan | ParallelStepPlan;

export type PipelinePlan = {
  readonly pipeline: Pipeline;
  readonly machine: StateMachine;
  /** The pipeline's steps in spec order, parallel branches nested. */
  readonly steps: readonly StepPlan[];
  /** Every state of the machine (branches included) → its step and role. */
  readonly stateRoles: ReadonlyMap<string, { readonly stepId: string; readonly role: StateRole }>;
  /** What every Task of the machine needs, in the order the Tasks were built. */
  readonly permissions: readonly Permission[];
  /** `${Name}` keys the definition needs substituted (DefinitionSubstitutions), sorted. */
  readonly substitutionKeys: readonly string[];
};

/** The state of `role` in a step, or an error naming what is missing (a compiler/view mismatch). */
export function stateOf(plan: StepPlan, role: StateRole): string {
  const name = plan.states[role];
  if (name === undefined) throw new PlanError(`step '${plan.step.id}' has no ${role} state`);
  return name;
}

/** Statement steps of a plan, parallel branches flattened in order. */
export function statementStepPlans(steps: readonly StepPlan[]): StatementStepPlan[] {
  return steps.flatMap((plan) => (plan.kind === 'parallel' ? plan.branches.flatMap(statementStepPlans) : [plan]));
}

/** A view asked the plan for something the compiler did not build: a bug, never a user error. */
export class PlanError extends Error {
  override readonly name = 'PlanError';
}
