import { relative, resolve, sep } from 'node:path';
import { compilePipeline } from '../compile/pipeline.ts';
import type { StateMachine } from '../compile/asl.ts';
import type { Pipeline } from '../load/model.ts';
import { statementSteps } from '../load/steps.ts';
import { countStates, pipelineBudget, type PipelineBudget } from './budgets.ts';
import { DIAGRAM_FILE_SUFFIX, renderMarkdown } from './diagram.ts';
import { FRAGMENT_FILE_SUFFIX, renderFragment } from './fragment.ts';
import { definitionSubstitutionKeys, IAM_FILE_SUFFIX, machinePolicy, policySubstitutionKeys, renderPolicy, type PolicyDocument } from './iam.ts';
import { renderDefinition } from './json.ts';
import { RUNTIME_TEMPLATE_FILE, renderRuntimeTemplate } from './runtime-template.ts';
import { renderTypedModule, TYPED_MODULE_FILE } from './typed-module.ts';

export { countStates };

/** One file `generate` writes, relative to the output directory. */
export type OutputFile = { readonly path: string; readonly content: string };

export const DEFINITION_FILE_SUFFIX = '.asl.json';

export type CompiledPipeline = {
  readonly pipeline: Pipeline;
  readonly machine: StateMachine;
  readonly stateCount: number;
  /** The definition and the role policy: what depends on the pipeline alone. */
  readonly files: readonly OutputFile[];
  readonly policy: PolicyDocument;
  readonly budget: PipelineBudget;
  /** `<pipeline>.fragment.json`, written with --fragment (or when one is already there). */
  readonly fragmentPath: string;
};

export function compileOutputs(pipeline: Pipeline): CompiledPipeline {
  const machine = compilePipeline(pipeline);
  const definition = renderDefinition(machine);
  const policy = machinePolicy(machine);
  const budget = pipelineBudget(machine, pipeline, definition);
  return {
    pipeline,
    machine,
    stateCount: budget.states,
    files: [
      { path: `${pipeline.name}${DEFINITION_FILE_SUFFIX}`, content: definition },
      { path: `${pipeline.name}${IAM_FILE_SUFFIX}`, content: renderPolicy(policy) },
    ],
    policy,
    budget,
    fragmentPath: `${pipeline.name}${FRAGMENT_FILE_SUFFIX}`,
  };
}


/** Callback-mode and singleton steps need the state table (and the runtime) that the template deploys. */
export function needsRuntime(pipeline: Pipeline): boolean {
  return statementSteps(pipeline.steps).some((step) => step.singleton || step.mode === 'callback');
}

/** Where the outputs go, for the paths and links written inside them. */
export type OutputLayout = {
  /** The directory generate runs in: spec paths (as named on the command line) are relative to it. */
  readonly cwd: string;
  /** The project root: the typed module's paths are relative to it. Default `cwd`. */
  readonly root?: string;
  /** Absolute, or relative to `cwd`. */
  readonly outDirectory: string;
  /** Pipelines whose fragment is written. Default none. */
  readonly fragments?: (pipelineName: string) => boolean;
};

function posix(path: string): string {
  return path.split(sep).join('/');
}

/**
 * Every file of one generate run: per pipeline its definition, role policy, diagram (and fragment);
 * then the typed module of them all, and the runtime template when one needs it.
 */
export function allOutputFiles(compiled: readonly CompiledPipeline[], layout: OutputLayout): OutputFile[] {
  const outDirectory = resolve(layout.cwd, layout.outDirectory);
  const fromRoot = (file: string) => posix(relative(layout.root ?? layout.cwd, resolve(outDirectory, file)));
  const files: OutputFile[] = [];
  for (const result of compiled) {
    const [definition, policy] = result.files as [OutputFile, OutputFile];
    files.push(definition, policy, {
      path: `${result.pipeline.name}${DIAGRAM_FILE_SUFFIX}`,
      content: renderMarkdown(result.pipeline, result.budget, {
        spec: posix(relative(outDirectory, resolve(layout.cwd, result.pipeline.file))),
        definition: definition.path,
        policy: policy.path,
      }),
    });
    if (layout.fragments?.(result.pipeline.name)) files.push({ path: result.fragmentPath, content: renderFragment(result.machine) });
  }
  if (compiled.length > 0) {
    files.push({
      path: TYPED_MODULE_FILE,
      content: renderTypedModule(
        compiled.map((result) => {
          const [definition, policy] = result.files as [OutputFile, OutputFile];
          return {
            pipeline: result.pipeline,
            definitionFile: fromRoot(definition.path),
            policyFile: fromRoot(policy.path),
            substitutionKeys: definitionSubstitutionKeys(definition.content),
            policySubstitutionKeys: policySubstitutionKeys(policy.content),
            policy: result.policy,
          };
        }),
      ),
    });
  }
  if (compiled.some((result) => needsRuntime(result.pipeline))) files.push({ path: RUNTIME_TEMPLATE_FILE, content: renderRuntimeTemplate() });
  return files;
}
