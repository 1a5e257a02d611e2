// aws-local-stepfunctions (3.0.0, the only version published), loaded with two fixes so that it
// behaves as Step Functions does:
// - Hash: its MD5/SHA-1/SHA-2 loop over 64- (128-) byte blocks reads block n at byte offset 16n
//   (32n) instead of 64n (128n), so States.Hash of any string longer than one block is wrong: two
//   strings that share their first 55 bytes hash alike. Step Functions computes the real digests
//   (States.Hash, "Intrinsic functions" in the developer guide), and generated machines hash
//   execution ARNs (the Data API ClientToken).
// - JSONPath: it evaluates every path with jsonpath-plus `wrap: false`, so a filter or wildcard that
//   matches nothing gives undefined (→ States.Runtime) and one that matches once gives the bare
//   value. Step Functions evaluates paths with Jayway JsonPath, where an indefinite path (`..`, `*`,
//   a filter `[?(…)]`, a slice or a union) always yields a list: `$.jar[?(@.a >= 5)] =>
//   [{"a": 5}, {"a": 7}]` ("Paths" in the developer guide), and `[]` when nothing matches.
import './../polyfills.ts';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

type Engine = typeof import('aws-local-stepfunctions');
type CompilableModule = {
  filename: string;
  paths: string[];
  exports: unknown;
  _compile(source: string, filename: string): void;
};
type ModuleConstructor = { new (id: string): CompilableModule; _nodeModulePaths(directory: string): string[] };

const BLOCK_OFFSET_FIXES: readonly (readonly [string, string])[] = [
  ['dataView.getUint32(i + t * 4', 'dataView.getUint32(i * 4 + t * 4'],
  ['dataView.getBigUint64(i + t * 8', 'dataView.getBigUint64(i * 8 + t * 8'],
];
/** MD5, SHA-1, SHA-256 (32-bit words); SHA-384, SHA-512 (64-bit words). */
const EXPECTED_HASH_FIXES = 5;

const INDEFINITE_PATH = String.raw`/\.\.|\*|\[\?|\[[^\]'"]*[:,]/`;
const JSONPATH_FIXES: readonly (readonly [string, string])[] = [
  [
    'path: pathExpression.slice(1), json: context ?? null, wrap: false',
    `path: pathExpression.slice(1), json: context ?? null, wrap: ${INDEFINITE_PATH}.test(pathExpression)`,
  ],
  [
    'path: pathExpression, json, wrap: false',
    `path: pathExpression, json, wrap: ${INDEFINITE_PATH}.test(pathExpression)`,
  ],
];

/** Applies each fix, checking that the engine still has exactly the places this module expects. */
function applyFixes(
  source: string,
  fixes: readonly (readonly [string, string])[],
  expected: number,
  what: string,
): string {
  let found = 0;
  let fixed = source;
  for (const [wrong, right] of fixes) {
    found += fixed.split(wrong).length - 1;
    fixed = fixed.replaceAll(wrong, right);
  }
  if (found !== expected)
    throw new Error(
      `aws-local-stepfunctions changed: ${found} of ${expected} ${what} found; review local/executor/engine.ts`,
    );
  return fixed;
}

function loadEngine(): Engine {
  const require = createRequire(import.meta.url);
  const path = require.resolve('aws-local-stepfunctions');
  const original = readFileSync(path, 'utf8');
  const hashed = applyFixes(original, BLOCK_OFFSET_FIXES, EXPECTED_HASH_FIXES, 'hash block offsets');
  const source = applyFixes(hashed, JSONPATH_FIXES, JSONPATH_FIXES.length, 'JSONPath evaluations');
  const Module = require('node:module') as ModuleConstructor;
  const loaded = new Module(path);
  loaded.filename = path;
  loaded.paths = Module._nodeModulePaths(dirname(path));
  loaded._compile(source, path);
  return loaded.exports as Engine;
}

export const { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } = loadEngine();
export type StateMachine = import('aws-local-stepfunctions').StateMachine;
