import type { Pipeline } from '../load/model.ts';
import type { Transition } from './asl.ts';
import type { StateScope } from './state-scope.ts';

/** What every render function of one compilation needs. */
export type CompileContext = {
  readonly pipeline: Pipeline;
  readonly scope: StateScope;
};

export function next(name: string): Transition {
  return { Next: name };
}

export const END: Transition = { End: true };
