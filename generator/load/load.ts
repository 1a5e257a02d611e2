import { compareErrors, SpecError, SpecErrors } from './errors.ts';
import type { Pipeline, RawPipeline } from './model.ts';
import { normalizePipeline } from './normalize.ts';
import { ruleErrors } from './rules.ts';
import { schemaErrors } from './schema.ts';
import { loadSpecSource, parseSpecSource, type SpecSource } from './source.ts';

export type SpecInput = {
  readonly path: string;
  readonly displayName?: string;
  readonly text?: string;
  /** `sqlFile`s must resolve inside this directory (real path); undefined: anywhere. */
  readonly sqlRoot?: string;
};

/** Load → validate → normalize one spec, collecting every problem instead of stopping at the first. */
export function loadPipeline(input: SpecInput): { pipeline?: Pipeline; source?: SpecSource; errors: SpecError[] } {
  const displayName = input.displayName ?? input.path;
  let parsed: { source: SpecSource; errors: SpecError[] };
  try {
    parsed =
      input.text !== undefined ? parseSpecSource(input.text, displayName) : loadSpecSource(input.path, displayName);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      errors: [
        new SpecError(
          'invalid-value',
          { file: displayName, line: 1, column: 1 },
          '',
          `cannot read the spec: ${reason}`,
        ),
      ],
    };
  }
  const { source } = parsed;
  if (parsed.errors.length > 0) return { source, errors: parsed.errors };
  const schemaProblems = schemaErrors(source);
  if (schemaProblems.length > 0) return { source, errors: schemaProblems.sort(compareErrors) };
  const spec = source.data as RawPipeline;
  const ruleProblems = ruleErrors(source, spec);
  const { pipeline, errors } = normalizePipeline(source, spec, input.path, input.sqlRoot);
  const all = [...ruleProblems, ...errors].sort(compareErrors);
  return all.length > 0 ? { source, errors: all } : { pipeline, source, errors: [] };
}

/** Every spec, or SpecErrors with every problem of every spec. */
export function loadPipelines(inputs: readonly SpecInput[]): Pipeline[] {
  const pipelines: Pipeline[] = [];
  const errors: SpecError[] = [];
  const byName = new Map<string, Pipeline>();
  for (const input of inputs) {
    const loaded = loadPipeline(input);
    errors.push(...loaded.errors);
    if (!loaded.pipeline) continue;
    // Names that differ only in case write files that collide on macOS and Windows file systems.
    const key = loaded.pipeline.name.toLowerCase();
    const earlier = byName.get(key);
    if (earlier && loaded.source) {
      const same = earlier.name === loaded.pipeline.name;
      errors.push(
        loaded.source.error(
          'duplicate-pipeline',
          ['pipeline'],
          same
            ? `pipeline name '${loaded.pipeline.name}' is also used by ${earlier.file}; every pipeline writes <pipeline>.asl.json, so names must be unique`
            : `pipeline name '${loaded.pipeline.name}' differs from '${earlier.name}' (${earlier.file}) only in case; their files would collide on macOS and Windows, so names must differ in more than case`,
          'value',
        ),
      );
      continue;
    }
    byName.set(key, loaded.pipeline);
    pipelines.push(loaded.pipeline);
  }
  if (errors.length > 0) throw new SpecErrors(errors);
  return pipelines;
}
