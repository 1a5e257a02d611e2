import type { Branch, State } from './asl.ts';
import { CompileError } from './errors.ts';

const MAX_STATE_NAME_LENGTH = 80;

/**
 * Collects the states of one scope (the machine or one Parallel branch). Names are unique across
 * the whole machine: every scope of one compilation shares the set of names taken.
 */
export class StateRegistry {
  private readonly states = new Map<string, State>();

  constructor(private readonly taken: Set<string> = new Set()) {}

  add(name: string, state: State): string {
    if (name.length > MAX_STATE_NAME_LENGTH) {
      throw new CompileError('state-name-too-long', `state name '${name}' is longer than ${MAX_STATE_NAME_LENGTH} characters`);
    }
    if (this.taken.has(name)) throw new CompileError('duplicate-state-name', `state name '${name}' is used twice`);
    this.taken.add(name);
    this.states.set(name, state);
    return name;
  }

  /** A registry for a nested scope (a Parallel branch) that shares this one's names. */
  scope(): StateRegistry {
    return new StateRegistry(this.taken);
  }

  branch(startAt: string): Branch {
    return { StartAt: startAt, States: Object.freeze(Object.fromEntries(this.states)) };
  }
}

/** `<stepId>.<Part>`: readable in the console, stable, and unique because step ids are. */
export function stateName(stepId: string, part: string): string {
  return `${stepId}.${part}`;
}
