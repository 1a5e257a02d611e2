// Generator scale: generate time and peak memory for pipelines of 10 … 5,000 steps, in-process (a
// fresh child process per size, files not written) and through the CLI (`node bin/sfn-redshift.mjs
// generate`, a cold process each time); definition bytes per step by kind of step; the largest
// pipeline whose definition stays under Step Functions' 1 MiB; and how time and bytes grow.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { renderPipelineOutputs } from '../../generator/emit/outputs.ts';
import { pipelineOf } from '../lib/designs.ts';
import { largestFitting, linearFit, marginalSlopes, median, type LinearFit } from '../lib/stats.ts';
import type { ChildReport } from '../generate-child.ts';
import type { BenchOptions } from './context.ts';

export const DEFINITION_LIMIT_BYTES = 1024 * 1024;
export type StepKind = 'plain' | 'results' | 'singleton' | 'batch' | 'callback';
export const STEP_KINDS: readonly StepKind[] = ['plain', 'results', 'singleton', 'batch', 'callback'];

/** A pipeline of `steps` statement steps of one kind (ids and SQL as long as in a typical repo). */
export function scaleSpec(steps: number, kind: StepKind = 'plain'): string {
  const lines = [
    'version: 1',
    `pipeline: scale-${kind}-${steps}`,
    'description: Generated for the generator-scale benchmark',
    'target: { cluster: "${ClusterId}", database: analytics, dbUser: etl }',
    'steps:',
  ];
  for (let index = 1; index <= steps; index++) {
    const n = String(index).padStart(5, '0');
    lines.push(`  - id: load_${n}`);
    if (kind === 'batch') {
      lines.push(
        `    sqls: ["delete from sales_${n} where day = :run_date", "insert into sales_${n} select * from staging.sales_${n} where day = :run_date"]`,
      );
    } else {
      lines.push(`    sql: "insert into sales_${n} select * from staging.sales_${n} where day = :run_date"`);
    }
    lines.push('    parameters: { run_date: "$.runDate" }');
    if (kind === 'results') lines.push('    results: true');
    if (kind === 'singleton') lines.push('    singleton: true');
    if (kind === 'callback') lines.push('    mode: callback');
  }
  return `${lines.join('\n')}\n`;
}

export type ScaleRow = {
  steps: number;
  stateCount: number;
  aslBytes: number;
  bytesPerStep: number;
  /** Every output file of one run (definition, policy, diagram, typed module, …). */
  outputBytes: number;
  inProcess: {
    /** Node start-up and loading the generator's modules. */
    startupMs: number;
    /** The first generate in a fresh process: module loading and JIT warm-up included. */
    firstMs: number;
    /** The first generate of this size in a process that generated a 1-step spec before (every module loaded). */
    primedMs: number;
    warmMedianMs: number;
    /** Warm medians of the phases: load, compile + renderPipelineOutputs, allOutputFiles. */
    loadMs: number;
    compileMs: number;
    outputsMs: number;
    peakRssBytes: number;
    peakAboveBaselineBytes: number;
    reps: number;
  };
  cli?: { medianMs: number; runsMs: number[]; peakRssBytes: number; exitCode: number; flags: string[] };
};

export type KindRow = {
  kind: StepKind;
  bytesPerStep: number;
  overheadBytes: number;
  statesPerStep: number;
  largestUnderLimit: number;
  largestUnderLimitMinified: number;
  /** Of the 100-step definition, per step. */
  perStep: ByteBreakdown;
};

export type GeneratorResults = {
  rows: ScaleRow[];
  kinds: KindRow[];
  /** In-process warm time and bytes against steps: least squares. */
  timeFit: LinearFit;
  bytesFit: LinearFit;
  /** Warm in-process ms per added step between consecutive sizes: about constant when linear. */
  marginalMsPerStep: { from: number; to: number; slope: number }[];
  /** The same for load + compile only (without the constant-cost outputs such as the typed module). */
  marginalCompileMsPerStep: { from: number; to: number; slope: number }[];
  cliColdStartMs: number;
  cliVersionMs: number;
  cliFlags: string[];
};

function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): { ms: number; status: number; stdout: string; stderr: string } {
  const start = performance.now();
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - start;
  if (result.error) throw result.error;
  return { ms, status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Where a definition's bytes go: indentation and newlines, and (minified) the fields repeated per state. */
export type ByteBreakdown = {
  pretty: number;
  minified: number;
  whitespace: number;
  retry: number;
  catch: number;
  comment: number;
  states: number;
};

export function byteBreakdown(definitionText: string): ByteBreakdown {
  const definition = JSON.parse(definitionText) as { States: Record<string, Record<string, unknown>> };
  const minified = Buffer.byteLength(JSON.stringify(definition));
  const field = (name: string) =>
    Object.values(definition.States).reduce(
      (sum, state) =>
        state[name] === undefined ? sum : sum + Buffer.byteLength(`,"${name}":${JSON.stringify(state[name])}`),
      0,
    );
  const pretty = Buffer.byteLength(definitionText);
  return {
    pretty,
    minified,
    whitespace: pretty - minified,
    retry: field('Retry'),
    catch: field('Catch'),
    comment: field('Comment'),
    states: Object.keys(definition.States).length,
  };
}

function compiledBytes(
  steps: number,
  kind: StepKind,
): { pretty: number; minified: number; states: number; text: string } {
  const compiled = renderPipelineOutputs(compilePipeline(pipelineOf(scaleSpec(steps, kind))));
  const asl = compiled.definition.content;
  return {
    pretty: Buffer.byteLength(asl),
    minified: Buffer.byteLength(JSON.stringify(JSON.parse(asl) as unknown)),
    states: compiled.limits.states,
    text: asl,
  };
}

export async function runGeneratorScale(ctx: BenchOptions): Promise<GeneratorResults> {
  const sizes = ctx.quick ? [10, 100, 1000] : [10, 100, 1000, 5000];
  const inProcessReps = (steps: number) => (ctx.quick ? (steps >= 1000 ? 2 : 3) : steps >= 5000 ? 3 : 5);
  const cliReps = (steps: number) => (ctx.quick ? (steps >= 1000 ? 1 : 3) : steps >= 5000 ? 3 : 5);
  const dir = mkdtempSync(join(tmpdir(), 'sfn-redshift-bench-generate-'));
  const child = join(ctx.outdir, 'generate-child.mjs');
  const preload = join(dir, 'rss-preload.mjs');
  writeFileSync(
    preload,
    "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => { const file = process.env.SFN_BENCH_RSS_FILE; if (file) writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)); });\n",
  );
  const cli = join(ctx.root, 'bin', 'sfn-redshift.mjs');
  try {
    // Build dist/ if stale, outside the measurements; then see whether generate needs the budget override.
    run(process.execPath, [cli, '--help'], { cwd: ctx.root });
    const help = run(process.execPath, [cli, 'generate', '--help'], { cwd: ctx.root });
    const cliFlags = `${help.stdout}${help.stderr}`.includes('--allow-over-budget') ? ['--allow-over-budget'] : [];
    const version = [1, 2, 3, 4, 5].map(() => run(process.execPath, [cli, '--version'], { cwd: ctx.root }).ms);

    const primeSpec = join(dir, 'prime.yaml');
    writeFileSync(primeSpec, scaleSpec(1).replace('pipeline: scale-plain-1', 'pipeline: prime'));
    const rows: ScaleRow[] = [];
    for (const steps of sizes) {
      const spec = join(dir, `scale-${steps}.yaml`);
      writeFileSync(spec, scaleSpec(steps));
      const child_ = run(process.execPath, ['--no-warnings', child, spec, String(inProcessReps(steps))], {
        cwd: ctx.root,
      });
      if (child_.status !== 0) throw new Error(`generate-child failed for ${steps} steps: ${child_.stderr}`);
      const report = JSON.parse(child_.stdout) as ChildReport;
      const primedRun = run(process.execPath, ['--no-warnings', child, spec, '1', primeSpec], { cwd: ctx.root });
      if (primedRun.status !== 0)
        throw new Error(`generate-child (primed) failed for ${steps} steps: ${primedRun.stderr}`);
      const primed = JSON.parse(primedRun.stdout) as ChildReport;
      const skip = report.totalMs.length > 1 ? 1 : 0;
      const warm = report.totalMs.slice(skip);
      const row: ScaleRow = {
        steps,
        stateCount: report.stateCount,
        aslBytes: report.aslBytes,
        bytesPerStep: report.aslBytes / steps,
        outputBytes: report.outputBytes,
        inProcess: {
          startupMs: report.startupMs,
          firstMs: report.totalMs[0] ?? Number.NaN,
          primedMs: primed.totalMs[0] ?? Number.NaN,
          warmMedianMs: median(warm),
          loadMs: median(report.loadMs.slice(skip)),
          compileMs: median(report.compileMs.slice(skip)),
          outputsMs: median(report.outputsMs.slice(skip)),
          peakRssBytes: report.peakRssBytes,
          peakAboveBaselineBytes: report.peakRssBytes - report.baselineRssBytes,
          reps: report.totalMs.length,
        },
      };
      const out = join(dir, `out-${steps}`);
      const rssFile = join(dir, `rss-${steps}`);
      const runsMs: number[] = [];
      const peaks: number[] = [];
      let exitCode = 0;
      for (let rep = 0; rep < cliReps(steps); rep++) {
        const result = run(
          process.execPath,
          ['--import', pathToFileURL(preload).href, cli, 'generate', spec, '--out', out, ...cliFlags],
          {
            cwd: ctx.root,
            env: { ...process.env, SFN_BENCH_RSS_FILE: rssFile },
          },
        );
        exitCode = Math.max(exitCode, result.status);
        if (result.status !== 0)
          ctx.log(
            `  cli generate ${steps} steps exited ${result.status}: ${result.stderr.trim().split('\n').slice(-2).join(' | ')}`,
          );
        runsMs.push(result.ms);
        peaks.push(Number(readFileSync(rssFile, 'utf8')));
      }
      row.cli = { medianMs: median(runsMs), runsMs, peakRssBytes: median(peaks), exitCode, flags: cliFlags };
      rows.push(row);
      ctx.log(
        `  generate ${steps} steps: in-process first ${row.inProcess.firstMs.toFixed(0)} ms, primed ${row.inProcess.primedMs.toFixed(0)} ms, warm ${row.inProcess.warmMedianMs.toFixed(0)} ms, ` +
          `peak RSS ${(row.inProcess.peakRssBytes / 1048576).toFixed(0)} MiB; CLI ${row.cli.medianMs.toFixed(0)} ms; ${row.aslBytes} bytes`,
      );
    }

    const kinds: KindRow[] = STEP_KINDS.map((kind) => {
      const small = compiledBytes(100, kind);
      const large = compiledBytes(200, kind);
      const bytesPerStep = (large.pretty - small.pretty) / 100;
      const overheadBytes = small.pretty - 100 * bytesPerStep;
      const estimate = Math.floor((DEFINITION_LIMIT_BYTES - overheadBytes) / bytesPerStep);
      const fits = (minified: boolean) => (steps: number) => {
        const bytes = compiledBytes(steps, kind);
        return (minified ? bytes.minified : bytes.pretty) <= DEFINITION_LIMIT_BYTES;
      };
      const largestUnderLimit = largestFitting(Math.max(1, estimate - 20), estimate + 20, fits(false));
      const minifiedEstimate = Math.floor(
        (DEFINITION_LIMIT_BYTES * (small.pretty / small.minified) - overheadBytes) / bytesPerStep,
      );
      const largestUnderLimitMinified = largestFitting(1, Math.max(2, Math.ceil(minifiedEstimate * 1.2)), fits(true));
      const breakdown = byteBreakdown(small.text);
      const perStep = Object.fromEntries(
        Object.entries(breakdown).map(([key, value]) => [key, value / 100]),
      ) as ByteBreakdown;
      const row: KindRow = {
        kind,
        bytesPerStep,
        overheadBytes,
        statesPerStep: (large.states - small.states) / 100,
        largestUnderLimit,
        largestUnderLimitMinified,
        perStep,
      };
      ctx.log(
        `  ${kind}: ${bytesPerStep.toFixed(0)} bytes/step, largest under 1 MiB ${largestUnderLimit} steps (${largestUnderLimitMinified} minified)`,
      );
      return row;
    });

    const timeFit = linearFit(rows.map((row) => [row.steps, row.inProcess.warmMedianMs] as const));
    const bytesFit = linearFit(rows.map((row) => [row.steps, row.aslBytes] as const));
    return {
      rows,
      kinds,
      timeFit,
      bytesFit,
      marginalMsPerStep: marginalSlopes(rows.map((row) => [row.steps, row.inProcess.warmMedianMs] as const)),
      marginalCompileMsPerStep: marginalSlopes(
        rows.map((row) => [row.steps, row.inProcess.loadMs + row.inProcess.compileMs] as const),
      ),
      cliColdStartMs: rows[0]?.cli?.medianMs ?? Number.NaN,
      cliVersionMs: median(version),
      cliFlags,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
