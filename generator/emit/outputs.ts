import { compilePipeline } from '../compile/pipeline.ts';
import type { StateMachine } from '../compile/asl.ts';
import type { Pipeline, Step } from '../spec/model.ts';
import { renderDefinition } from './json.ts';
import { RUNTIME_TEMPLATE_FILE, renderRuntimeTemplate } from './runtime-template.ts';

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

function stepNeedsRuntime(step: Step): boolean {
  if (step.kind === 'parallel') return step.branches.some((steps) => steps.some(stepNeedsRuntime));
  return step.singleton || step.mode === 'callback';
}

/** Callback-mode and singleton steps need the state table (and the runtime) that the template deploys. */
export function needsRuntime(pipeline: Pipeline): boolean {
  return pipeline.steps.some(stepNeedsRuntime);
}

/** Every file of one generate run: each pipeline's files, and the runtime template when one needs it. */
export function allOutputFiles(compiled: readonly CompiledPipeline[]): OutputFile[] {
  const files = compiled.flatMap((result) => result.files);
  if (compiled.some((result) => needsRuntime(result.pipeline))) files.push({ path: RUNTIME_TEMPLATE_FILE, content: renderRuntimeTemplate() });
  return files;
}
