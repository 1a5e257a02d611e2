import type { SpecError } from './errors.ts';
import type { RawPipeline, RawStep } from './model.ts';
import { malformedPlaceholder } from './placeholders.ts';
import type { FieldPath, SpecSource } from './source.ts';

const STEP_KINDS = ['sql', 'sqlFile', 'sqls', 'parallel'] as const;
const STATEMENT_ONLY_FIELDS = ['parameters', 'results', 'singleton'] as const;

/** Rules a JSON Schema cannot express, checked on a schema-valid spec. */
export function ruleErrors(source: SpecSource, spec: RawPipeline): SpecError[] {
  const errors: SpecError[] = [];
  const firstSeen = new Map<string, FieldPath>();
  walkSteps(spec.steps, ['steps'], (step, path) => {
    const kinds = STEP_KINDS.filter((kind) => step[kind] !== undefined);
    if (kinds.length !== 1) {
      errors.push(
        source.error(
          'step-kind-conflict',
          path,
          kinds.length === 0
            ? `step '${step.id}' has no SQL; give exactly one of sql, sqlFile, sqls or parallel`
            : `step '${step.id}' has ${kinds.join(' and ')}; give exactly one of sql, sqlFile, sqls or parallel`,
        ),
      );
    }
    if (step.parallel !== undefined) {
      for (const field of STATEMENT_ONLY_FIELDS) {
        if (step[field] !== undefined) {
          errors.push(
            source.error(
              'step-kind-conflict',
              [...path, field],
              `'${field}' belongs on the steps inside the branches, not on parallel step '${step.id}'`,
            ),
          );
        }
      }
    }
    const earlier = firstSeen.get(step.id);
    if (earlier) {
      const { line } = source.locate([...earlier, 'id']);
      errors.push(
        source.error(
          'duplicate-step-id',
          [...path, 'id'],
          `step id '${step.id}' is already used on line ${line}; step ids must be unique in the whole pipeline, parallel branches included`,
        ),
      );
    } else {
      firstSeen.set(step.id, path);
    }
  });
  walkStrings(spec, [], (text, path) => {
    const bad = malformedPlaceholder(text);
    if (bad !== undefined) {
      errors.push(
        source.error(
          'invalid-placeholder',
          path,
          `malformed placeholder '${bad}'; write \${Name} (a letter, then letters, digits or underscores) for a DefinitionSubstitutions key, or \${!Text} for a literal \${Text}`,
          'value',
        ),
      );
    }
  });
  return errors;
}

export function walkSteps(
  steps: readonly RawStep[],
  path: FieldPath,
  visit: (step: RawStep, path: FieldPath) => void,
): void {
  steps.forEach((step, index) => {
    const stepPath = [...path, index];
    visit(step, stepPath);
    for (const [branchIndex, branch] of (step.parallel ?? []).entries())
      walkSteps(branch.steps, [...stepPath, 'parallel', branchIndex, 'steps'], visit);
  });
}

function walkStrings(value: unknown, path: FieldPath, visit: (text: string, path: FieldPath) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value))
    for (const [index, item] of value.entries()) walkStrings(item, [...path, index], visit);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) walkStrings(item, [...path, key], visit);
  }
}
