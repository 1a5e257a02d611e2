// The runtime bundle: one self-contained minified ESM file, small, importable on its own, and working
// against the local stack exactly like the sources.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
// @ts-expect-error bin/build.mjs is plain JavaScript without declarations
import { buildRuntime } from '../../bin/build.mjs';
import { startRuntimeHarness, type RuntimeHarness } from './harness.ts';

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;

// Outside the repository: the bundle must not find node_modules to import from.
const dir = mkdtempSync(join(tmpdir(), 'sfn-redshift-runtime-'));
const outfile = join(dir, 'index.mjs');
let built: { outfile: string; bytes: number };
let h: RuntimeHarness;

beforeAll(async () => {
  [built, h] = await Promise.all([
    buildRuntime({ outfile }) as Promise<{ outfile: string; bytes: number }>,
    startRuntimeHarness(),
  ]);
});
afterAll(async () => {
  await h?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('is one ESM file under 1 MiB with the SDK inside (no bare imports left)', () => {
  expect(built.bytes).toBeLessThan(1024 * 1024);
  const text = readFileSync(outfile, 'utf8');
  const imports = [...text.matchAll(/\bfrom\s*"([^"]+)"|\bimport\s*\(\s*"([^"]+)"\s*\)/g)].map(
    (match) => match[1] ?? match[2],
  );
  expect(imports.filter((specifier) => specifier !== undefined && !specifier.startsWith('node:'))).toEqual([]);
  expect(text).toMatch(/export\s*\{[^}]*\bhandler\b/);
});

// How fast it imports cold is a benchmark target (npm run bench: "runtime import under 200 ms"),
// not a unit test: here only that a fresh process outside the repository can import it.
it('imports in a fresh process outside the repository and exports the handler', () => {
  const script = `import(${JSON.stringify(outfile)}).then((m) => console.log(typeof m.handler))`;
  expect(execFileSync(process.execPath, ['--no-warnings', '-e', script], { cwd: dir }).toString().trim()).toBe(
    'function',
  );
});

it('runs an action and a completion against the local stack', async () => {
  const { handler, setLogSink } = (await import(outfile)) as {
    handler: Handler;
    setLogSink: (sink: (line: string) => void) => unknown;
  };
  const lines: string[] = [];
  setLogSink((line) => lines.push(line));
  const run = h.runningExecution('bundle');
  const token = h.stack.registry.createTaskToken(run, 'Bundle');
  const gate = await h.gate();
  const { Id } = (await handler({
    action: 'executeSingletonStatement',
    sqlStatement: `select ${gate.sql}`,
    taskToken: token.token,
    executionArn: run,
    stepId: 'bundled',
  })) as { Id: string };
  await gate.open();
  await handler(await h.eventFor(Id));
  expect(await token.promise).toEqual({ Id, Status: 'FINISHED', ResultRows: 1, HasResultSet: true });
  const error = (await handler({
    action: 'describeStatement',
    statementId: 'LATEST',
    executionArn: run,
    stepId: 'other',
  }).catch((e: unknown) => e)) as Error;
  expect(error.name).toBe('PreviousExecutionNotFound');
  expect(lines.map((line) => (JSON.parse(line) as { outcome: string }).outcome)).toEqual([
    'submitted',
    'succeeded',
    'error',
  ]);
});
