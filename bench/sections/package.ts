// The package as users install it (issue 10): packed size, a generate-only install's size and
// package count, and the cold start of the installed CLI on the five examples (generate, validate,
// check) beside `node -e 0`, the floor of any Node command.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { installedPackages, installTarball, packCopy, treeBytes } from '../lib/package.ts';
import { median } from '../lib/stats.ts';
import type { BenchOptions } from './context.ts';

export type ColdStart = { medianMs: number; samplesMs: number[] };

export type PackageResults = {
  packedBytes: number;
  unpackedBytes: number;
  files: number;
  install: { nodeModulesBytes: number; packages: string[]; seconds: number; ebadengine: boolean };
  /** Rounds of one sample each, interleaved so that every command sees the same machine load. */
  coldStart: { rounds: number; node: ColdStart; generate: ColdStart; validate: ColdStart; check: ColdStart };
};

function timed(command: string, args: readonly string[], cwd: string): number {
  const started = performance.now();
  const result = spawnSync(command, args, { cwd, stdio: 'ignore' });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`${[command, ...args].join(' ')} exited ${String(result.status)} in ${cwd}`);
  return elapsed;
}

export async function runPackage(options: BenchOptions): Promise<PackageResults> {
  const work = mkdtempSync(join(tmpdir(), 'sfn-redshift-bench-package-'));
  try {
    const packed = await packCopy(options.root, work);
    const installStarted = performance.now();
    const installed = await installTarball(
      packed.tarball,
      join(work, 'project'),
      join(options.root, 'examples/pipelines'),
    );
    const installSeconds = (performance.now() - installStarted) / 1000;
    if (installed.code !== 0) throw new Error(`npm install of the tarball failed: ${installed.stderr}`);
    const project = installed.directory;
    const cli = join(project, 'node_modules/sfn-redshift/bin/sfn-redshift.mjs');
    timed(process.execPath, [cli, 'generate', '--out', 'asl'], project);
    const rounds = options.quick ? 5 : 15;
    const samples = { node: [] as number[], generate: [] as number[], validate: [] as number[], check: [] as number[] };
    for (let round = 0; round < rounds; round += 1) {
      samples.node.push(timed(process.execPath, ['-e', '0'], project));
      samples.generate.push(timed(process.execPath, [cli, 'generate', '--out', 'asl'], project));
      samples.validate.push(timed(process.execPath, [cli, 'validate'], project));
      samples.check.push(timed(process.execPath, [cli, 'check'], project));
    }
    const summary = (values: number[]): ColdStart => ({
      medianMs: median(values),
      samplesMs: values.map((value) => Math.round(value * 10) / 10),
    });
    return {
      packedBytes: packed.packedBytes,
      unpackedBytes: packed.unpackedBytes,
      files: packed.files.length,
      install: {
        nodeModulesBytes: treeBytes(join(project, 'node_modules')),
        packages: installedPackages(project),
        seconds: installSeconds,
        ebadengine: `${installed.stdout}${installed.stderr}`.includes('EBADENGINE'),
      },
      coldStart: {
        rounds,
        node: summary(samples.node),
        generate: summary(samples.generate),
        validate: summary(samples.validate),
        check: summary(samples.check),
      },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
