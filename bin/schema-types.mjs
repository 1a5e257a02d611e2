#!/usr/bin/env node
// The raw spec types (the YAML as the JSON schema admits it) are generated from
// schemas/pipeline.schema.json, the one source of truth: `npm run schema:types` writes
// generator/load/raw-spec.generated.ts, and test/generator/schema-types.test.ts fails when the
// committed file is not what the schema gives.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compile } from 'json-schema-to-typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
export const RAW_SPEC_TYPES_FILE = 'generator/load/raw-spec.generated.ts';

const BANNER = `// Generated from schemas/pipeline.schema.json by \`npm run schema:types\` (json-schema-to-typescript).
// Do not edit: change the schema and regenerate; test/generator/schema-types.test.ts checks it.`;

/** The file's text for the schema as it is now. */
export async function rawSpecTypes() {
  const schema = JSON.parse(readFileSync(`${root}schemas/pipeline.schema.json`, 'utf8'));
  return compile(schema, 'RawPipeline', {
    bannerComment: BANNER,
    additionalProperties: false,
    unreachableDefinitions: false,
    customName: (node) => (node.$id === schema.$id ? 'RawPipeline' : undefined),
    style: { singleQuote: true, printWidth: 120, semi: true, trailingComma: 'all', tabWidth: 2 },
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(`${root}${RAW_SPEC_TYPES_FILE}`, await rawSpecTypes());
}
