// aws-local-stepfunctions (3.0.0, the only version published), with its hash functions fixed.
// Its MD5/SHA-1/SHA-2 loop over 64- (128-) byte blocks reads block n at byte offset 16n (32n)
// instead of 64n (128n), so States.Hash of any string longer than one block is wrong: two strings
// that share their first 55 bytes hash alike. Step Functions computes the real digests (States.Hash,
// "Intrinsic functions" in the developer guide), and generated machines hash execution ARNs (the
// Data API ClientToken), so the engine is loaded with the block offset corrected.
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
const EXPECTED_FIXES = 5;

function loadEngine(): Engine {
  const require = createRequire(import.meta.url);
  const path = require.resolve('aws-local-stepfunctions');
  let source = readFileSync(path, 'utf8');
  let fixes = 0;
  for (const [wrong, right] of BLOCK_OFFSET_FIXES) {
    fixes += source.split(wrong).length - 1;
    source = source.replaceAll(wrong, right);
  }
  if (fixes !== EXPECTED_FIXES)
    throw new Error(
      `aws-local-stepfunctions changed: ${fixes} of ${EXPECTED_FIXES} hash block offsets found; review local/executor/engine.ts`,
    );
  const Module = require('node:module') as ModuleConstructor;
  const loaded = new Module(path);
  loaded.filename = path;
  loaded.paths = Module._nodeModulePaths(dirname(path));
  loaded._compile(source, path);
  return loaded.exports as Engine;
}

export const { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } = loadEngine();
export type StateMachine = import('aws-local-stepfunctions').StateMachine;
