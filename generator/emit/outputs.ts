// The files `generate` writes, rendered from the compiler's plans. The compiler runs before this
// (cli/compile-specs.ts); nothing here compiles or re-reads what another output rendered.
import { relative, resolve, sep } from 'node:path';
import type { PipelinePlan } from '../compile/plan.ts';
import type { Pipeline } from '../load/model.ts';
import { statementSteps } from '../load/steps.ts';
import { DIAGRAM_FILE_SUFFIX, renderMarkdown } from './diagram.ts';
import { FRAGMENT_FILE_SUFFIX, renderFragment } from './fragment.ts';
import { IAM_FILE_SUFFIX, machinePolicy, policySubstitutionKeys, renderPolicy, type PolicyDocument } from './iam.ts';
import { renderDefinition } from './json.ts';
import { limitUsage, type LimitUsage } from './limits.ts';
import { RUNTIME_TEMPLATE_FILE, renderRuntimeTemplate } from './runtime-template.ts';
import { reaperPageSizeFor } from './state-size.ts';
import { renderTypedModule, TYPED_MODULE_FILE } from './typed-module.ts';

/** One file `generate` writes, relative to the output directory. */
export type OutputFile = { readonly path: string; readonly content: string };

export const DEFINITION_FILE_SUFFIX = '.asl.json';

/** What depends on one pipeline alone: its definition, its role policy, and its use of the limits. */
export type PipelineOutputs = {
  readonly plan: PipelinePlan;
  readonly pipeline: Pipeline;
  readonly definition: OutputFile;
  readonly policy: PolicyDocument;
  readonly policyFile: OutputFile;
  readonly limits: LimitUsage;
  /** `<pipeline>.fragment.json`, written with --fragment (or when one is already there). */
  readonly fragmentPath: string;
};

export function renderPipelineOutputs(plan: PipelinePlan): PipelineOutputs {
  const { pipeline } = plan;
  const definition = renderDefinition(plan.machine);
  const policy = machinePolicy(plan);
  return {
    plan,
    pipeline,
    definition: { path: `${pipeline.name}${DEFINITION_FILE_SUFFIX}`, content: definition },
    policy,
    policyFile: { path: `${pipeline.name}${IAM_FILE_SUFFIX}`, content: renderPolicy(policy) },
    limits: limitUsage(plan, definition),
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
export function allOutputFiles(outputs: readonly PipelineOutputs[], layout: OutputLayout): OutputFile[] {
  const outDirectory = resolve(layout.cwd, layout.outDirectory);
  const fromRoot = (file: string) => posix(relative(layout.root ?? layout.cwd, resolve(outDirectory, file)));
  const files: OutputFile[] = [];
  for (const result of outputs) {
    files.push(result.definition, result.policyFile, {
      path: `${result.pipeline.name}${DIAGRAM_FILE_SUFFIX}`,
      content: renderMarkdown(result.pipeline, result.limits, {
        spec: posix(relative(outDirectory, resolve(layout.cwd, result.pipeline.file))),
        definition: result.definition.path,
        policy: result.policyFile.path,
      }),
    });
    if (layout.fragments?.(result.pipeline.name))
      files.push({ path: result.fragmentPath, content: renderFragment(result.plan.machine) });
  }
  if (outputs.length > 0) {
    files.push({
      path: TYPED_MODULE_FILE,
      content: renderTypedModule(
        outputs.map((result) => ({
          plan: result.plan,
          definitionFile: fromRoot(result.definition.path),
          policyFile: fromRoot(result.policyFile.path),
          policySubstitutionKeys: policySubstitutionKeys(result.policy),
          policy: result.policy,
        })),
      ),
    });
  }
  if (outputs.some((result) => needsRuntime(result.pipeline)))
    files.push({
      path: RUNTIME_TEMPLATE_FILE,
      content: renderRuntimeTemplate({
        reaperPageSize: reaperPageSizeFor(outputs.map((result) => result.pipeline)),
      }),
    });
  return files;
}
