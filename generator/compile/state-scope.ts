import { placeholderNames } from '../load/placeholders.ts';
import type { Branch, JsonValue, State, TaskState } from './asl.ts';
import { CompileError } from './errors.ts';
import type { ServiceCall } from './integrations.ts';
import type { LockPlan, Permission, StateRole, TaskPlan } from './plan.ts';

const MAX_STATE_NAME_LENGTH = 80;

/** A Task's fields other than what its ServiceCall decides (`Type`, `Resource`). */
export type TaskFields = TaskState extends infer T ? (T extends unknown ? Omit<T, 'Type' | 'Resource'> : never) : never;

/** What the compiler learns about one step while it builds the step's states. */
export type StepFacts = {
  readonly states: Map<StateRole, string>;
  readonly tasks: TaskPlan[];
  readonly substitutionKeys: Set<string>;
  lock?: LockPlan;
};

/** Shared by every scope of one compilation: the names taken and the facts per step id. */
type Compilation = { readonly taken: Set<string>; readonly facts: Map<string, StepFacts> };

/**
 * Collects the states of one scope (the machine or one Parallel branch). Names are unique across
 * the whole machine: every scope of one compilation shares the set of names taken.
 */
export class StateScope {
  private readonly states = new Map<string, State>();

  constructor(private readonly compilation: Compilation = { taken: new Set(), facts: new Map() }) {}

  /** The states of one step, added by role. */
  step(stepId: string): StepStates {
    let facts = this.compilation.facts.get(stepId);
    if (!facts)
      this.compilation.facts.set(stepId, (facts = { states: new Map(), tasks: [], substitutionKeys: new Set() }));
    return new StepStates(this, stepId, facts);
  }

  /** What was learnt about a step (after its states were built). */
  facts(stepId: string): StepFacts | undefined {
    return this.compilation.facts.get(stepId);
  }

  add(name: string, state: State): string {
    if (name.length > MAX_STATE_NAME_LENGTH) {
      throw new CompileError(
        'state-name-too-long',
        `state name '${name}' is longer than ${MAX_STATE_NAME_LENGTH} characters`,
      );
    }
    if (this.compilation.taken.has(name))
      throw new CompileError('duplicate-state-name', `state name '${name}' is used twice`);
    this.compilation.taken.add(name);
    this.states.set(name, state);
    return name;
  }

  /** A scope for a nested branch (a Parallel's) that shares this one's names. */
  scope(): StateScope {
    return new StateScope(this.compilation);
  }

  branch(startAt: string): Branch {
    return { StartAt: startAt, States: Object.freeze(Object.fromEntries(this.states)) };
  }
}

/** `<stepId>.<Role>`: readable in the console, stable, and unique because step ids are. The Parallel state is the step id. */
function stateName(stepId: string, role: StateRole): string {
  return role === 'Parallel' ? stepId : `${stepId}.${role}`;
}

/** `${Name}` keys in every string (and key) of a JSON value. */
export function collectPlaceholders(value: JsonValue | undefined, into: Set<string>): void {
  if (typeof value === 'string') for (const name of placeholderNames(value)) into.add(name);
  else if (Array.isArray(value)) for (const item of value as readonly JsonValue[]) collectPlaceholders(item, into);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      collectPlaceholders(key, into);
      collectPlaceholders(item, into);
    }
  }
}

/** One step's states in its scope, by role; records what the plan says of the step. */
export class StepStates {
  constructor(
    private readonly scope: StateScope,
    readonly stepId: string,
    private readonly facts: StepFacts,
  ) {}

  /** The name a role's state has (or will have): for transitions to states built later. */
  name(role: StateRole): string {
    return stateName(this.stepId, role);
  }

  add(role: StateRole, state: Exclude<State, TaskState | Extract<State, { Type: 'Parallel' }>>): string {
    return this.record(role, state);
  }

  /** The Parallel state of a parallel step; its branches' states are the nested steps' own. */
  parallel(state: Extract<State, { Type: 'Parallel' }>): string {
    const { Branches: _branches, ...own } = state;
    collectPlaceholders(own as unknown as JsonValue, this.facts.substitutionKeys);
    return this.remember('Parallel', this.scope.add(this.name('Parallel'), state));
  }

  /** A Task calling `call`, with the permissions it needs. */
  task(role: StateRole, call: ServiceCall, fields: TaskFields, permissions: readonly Permission[]): string {
    const name = this.record(role, { Type: 'Task', Resource: call.resource, ...fields } as TaskState);
    this.facts.tasks.push({ state: name, role, integration: call.integration, permissions });
    return name;
  }

  lock(lock: LockPlan): void {
    this.facts.lock = lock;
  }

  private record(role: StateRole, state: State): string {
    collectPlaceholders(state as unknown as JsonValue, this.facts.substitutionKeys);
    return this.remember(role, this.scope.add(this.name(role), state));
  }

  private remember(role: StateRole, name: string): string {
    this.facts.states.set(role, name);
    return name;
  }
}
