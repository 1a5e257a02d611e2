// `<pipeline>.fragment.json`: the machine's `{StartAt, States}` alone, to drop into a user's own
// machine as a Parallel branch or after any of its states. Same states as the definition, so the
// contract's error names and the `$.steps.<id>` records are the same; the pipeline-level Comment
// and TimeoutSeconds are the surrounding machine's business.
import type { StateMachine } from '../compile/asl.ts';
import { renderDefinition } from './json.ts';

export const FRAGMENT_FILE_SUFFIX = '.fragment.json';

export function renderFragment(machine: Pick<StateMachine, 'StartAt' | 'States'>): string {
  return renderDefinition({ StartAt: machine.StartAt, States: machine.States });
}

/** States of a fragment that end it (`"End": true`): where a splice after them continues. */
export function fragmentExits(machine: Pick<StateMachine, 'StartAt' | 'States'>): string[] {
  return Object.entries(machine.States)
    .filter(([, state]) => 'End' in state && state.End === true)
    .map(([name]) => name)
    .sort();
}
