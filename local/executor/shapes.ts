// Step Functions speaks PascalCase member names to and from every AWS SDK integration ("Parameters
// in Step Functions are expressed in PascalCase, even if the native service API is in camelCase"),
// while the JS SDK v3 uses the services' own member names (Data API `SqlParameter` is `name` /
// `value`, `Field` is `longValue`, Step Functions' own API is all camelCase). This module
// translates in both directions with the operation schemas the SDK clients export (`<Op>$`),
// keeping map keys (DynamoDB attribute names, ...) untouched, and lists the fields Step
// Functions would reject.
import type { Json, JsonObject } from './definition.ts';

type Shape =
  | { kind: 'struct'; members: Map<string, unknown> }
  | { kind: 'list'; member: unknown }
  | { kind: 'map'; value: unknown }
  | { kind: 'timestamp' }
  | { kind: 'blob' }
  | { kind: 'other' };

const TIMESTAMP_TYPES: ReadonlySet<number> = new Set([4, 5, 6, 7]);
const BLOB_TYPE = 21;

/** Follows member tuples (`[ref, traits]`) and lazy references (`() => schema`). */
function deref(ref: unknown): unknown {
  let current = ref;
  for (let depth = 0; depth < 16; depth++) {
    if (typeof current === 'function') current = (current as () => unknown)();
    else if (Array.isArray(current) && current.length === 2) current = current[0];
    else return current;
  }
  return current;
}

function simple(type: number): Shape {
  if (type & 128) return { kind: 'map', value: type & 127 };
  if (type & 64) return { kind: 'list', member: type & 63 };
  if (TIMESTAMP_TYPES.has(type)) return { kind: 'timestamp' };
  if (type === BLOB_TYPE) return { kind: 'blob' };
  return { kind: 'other' };
}

export function shapeOf(ref: unknown): Shape {
  const schema = deref(ref);
  if (typeof schema === 'number') return simple(schema);
  if (!Array.isArray(schema)) return { kind: 'other' };
  const kind: unknown = schema[0];
  if (kind === 0) return shapeOf(schema[4]);
  if (kind === 1) return { kind: 'list', member: schema[4] };
  if (kind === 2) return { kind: 'map', value: schema[5] };
  if ((kind === 3 || kind === 4 || kind === -3) && Array.isArray(schema[4]) && Array.isArray(schema[5])) {
    const names = schema[4] as unknown[];
    const refs = schema[5] as unknown[];
    const members = new Map<string, unknown>();
    names.forEach((name, i) => {
      if (typeof name === 'string') members.set(name, refs[i]);
    });
    return { kind: 'struct', members };
  }
  return { kind: 'other' };
}

/** The operation's input and output schemas, from the `<Action>$` export of an SDK client module. */
export function operationSchemas(
  module: Record<string, unknown>,
  action: string,
): { input: unknown; output: unknown } | undefined {
  const operation = module[`${action.charAt(0).toUpperCase()}${action.slice(1)}$`];
  if (!Array.isArray(operation) || operation[0] !== 9) return undefined;
  return { input: operation[4], output: operation[5] };
}

/** The name Step Functions uses for a member. */
export const sfnMemberName = (member: string): string => member.charAt(0).toUpperCase() + member.slice(1);

function isObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof Uint8Array)
  );
}

export class UnsupportedFieldError extends Error {
  constructor(
    readonly field: string,
    readonly path: string,
  ) {
    super(`The field "${field}" is not supported by Step Functions (at ${path})`);
    this.name = 'UnsupportedFieldError';
  }
}

/** Step Functions JSON (PascalCase members) → SDK input. Throws UnsupportedFieldError for unknown members. */
export function toSdkInput(value: Json, schema: unknown, path = 'Parameters'): unknown {
  const shape = shapeOf(schema);
  switch (shape.kind) {
    case 'struct': {
      if (!isObject(value)) return value;
      const byName = new Map<string, string>();
      for (const member of shape.members.keys()) byName.set(sfnMemberName(member), member);
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) {
        const member = byName.get(key);
        if (member === undefined) throw new UnsupportedFieldError(key, path);
        out[member] = toSdkInput(inner as Json, shape.members.get(member), `${path}.${key}`);
      }
      return out;
    }
    case 'list':
      return Array.isArray(value) ? value.map((item, i) => toSdkInput(item, shape.member, `${path}[${i}]`)) : value;
    case 'map': {
      if (!isObject(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value))
        out[key] = toSdkInput(inner as Json, shape.value, `${path}.${key}`);
      return out;
    }
    case 'timestamp':
      return typeof value === 'string' || typeof value === 'number'
        ? new Date(typeof value === 'number' ? value * 1000 : value)
        : value;
    default:
      return value;
  }
}

/** SDK output → Step Functions JSON: PascalCase members, ISO-8601 timestamps, base64 blobs, no `$metadata`. */
export function fromSdkOutput(value: unknown, schema: unknown): Json {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  const shape = shapeOf(schema);
  if (Array.isArray(value))
    return value.map((item) => fromSdkOutput(item, shape.kind === 'list' ? shape.member : undefined));
  if (value instanceof Set)
    return [...value].map((item) => fromSdkOutput(item, shape.kind === 'list' ? shape.member : undefined));
  if (!isObject(value)) return null;
  const out: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === '$metadata' || key === '$unknown' || inner === undefined || typeof inner === 'function') continue;
    if (shape.kind === 'struct')
      out[shape.members.has(key) ? sfnMemberName(key) : key] = fromSdkOutput(inner, shape.members.get(key));
    else if (shape.kind === 'map') out[key] = fromSdkOutput(inner, shape.value);
    else out[key] = fromSdkOutput(inner, undefined);
  }
  return out;
}

/**
 * Checks a Task's static Parameters template against the operation's input schema, as Step
 * Functions does when the state machine is created: every member must be spelled as Step
 * Functions spells it. Dynamic values (`Key.$`) are checked by name only.
 */
export function checkParameters(template: Json | undefined, schema: unknown, path = 'Parameters'): void {
  if (template === undefined) return;
  const shape = shapeOf(schema);
  if (shape.kind === 'struct' && isObject(template)) {
    const byName = new Map<string, string>();
    for (const member of shape.members.keys()) byName.set(sfnMemberName(member), member);
    for (const [rawKey, inner] of Object.entries(template)) {
      const dynamic = rawKey.endsWith('.$');
      const key = dynamic ? rawKey.slice(0, -2) : rawKey;
      const member = byName.get(key);
      if (member === undefined) throw new UnsupportedFieldError(key, path);
      if (!dynamic) checkParameters(inner as Json, shape.members.get(member), `${path}.${key}`);
    }
  } else if (shape.kind === 'list' && Array.isArray(template)) {
    for (const [i, item] of template.entries()) checkParameters(item, shape.member, `${path}[${i}]`);
  } else if (shape.kind === 'map' && isObject(template)) {
    for (const [rawKey, inner] of Object.entries(template)) {
      if (!rawKey.endsWith('.$')) checkParameters(inner as Json, shape.value, `${path}.${rawKey}`);
    }
  }
}
