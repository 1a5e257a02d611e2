import { compilePipeline } from '../compile/pipeline.ts';
import type { StateMachine } from '../compile/asl.ts';
import type { Pipeline } from '../spec/model.ts';
import { renderDefinition } from './json.ts';

/** One file `generate` writes, relative to the output directory. */
export type OutputFile = { readonly path: string; readonly content: string };

export type CompiledPipeline = {
  readonly pipeline: Pipeline;
  readonly machine: StateMachine;
  readonly stateCount: number;
  readonly files: readonly OutputFile[];
};

export function countStates(machine: { States: StateMachine['States'] }): number {
  let count = 0;
  for (const state of Object.values(machine.States)) {
    count += 1;
    if (state.Type === 'Parallel') count += state.Branches.reduce((sum, branch) => sum + countStates(branch), 0);
  }
  return count;
}

export function compileOutputs(pipeline: Pipeline): CompiledPipeline {
  const machine = compilePipeline(pipeline);
  return {
    pipeline,
    machine,
    stateCount: countStates(machine),
    files: [{ path: `${pipeline.name}.asl.json`, content: renderDefinition(machine) }],
  };
}
