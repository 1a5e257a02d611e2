import type { ErrorObject } from 'ajv';
import type { SpecError } from './errors.ts';
import { pipelineValidator } from './schema-validator.ts';
import type { FieldPath, SpecSource } from './source.ts';

type SchemaNode = { description?: string; properties?: Record<string, unknown>; enum?: unknown[]; const?: unknown };

/** Schema errors of one spec, one per offending field, each pointing at its line and column. */
export function schemaErrors(source: SpecSource): SpecError[] {
  const validate = pipelineValidator();
  if (validate(source.data)) return [];
  const errors = validate.errors ?? [];
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  const seen = new Set<string>();
  const result: SpecError[] = [];
  for (const error of errors) {
    if (error.keyword === 'if' || (oneOfPaths.has(error.instancePath) && error.keyword !== 'oneOf')) continue;
    const converted = convert(source, error);
    if (!converted || seen.has(converted.message)) continue;
    seen.add(converted.message);
    result.push(converted);
  }
  return result;
}

function pathOf(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function describe(node: unknown): string {
  const description = (node as SchemaNode | undefined)?.description;
  return description ? ` (${description.replace(/\.$/, '')})` : '';
}

function isDuration(node: unknown): boolean {
  const variants = (node as { oneOf?: { pattern?: string }[] } | undefined)?.oneOf ?? [];
  return variants.some((variant) => variant.pattern?.includes('(\\d+h)?') === true);
}

function isByteSize(node: unknown): boolean {
  const variants = (node as { oneOf?: { pattern?: string }[] } | undefined)?.oneOf ?? [];
  return variants.some((variant) => variant.pattern?.includes('KiB') === true);
}

const SHOWN_CHARACTERS = 60;

/** A value as the user wrote it (`.inf`, `.nan` for YAML's non-finite numbers), long ones cut short. */
function shown(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value))
    return Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf';
  const text =
    typeof value === 'string'
      ? `'${value.length > SHOWN_CHARACTERS ? `${value.slice(0, SHOWN_CHARACTERS)}…` : value}'`
      : (JSON.stringify(value) ?? String(value));
  return text.length > SHOWN_CHARACTERS + 20 ? `${text.slice(0, SHOWN_CHARACTERS)}…` : text;
}

function convert(source: SpecSource, error: ErrorObject): SpecError | undefined {
  const path: FieldPath = pathOf(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const valid = Object.keys((error.parentSchema as SchemaNode | undefined)?.properties ?? {}).join(', ');
      return source.error('unknown-field', [...path, field], `unknown field '${field}'; valid fields here: ${valid}`);
    }
    case 'required': {
      const field = String(params.missingProperty);
      const properties = (error.parentSchema as SchemaNode | undefined)?.properties ?? {};
      return source.error('missing-field', path, `missing required field '${field}'${describe(properties[field])}`);
    }
    case 'propertyNames':
      return source.error(
        'invalid-value',
        [...path, String(params.propertyName)],
        `'${String(params.propertyName)}' is not a valid parameter name; use a letter or underscore, then letters, digits or underscores`,
      );
    case 'enum':
      return source.error(
        'invalid-value',
        path,
        `${shown(error.data)} is not valid; must be one of: ${(params.allowedValues as unknown[]).join(', ')}`,
        'value',
      );
    case 'const':
      return source.error(
        'invalid-value',
        path,
        `${shown(error.data)} is not valid; must be ${shown(params.allowedValue)}`,
        'value',
      );
    case 'oneOf':
      if (isByteSize(error.parentSchema))
        return source.error(
          'invalid-value',
          path,
          `${shown(error.data)} is not a byte size; use a whole number of bytes (1 or more) or a size such as 512B, 64KB, 64KiB (KB = KiB = 1,024 bytes)`,
          'value',
        );
      return isDuration(error.parentSchema)
        ? source.error(
            'invalid-duration',
            path,
            `${shown(error.data)} is not a duration; use 30s, 5m, 2h, a combination such as 1h30m, or a whole number of seconds`,
            'value',
          )
        : source.error(
            'invalid-value',
            path,
            `${shown(error.data)} is not valid${describe(error.parentSchema)}`,
            'value',
          );
    case 'type':
      return source.error(
        'invalid-value',
        path,
        `${shown(error.data)} is not valid; must be ${String(params.type).replace(/,/g, ' or ')}${describe(error.parentSchema)}`,
        'value',
      );
    case 'pattern':
      return source.error(
        'invalid-value',
        path,
        `${shown(error.data)} is not valid${describe(error.parentSchema)}`,
        'value',
      );
    case 'minimum':
    case 'maximum':
      return source.error(
        'invalid-value',
        path,
        `${shown(error.data)} is not valid; must be ${error.keyword === 'minimum' ? 'at least' : 'at most'} ${String(params.limit)}${describe(error.parentSchema)}`,
        'value',
      );
    case 'minItems':
    case 'maxItems':
      return source.error(
        'invalid-value',
        path,
        `must have ${error.keyword === 'minItems' ? 'at least' : 'at most'} ${String(params.limit)} item(s)${describe(error.parentSchema)}`,
      );
    case 'minLength':
    case 'maxLength':
      return error.keyword === 'maxLength'
        ? source.error(
            'sql-too-long',
            path,
            `${(error.data as string).length.toLocaleString('en-US')} characters is too long; must have at most ${Number(params.limit).toLocaleString('en-US')}${describe(error.parentSchema)}`,
            'value',
          )
        : source.error(
            'invalid-value',
            path,
            `${shown(error.data)} is not valid; must have at least ${String(params.limit)} character(s)`,
            'value',
          );
    default:
      return source.error(
        'invalid-value',
        path,
        `${error.message ?? 'is not valid'}${describe(error.parentSchema)}`,
        'value',
      );
  }
}
