// One source of truth for the spec's shape: the raw spec types are generated from the JSON schema
// (bin/schema-types.mjs, json-schema-to-typescript). A schema change without `npm run schema:types`
// fails here, so the types the loader reads never drift from what the schema validates.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RAW_SPEC_TYPES_FILE, rawSpecTypes } from '../../bin/schema-types.mjs';

describe('the raw spec types', () => {
  it('are what the schema generates (run `npm run schema:types` after changing the schema)', async () => {
    const committed = readFileSync(join(import.meta.dirname, '../..', RAW_SPEC_TYPES_FILE), 'utf8');
    expect(committed).toBe(await rawSpecTypes());
  });
});
