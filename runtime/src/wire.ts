// Synchronous answers follow the Data API's JSON response syntax: the SDK's Dates become ISO-8601
// strings, blobs base64, and SDK-only fields ($metadata) are dropped.
export type Wire = string | number | boolean | null | Wire[] | { [key: string]: Wire };

export function toWire(value: unknown): Wire | undefined {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map((item) => toWire(item) ?? null);
  const out: { [key: string]: Wire } = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === '$metadata') continue;
    const wire = toWire(item);
    if (wire !== undefined) out[key] = wire;
  }
  return out;
}

export function wireObject(value: object): { [key: string]: Wire } {
  const wire = toWire(value);
  return wire !== null && typeof wire === 'object' && !Array.isArray(wire) ? wire : {};
}

/** Member names as Step Functions' aws-sdk integrations return them: first letter capitalized, at every depth. */
export function stepFunctionsCase(value: Wire): Wire {
  if (Array.isArray(value)) return value.map(stepFunctionsCase);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key.charAt(0).toUpperCase() + key.slice(1), stepFunctionsCase(item)]),
  );
}
