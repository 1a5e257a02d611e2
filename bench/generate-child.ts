// Child process of the generator-scale benchmark: in a fresh process, generate one spec in memory
// `reps` times — load (read, parse, schema, rules, normalize) → compilePipeline + renderPipelineOutputs (definition, role
// policy, budget) → allOutputFiles (diagram, typed module, …): everything `generate` does except
// writing the files — and print timings and memory as one JSON line. A fresh process per size keeps
// the peak memory of one size from hiding the next.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadPipelines } from '../generator/load/load.ts';
import { compilePipeline } from '../generator/compile/pipeline.ts';
import { allOutputFiles, renderPipelineOutputs } from '../generator/emit/outputs.ts';

/** Process start-up and module loading, before anything is generated. */
const startupMs = performance.now();

export type ChildReport = {
  /** Wall milliseconds of each rep (the first includes JIT warm-up). */
  totalMs: number[];
  /** Of each rep: load (read, parse, validate, normalize), compile (definition, policy, budget), the other outputs. */
  loadMs: number[];
  compileMs: number[];
  outputsMs: number[];
  /** Node start-up and loading the generator's modules (before the first rep). */
  startupMs: number;
  /** Bytes of every output file of one run. */
  outputBytes: number;
  aslBytes: number;
  stateCount: number;
  /** RSS after the imports, before the first rep; the process's peak RSS at the end. */
  baselineRssBytes: number;
  peakRssBytes: number;
  heapUsedAfterBytes: number;
};

const [specPath, repsText, primeSpec] = process.argv.slice(2);
if (specPath === undefined) throw new Error('usage: generate-child <spec.yaml> [reps] [prime-spec.yaml]');
const reps = Number(repsText ?? '1');

function generate(path: string) {
  const [pipeline] = loadPipelines([{ path, text: readFileSync(path, 'utf8') }]);
  if (!pipeline) throw new Error('no pipeline');
  return pipeline;
}

// Primed: generate a small spec first, so that every module is loaded and warm.
if (primeSpec !== undefined)
  allOutputFiles([renderPipelineOutputs(compilePipeline(generate(primeSpec)))], {
    cwd: dirname(primeSpec),
    outDirectory: join(dirname(primeSpec), 'asl'),
  });
const baselineRssBytes = process.memoryUsage().rss;
const report: ChildReport = {
  totalMs: [],
  loadMs: [],
  compileMs: [],
  outputsMs: [],
  startupMs,
  outputBytes: 0,
  aslBytes: 0,
  stateCount: 0,
  baselineRssBytes,
  peakRssBytes: 0,
  heapUsedAfterBytes: 0,
};
for (let rep = 0; rep < reps; rep++) {
  const start = performance.now();
  const pipeline = generate(specPath);
  const loaded = performance.now();
  const compiled = renderPipelineOutputs(compilePipeline(pipeline));
  const compiledAt = performance.now();
  const files = allOutputFiles([compiled], { cwd: dirname(specPath), outDirectory: join(dirname(specPath), 'asl') });
  const end = performance.now();
  report.totalMs.push(end - start);
  report.loadMs.push(loaded - start);
  report.compileMs.push(compiledAt - loaded);
  report.outputsMs.push(end - compiledAt);
  report.outputBytes = files.reduce((sum, file) => sum + Buffer.byteLength(file.content, 'utf8'), 0);
  const asl = files.find((file) => file.path.endsWith('.asl.json'));
  report.aslBytes = Buffer.byteLength(asl?.content ?? '', 'utf8');
  report.stateCount = compiled.limits.states;
}
report.peakRssBytes = process.resourceUsage().maxRSS * 1024;
report.heapUsedAfterBytes = process.memoryUsage().heapUsed;
process.stdout.write(`${JSON.stringify(report)}\n`);
