// `npm run bench`: cost, detection latency, generator scale and runtime figures of generated
// machines against the designs users copy today; writes REPORT.md and results.json.
// `npm run bench:quick` (--quick): the same with fewer samples, written to build/bench/ unless --out.
// Options: --quick, --out DIR, --only cost,latency,generator,runtime, --render-only (REPORT.md from results.json).
import '../local/polyfills.ts';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startLocalStack, type LocalStack } from '../local/stack.ts';
import { RUNTIME_ARN, RUNTIME_TARGET_ENV } from './lib/designs.ts';
import { Simulator } from './lib/simulator.ts';
import { judge, renderReport, type BenchResults, type Meta } from './report.ts';
import type { BenchContext, BenchOptions, RuntimeModule } from './sections/context.ts';
import { runCost } from './sections/cost.ts';
import { runGeneratorScale } from './sections/generator.ts';
import { runLatency } from './sections/latency.ts';
import { runPackage } from './sections/package.ts';
import { runRuntime } from './sections/runtime.ts';
import { runCleanup } from './sections/cleanup.ts';

const SECTIONS = ['generator', 'package', 'cost', 'latency', 'runtime', 'cleanup'] as const;
type Section = (typeof SECTIONS)[number];

type BuildRuntime = (options: { outfile: string }) => Promise<{ outfile: string; bytes: number }>;

function parseArgs(
  argv: readonly string[],
): { quick: boolean; renderOnly: boolean; out?: string; only: Section[] } | string {
  let quick = false;
  let renderOnly = false;
  let out: string | undefined;
  let only: Section[] = [...SECTIONS];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = () => inline ?? argv[++index];
    if (flag === '--quick') quick = true;
    else if (flag === '--render-only') renderOnly = true;
    else if (flag === '--out') out = value();
    else if (flag === '--only') {
      const names = (value() ?? '').split(',').filter((name) => name !== '');
      const unknown = names.filter((name) => !(SECTIONS as readonly string[]).includes(name));
      if (unknown.length > 0) return `unknown section(s) ${unknown.join(', ')}; sections: ${SECTIONS.join(', ')}`;
      only = names as Section[];
    } else return `unknown option ${arg}; options: --quick, --out DIR, --only ${SECTIONS.join(',')}, --render-only`;
  }
  return out !== undefined ? { quick, renderOnly, out, only } : { quick, renderOnly, only };
}

function commit(root: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).trim() !==
      '';
    return dirty ? `${head} + uncommitted changes` : head;
  } catch {
    return 'unknown';
  }
}

export async function main(argv: readonly string[], paths: { root: string; outdir: string }): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`bench: ${args}\n`);
    return 2;
  }
  const started = Date.now();
  if (args.renderOnly) {
    // Re-judge and re-render REPORT.md from the raw figures of an earlier run (no measurement).
    const directory = resolve(paths.root, args.out ?? (args.quick ? join('build', 'bench') : 'bench'));
    const previous = JSON.parse(readFileSync(join(directory, 'results.json'), 'utf8')) as BenchResults;
    const { targets, checks } = judge(previous);
    const rendered: BenchResults = { ...previous, targets, checks };
    writeFileSync(join(directory, 'results.json'), `${JSON.stringify(rendered, null, 2)}\n`);
    writeFileSync(join(directory, 'REPORT.md'), renderReport(rendered));
    process.stdout.write(`re-rendered ${relative(paths.root, join(directory, 'REPORT.md'))} from results.json\n`);
    return 0;
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const section = (name: string) => log(`${name} … (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  const options: BenchOptions = { quick: args.quick, root: paths.root, outdir: paths.outdir, log };
  const outDirectory = resolve(paths.root, args.out ?? (args.quick ? join('build', 'bench') : 'bench'));
  const meta: Meta = {
    date: new Date().toISOString(),
    quick: args.quick,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    loadAverage: { start: loadavg(), end: [] },
    commit: commit(paths.root),
    wallSeconds: 0,
    sections: args.only,
  };
  const results: Omit<BenchResults, 'targets' | 'checks'> = { meta };

  if (args.only.includes('generator')) {
    section('generator scale');
    results.generator = await runGeneratorScale(options);
  }

  if (args.only.includes('package')) {
    section('package: pack, generate-only install, CLI cold start');
    results.package = await runPackage(options);
  }

  const needsStack = args.only.some(
    (section) => section !== 'generator' && section !== 'package' && section !== 'cleanup',
  );
  let stack: LocalStack | undefined;
  let simulator: Simulator | undefined;
  const runtimeDir = mkdtempSync(join(tmpdir(), 'sfn-redshift-bench-runtime-'));
  try {
    if (needsStack) {
      section('building the runtime bundle and starting the local stack');
      const { buildRuntime } = (await import(pathToFileURL(join(paths.root, 'bin', 'build.mjs')).href)) as {
        buildRuntime: BuildRuntime;
      };
      const runtimeBundle = await buildRuntime({ outfile: join(runtimeDir, 'index.mjs') });
      const stackStarted = performance.now();
      stack = await startLocalStack({ redshiftEventTarget: RUNTIME_ARN });
      results.stack = { startupMs: performance.now() - stackStarted };
      Object.assign(process.env, stack.lambdaEnvironment, RUNTIME_TARGET_ENV);
      const runtime = (await import(pathToFileURL(runtimeBundle.outfile).href)) as RuntimeModule;
      runtime.setLogSink(() => undefined);
      stack.registerFunction(RUNTIME_ARN, (event, context) => runtime.handler(event, context));
      simulator = await Simulator.start(stack);
      const ctx: BenchContext = { ...options, stack, simulator, runtime, runtimeBundle };
      if (args.only.includes('cost')) {
        section('cost per statement');
        results.cost = await runCost(ctx);
      }
      if (args.only.includes('latency')) {
        section('detection latency');
        results.latency = await runLatency(ctx);
      }
      if (args.only.includes('runtime')) {
        section('runtime');
        results.runtime = await runRuntime(ctx);
      }
    }
  } finally {
    await simulator?.stop().catch(() => undefined);
    await stack?.stop().catch(() => undefined);
    rmSync(runtimeDir, { recursive: true, force: true });
  }

  if (args.only.includes('cleanup')) {
    // Its own stack (with the cleanup rule), after the shared one has stopped.
    section('cleanup: StopExecution → statement cancelled');
    results.cleanup = await runCleanup(options);
  }

  meta.loadAverage.end = loadavg();
  meta.wallSeconds = (Date.now() - started) / 1000;
  // --only re-measures some sections: the others keep their figures from the previous results.json.
  if (args.only.length < SECTIONS.length) {
    try {
      const previous = JSON.parse(readFileSync(join(outDirectory, 'results.json'), 'utf8')) as BenchResults;
      for (const name of SECTIONS)
        if (!args.only.includes(name) && previous[name] !== undefined)
          Object.assign(results, { [name]: previous[name] });
      if (!args.only.includes('cost') && previous.stack !== undefined && results.stack === undefined)
        results.stack = previous.stack;
      meta.sections = SECTIONS.filter((name) => results[name] !== undefined);
    } catch {
      // No previous results: the report holds the sections measured now.
    }
  }
  const { targets, checks } = judge(results);
  const full: BenchResults = { ...results, targets, checks };
  mkdirSync(outDirectory, { recursive: true });
  writeFileSync(join(outDirectory, 'results.json'), `${JSON.stringify(full, null, 2)}\n`);
  writeFileSync(join(outDirectory, 'REPORT.md'), renderReport(full));

  log('');
  for (const target of targets)
    log(`${target.pass === null ? '  -  ' : target.pass ? 'pass ' : 'FAIL '} ${target.target}: ${target.measured}`);
  const failedChecks = checks.filter((check) => !check.pass);
  for (const check of failedChecks) log(`CHECK FAILED ${check.description}${check.detail ? ` (${check.detail})` : ''}`);
  log(
    `${checks.length - failedChecks.length}/${checks.length} self-checks hold; wrote ${relative(paths.root, join(outDirectory, 'REPORT.md'))} and results.json in ${meta.wallSeconds.toFixed(0)} s`,
  );
  return targets.some((target) => target.pass === false) || failedChecks.length > 0 ? 1 : 0;
}
