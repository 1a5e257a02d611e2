import { STATE_KEY_ORDER, type Branch, type State, type StateMachine } from '../compile/asl.ts';

type Ordered = { [key: string]: unknown };

/** The definition as committed: 2-space JSON, canonical key order, trailing newline. */
export function renderDefinition(machine: StateMachine): string {
  const { Comment, StartAt, TimeoutSeconds, States } = machine;
  const ordered: Ordered = {
    ...(Comment !== undefined ? { Comment } : {}),
    StartAt,
    ...(TimeoutSeconds !== undefined ? { TimeoutSeconds } : {}),
    States: orderStates({ StartAt, States }),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** States in reading order: the happy path first (depth first along Next), then the exits. */
function orderStates(branch: Branch): Ordered {
  const ordered: Ordered = {};
  // Depth first without recursion: a pipeline of thousands of steps is a chain of tens of
  // thousands of states.
  const pending = [...Object.keys(branch.States).sort().reverse(), branch.StartAt];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    const state = branch.States[name];
    if (state === undefined || name in ordered) continue;
    ordered[name] = orderState(state);
    pending.push(...successors(state).reverse());
  }
  return ordered;
}

export function successors(state: State): string[] {
  const names: string[] = [];
  if ('Next' in state && typeof state.Next === 'string') names.push(state.Next);
  if (state.Type === 'Choice') {
    names.push(...state.Choices.map((choice) => choice.Next));
    if (state.Default !== undefined) names.push(state.Default);
  }
  if ((state.Type === 'Task' || state.Type === 'Parallel' || state.Type === 'Map') && state.Catch)
    names.push(...state.Catch.map((catcher) => catcher.Next));
  return names;
}

function orderState(state: State): Ordered {
  const source = state as unknown as Ordered;
  const ordered: Ordered = {};
  for (const key of STATE_KEY_ORDER) {
    if (source[key] === undefined) continue;
    if (key === 'Branches')
      ordered[key] = (source[key] as Branch[]).map((branch) => ({
        StartAt: branch.StartAt,
        States: orderStates(branch),
      }));
    else if (key === 'ItemProcessor') {
      const processor = source[key] as Branch & { ProcessorConfig?: unknown };
      ordered[key] = {
        ...(processor.ProcessorConfig !== undefined ? { ProcessorConfig: processor.ProcessorConfig } : {}),
        StartAt: processor.StartAt,
        States: orderStates(processor),
      };
    } else ordered[key] = source[key];
  }
  return ordered;
}
