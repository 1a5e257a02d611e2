import type { Pipeline, Step } from '../load/model.ts';
import { statementSteps } from '../load/steps.ts';
import type { JsonValue, StateMachine } from './asl.ts';
import { CompileError } from './errors.ts';
import { DATA_API } from './integrations.ts';
import type { Permission, PipelinePlan, StateRole, StepPlan } from './plan.ts';
import { collectPlaceholders, type StateScope } from './state-scope.ts';

/** The plan of one compiled pipeline: the steps' facts the scope recorded, as a tree like the spec's. */
export function planOf(pipeline: Pipeline, machine: StateMachine, scope: StateScope): PipelinePlan {
  const steps = pipeline.steps.map((step) => stepPlan(step, scope));
  const stateRoles = new Map<string, { stepId: string; role: StateRole }>();
  const substitutionKeys = new Set<string>();
  collectPlaceholders((machine.Comment ?? null) as JsonValue, substitutionKeys);
  const visit = (plans: readonly StepPlan[]): void => {
    for (const plan of plans) {
      for (const [role, name] of Object.entries(plan.states) as [StateRole, string][])
        stateRoles.set(name, { stepId: plan.step.id, role });
      for (const key of plan.substitutionKeys) substitutionKeys.add(key);
      if (plan.kind === 'parallel') plan.branches.forEach(visit);
    }
  };
  visit(steps);
  return {
    pipeline,
    machine,
    steps,
    stateRoles,
    permissions: [...allTasks(steps).flatMap((task) => task.permissions), ...reaperPermissions(pipeline)],
    substitutionKeys: [...substitutionKeys].sort(),
  };
}

/**
 * The reaper machine (compile/reaper.ts) runs as this role to cancel the poll-mode statements of a
 * stopped execution: it lists the role's running statements and cancels them.
 */
function reaperPermissions(pipeline: Pipeline): Permission[] {
  const reaped =
    pipeline.cleanup === 'cancel-on-stop' && statementSteps(pipeline.steps).some((step) => step.mode === 'poll');
  if (!reaped) return [];
  // CancelStatement comes with every poll step's own Cancel task (OwnStatements).
  return [{ purpose: 'reaper', action: DATA_API.listStatements.action, resource: '*' }];
}

function allTasks(steps: readonly StepPlan[]): StepPlan['tasks'] {
  return steps.flatMap((plan) => [...plan.tasks, ...(plan.kind === 'parallel' ? plan.branches.flatMap(allTasks) : [])]);
}

function stepPlan(step: Step, scope: StateScope): StepPlan {
  const facts = scope.facts(step.id);
  if (!facts) throw new CompileError('unsupported', `step '${step.id}' built no states`);
  const states = Object.freeze(Object.fromEntries(facts.states));
  if (step.kind === 'statement') {
    return {
      kind: 'statement',
      step,
      states,
      tasks: facts.tasks,
      substitutionKeys: [...facts.substitutionKeys].sort(),
      ...(facts.lock !== undefined ? { lock: facts.lock } : {}),
    };
  }
  const branches = step.branches.map((branch) => branch.map((inner) => stepPlan(inner, scope)));
  const keys = new Set([...facts.substitutionKeys, ...branches.flat().flatMap((plan) => plan.substitutionKeys)]);
  return { kind: 'parallel', step, states, tasks: facts.tasks, substitutionKeys: [...keys].sort(), branches };
}
