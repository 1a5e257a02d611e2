import type { Json, JsonObject } from './definition.ts';

/**
 * Turns an SDK response (or any JS value) into the JSON a Step Functions Task outputs:
 * `$metadata` dropped, undefined dropped, Date → ISO-8601 string, bytes → base64,
 * bigint → number. `keyCase` optionally rewrites object keys (PascalCase for camelCase SDKs).
 */
export function toTaskJson(value: unknown, keyCase?: (key: string) => string): Json {
  if (value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return Number(value);
    case 'object': {
      if (Array.isArray(value)) return value.map((inner) => (inner === undefined ? null : toTaskJson(inner, keyCase)));
      if (value instanceof Set) return [...value].map((inner) => toTaskJson(inner, keyCase));
      const out: JsonObject = {};
      for (const [key, inner] of Object.entries(value)) {
        if (key === '$metadata' || inner === undefined || typeof inner === 'function') continue;
        out[keyCase ? keyCase(key) : key] = toTaskJson(inner, keyCase);
      }
      return out;
    }
    default:
      return null;
  }
}

export const upperFirst = (key: string): string => key.charAt(0).toUpperCase() + key.slice(1);
export const lowerFirst = (key: string): string => key.charAt(0).toLowerCase() + key.slice(1);

/** Rewrites object keys deeply (values untouched except nested objects/arrays). */
export function rewriteKeys(value: Json, keyCase: (key: string) => string): Json {
  if (Array.isArray(value)) return value.map((inner) => rewriteKeys(inner, keyCase));
  if (typeof value === 'object' && value !== null) {
    const out: JsonObject = {};
    for (const [key, inner] of Object.entries(value)) out[keyCase(key)] = rewriteKeys(inner, keyCase);
    return out;
  }
  return value;
}

export function isJsonObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON round trip, as a payload crossing a service boundary gets: undefined → null. */
export function jsonRoundTrip(value: unknown): Json {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as Json);
}
