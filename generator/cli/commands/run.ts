import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CompileError } from '../../compile/errors.ts';
import { SpecErrors } from '../../load/errors.ts';
import { loadPipelines } from '../../load/load.ts';
import type { Pipeline } from '../../load/model.ts';
import type { PipelineRun, RunPipelineOptions, StepProgress } from '../../../local/run-pipeline.ts';
import { defineCommand, EXIT, UsageError, type ExitCode, type Io } from '../command.ts';
import { missingPeers } from '../own-package.ts';
import { statementSteps } from '../../load/steps.ts';
import { formatDuration, parseDuration } from '../../load/durations.ts';
import { isTerminalStatus } from '../../../runtime/src/contract.ts';

/** A step's line is repeated while its status stays the same after this long, so long polls show life. */
const HEARTBEAT_MS = 10_000;

export const runPipelineCommand = defineCommand({
  name: 'run',
  summary: 'Run one pipeline on a local stack (PostgreSQL as Redshift, no AWS account) and show each step live.',
  positionals: '<spec>',
  details: [
    'Compiles the spec in memory, starts PostgreSQL, a local Redshift Data API, DynamoDB and Step Functions,',
    'runs the machine and prints each statement step as it progresses (status, elapsed, rows), then the',
    "execution's output (exit 0) or its error and cause (exit 1). Everything started is stopped on exit,",
    'also on Ctrl-C or SIGTERM (the execution is aborted, its statements cancelled; exit 130).',
    '',
    "--timeout D limits the execution to D of real time (30s, 5m, 2h or whole seconds), as the machine's",
    'own TimeoutSeconds would: it ends TIMED_OUT with States.Timeout (exit 1), and the cleanup rule (the',
    'reaper, and the runtime for callback steps) cancels the statements it left running.',
    '',
    'Waits are real by default: a step polls on its own schedule (poll.initial, 5 s unless set). With',
    '--wait-ms N every Wait state, every retry interval and every long poll (poll.longPoll) the statement',
    "outlives lasts N ms instead (a long poll still ends when its statement does). A step's timeout is",
    'counted in the waits its poll loop makes, not on a clock, so it shrinks in proportion: with',
    '--wait-ms 10, timeout 3s and poll 1s, the statement is cancelled after 3 polls, about 30 ms.',
    '',
    '${ClusterId}, ${WorkgroupName}, ${DatabaseSecretArn} and ${RuntimeFunctionArn} get local values and',
    '${StateTableName} is the local state table; give any other placeholder with --substitutions.',
  ].join('\n'),
  options: {
    input: {
      type: 'string',
      valueName: 'JSON|@FILE',
      description: 'Execution input: a JSON object, or @path to a file holding one (default {})',
    },
    'init-sql': {
      type: 'string',
      valueName: 'FILE',
      description: 'SQL run once before the pipeline (schema, seed data)',
    },
    'database-url': {
      type: 'string',
      valueName: 'URL',
      description: 'Use this PostgreSQL server instead of starting a private one',
    },
    timeout: {
      type: 'string',
      valueName: 'D',
      description: 'Stop the execution after D of real time (30s, 5m, 2h or seconds): TIMED_OUT, exit 1',
    },
    'wait-ms': {
      type: 'string',
      valueName: 'N',
      description: 'Compress time: every Wait, retry interval and long poll lasts N ms (default: real waits)',
    },
    substitutions: {
      type: 'string',
      valueName: 'JSON|@FILE',
      description: 'Values for ${Name} placeholders: a JSON object of strings, or @path',
    },
    'clear-cache': {
      type: 'boolean',
      description:
        'Remove the PostgreSQL template kept between runs (~31 MB in /dev/shm or the temp directory), then exit',
    },
  },
  async run({ positionals, options }, io) {
    if (options['clear-cache'] === true) return clearCache(io, positionals);
    const request = readRunRequest(io, positionals, options);
    const pipeline = loadOne(io, request.specPath, request.specArgument);
    if (pipeline === EXIT.invalid) return pipeline;
    // A generate-only install leaves the local stack out (optional peer dependencies): say what to install.
    const missing = missingPeers();
    if (missing.length > 0) {
      io.err(
        `sfn-redshift run: the local stack needs packages that are not installed (optional peer dependencies of sfn-redshift, left out of a generate-only install). Install them with:`,
      );
      io.err(`  npm install -D ${missing.map((spec) => `'${spec}'`).join(' ')}`);
      return EXIT.invalid;
    }
    // The AWS SDK's notice that its 2027 releases need Node 22 says nothing about this run; a user
    // who wants it back sets the variable to false.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    return runLocally(io, pipeline, request);
  },
});

/** What `run` was asked: the spec and the options, checked. */
type RunRequest = {
  readonly specArgument: string;
  readonly specPath: string;
  readonly input: Record<string, unknown>;
  readonly substitutions: Record<string, string>;
  readonly initSql: string | undefined;
  /** --init-sql as given, to name it in an error. */
  readonly initSqlFile: string | undefined;
  readonly databaseUrl: string | undefined;
  readonly waitMs: number | undefined;
  readonly timeoutSeconds: number | undefined;
};

type RunOptionValues = {
  input?: string | undefined;
  'init-sql'?: string | undefined;
  'database-url'?: string | undefined;
  'wait-ms'?: string | undefined;
  timeout?: string | undefined;
  substitutions?: string | undefined;
};

function readRunRequest(io: Io, positionals: readonly string[], options: RunOptionValues): RunRequest {
  if (positionals.length !== 1)
    throw new UsageError(positionals.length === 0 ? 'name the spec file to run' : 'run takes exactly one spec file');
  const specArgument = positionals[0] as string;
  const specPath = resolve(io.cwd, specArgument);
  if (!existsSync(specPath) || !statSync(specPath).isFile()) throw new UsageError(`no such spec file: ${specArgument}`);
  const input = options.input !== undefined ? jsonOption(io, '--input', options.input) : {};
  if (!isObject(input)) throw new UsageError('--input must be a JSON object (each step adds its record under "steps")');
  const substitutions =
    options.substitutions !== undefined ? jsonOption(io, '--substitutions', options.substitutions) : {};
  if (!isObject(substitutions) || !Object.values(substitutions).every((value) => typeof value === 'string')) {
    throw new UsageError('--substitutions must be a JSON object whose values are strings');
  }
  return {
    specArgument,
    specPath,
    input,
    substitutions: substitutions as Record<string, string>,
    initSql: options['init-sql'] !== undefined ? readOption(io, '--init-sql', options['init-sql']) : undefined,
    initSqlFile: options['init-sql'],
    databaseUrl: options['database-url'] !== undefined ? checkDatabaseUrl(options['database-url']) : undefined,
    waitMs: options['wait-ms'] !== undefined ? nonNegativeInteger('--wait-ms', options['wait-ms']) : undefined,
    timeoutSeconds: options.timeout !== undefined ? timeoutSeconds(options.timeout) : undefined,
  };
}

/** Ctrl-C, SIGTERM or the caller's abort stop the run once; a second signal while stopping leaves at once. */
function watchInterruptions(io: Io): { readonly signal: AbortSignal; interrupted(): boolean; dispose(): void } {
  const controller = new AbortController();
  let interrupted = false;
  const interrupt = (why: string): void => {
    if (interrupted) return;
    interrupted = true;
    io.err(`${why}: stopping the execution and the local stack…`);
    controller.abort();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    // A second Ctrl-C while stopping: leave at once (PostgreSQL shuts itself down when we exit).
    if (interrupted) process.exit(EXIT.interrupted);
    interrupt(signal);
  };
  const onIoAbort = (): void => interrupt('interrupted');
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (io.signal?.aborted) onIoAbort();
  else io.signal?.addEventListener('abort', onIoAbort, { once: true });
  return {
    signal: controller.signal,
    interrupted: () => interrupted,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      io.signal?.removeEventListener('abort', onIoAbort);
    },
  };
}

/** Runs the pipeline on a local stack, printing its progress; the exit code says how it ended. */
async function runLocally(io: Io, pipeline: Pipeline, request: RunRequest): Promise<ExitCode> {
  // The local stack (PostgreSQL client, AWS SDK, dynalite, the ASL engine) loads only for `run`.
  const { runPipeline, MissingSubstitutionError, RunAbortedError } = await import('../../../local/run-pipeline.ts');
  const interruptions = watchInterruptions(io);
  const printer = new ProgressPrinter(io, pipeline);
  const stackOptions: NonNullable<RunPipelineOptions['stackOptions']> = {};
  if (request.initSql !== undefined) stackOptions.initSql = request.initSql;
  if (request.databaseUrl !== undefined) stackOptions.databaseUrl = request.databaseUrl;
  const runOptions: RunPipelineOptions = {
    input: request.input,
    stackOptions,
    substitutions: request.substitutions,
    signal: interruptions.signal,
    onStackReady: (stack, startMs) =>
      io.out(`local stack ready in ${seconds(startMs ?? 0)} (PostgreSQL on ${hostAndPort(stack.databaseUrl)})`),
    onProgress: (progress) => printer.progress(progress),
  };
  if (request.waitMs !== undefined) runOptions.waitMs = request.waitMs;
  if (request.timeoutSeconds !== undefined) runOptions.timeoutSeconds = request.timeoutSeconds;
  let run: PipelineRun;
  try {
    run = await runPipeline(pipeline, runOptions);
  } catch (error) {
    if (error instanceof MissingSubstitutionError) {
      io.err(`${request.specArgument}: ${error.message} with --substitutions '{"Name": "value"}'`);
      return EXIT.invalid;
    }
    if (error instanceof CompileError) {
      io.err(`error: ${request.specArgument}: ${error.message}`);
      return EXIT.invalid;
    }
    if (error instanceof RunAbortedError) return EXIT.interrupted;
    const initSql = (error as { cause?: { name?: string; line?: number; column?: number; message?: string } }).cause;
    if (initSql?.name === 'InitSqlError') {
      io.err(`${request.initSqlFile}:${initSql.line}:${initSql.column}: the init SQL failed: ${initSql.message}`);
      return EXIT.invalid;
    }
    io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.failed;
  } finally {
    interruptions.dispose();
  }
  return report(io, run, interruptions.interrupted(), request.timeoutSeconds);
}

function report(io: Io, run: PipelineRun, interrupted: boolean, timeoutSeconds: number | undefined): ExitCode {
  // Not when the machine's own (lower) TimeoutSeconds was what ended it.
  if (
    run.status === 'TIMED_OUT' &&
    timeoutSeconds !== undefined &&
    timeoutSeconds <= (run.definition.TimeoutSeconds ?? Infinity)
  ) {
    io.err(
      `--timeout ${formatDuration(timeoutSeconds)} elapsed: the execution was stopped (TIMED_OUT, States.Timeout)`,
    );
  }
  if (run.cleanup) io.out(cleanupLine(run.status, run.cleanup));
  const summary = `${run.status} in ${seconds(run.durationMs)} (${run.stateTransitions} state transitions, ${run.historyEventCount} history events)`;
  io.out(summary);
  if (run.status === 'SUCCEEDED') {
    io.out(JSON.stringify(run.output, null, 2));
    return EXIT.ok;
  }
  if (run.error !== undefined) io.err(`error: ${run.error}`);
  if (run.cause !== undefined) io.err(`cause: ${run.cause}`);
  return interrupted && run.status === 'ABORTED' ? EXIT.interrupted : EXIT.failed;
}

/** What the cleanup rule did for a stopped execution: `cleanup after TIMED_OUT: reaper SUCCEEDED, sleepy ABORTED`. */
function cleanupLine(status: string, cleanup: NonNullable<PipelineRun['cleanup']>): string {
  const statements = cleanup.statements.map(
    ({ stepId, status: statementStatus }) => `${stepId} ${statementStatus ?? 'unknown'}`,
  );
  return `cleanup after ${status}: reaper ${cleanup.reaper ?? 'not run'}${statements.length > 0 ? `, ${statements.join(', ')}` : ', no statement left running'}`;
}

/** One line per change of a step (and a heartbeat while it stays long in one status). */
class ProgressPrinter {
  private readonly width: number;
  private readonly last = new Map<string, { key: string; at: number }>();

  constructor(
    private readonly io: Io,
    pipeline: Pipeline,
  ) {
    this.width = Math.max(8, ...statementSteps(pipeline.steps).map((step) => step.id.length));
  }

  progress(progress: StepProgress): void {
    // Not yet submitted, or a final status the step's own outcome (the next report) will show.
    if (progress.phase === 'running' && (progress.status === undefined || isTerminalStatus(progress.status))) return;
    const label = stepLabel(progress);
    const key = `${label}|${progress.error ?? ''}`;
    const now = Date.now();
    const previous = this.last.get(progress.stepId);
    if (previous && previous.key === key && now - previous.at < HEARTBEAT_MS) return;
    this.last.set(progress.stepId, { key, at: now });
    const details: string[] = [];
    if (progress.rows !== undefined && progress.phase === 'succeeded')
      details.push(progress.rows === 1 ? '1 row' : `${progress.rows} rows`);
    if (previous?.key === key && progress.polls > 0) details.push(`poll ${progress.polls}`);
    if (progress.error !== undefined) details.push(progress.error);
    const text = `  ${progress.stepId.padEnd(this.width)}  ${label.padEnd(10)}  ${seconds(progress.elapsedMs).padStart(7)}${details.length > 0 ? `  ${details.join(', ')}` : ''}`;
    this.io.out(text);
  }
}

function stepLabel(progress: StepProgress): string {
  switch (progress.phase) {
    case 'locking':
      return 'LOCKING';
    case 'running':
      return progress.status ?? 'SUBMITTED';
    case 'succeeded':
      return 'FINISHED';
    case 'failed':
      return 'FAILED';
    case 'stopped':
      return 'STOPPED';
  }
}

function loadOne(io: Io, path: string, displayName: string): Pipeline | typeof EXIT.invalid {
  try {
    const [pipeline] = loadPipelines([{ path, displayName }]);
    return pipeline as Pipeline;
  } catch (error) {
    if (error instanceof SpecErrors) {
      for (const problem of error.errors) io.err(problem.message);
      io.err(`${error.errors.length} problem(s) found; nothing was run.`);
      return EXIT.invalid;
    }
    throw error;
  }
}

function jsonOption(io: Io, name: string, value: string): unknown {
  const text = value.startsWith('@') ? readOption(io, name, value.slice(1)) : value;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${name} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function readOption(io: Io, name: string, path: string): string {
  try {
    return readFileSync(resolve(io.cwd, path), 'utf8');
  } catch {
    throw new UsageError(`${name}: cannot read ${path}`);
  }
}

async function clearCache(io: Io, positionals: readonly string[]): Promise<ExitCode> {
  if (positionals.length > 0) throw new UsageError('--clear-cache takes no spec file');
  const { clearPostgresTemplates } = await import('../../../local/postgres.ts');
  const removed = await clearPostgresTemplates();
  for (const { path, bytes } of removed) io.out(`removed ${path} (${(bytes / 1024 ** 2).toFixed(0)} MB)`);
  io.out(
    removed.length === 0
      ? 'no PostgreSQL template to remove'
      : `removed ${removed.length} PostgreSQL template(s); the next run builds one again`,
  );
  return EXIT.ok;
}

/** Node's timers hold at most 2^31 - 1 ms; a longer delay silently becomes 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;

function nonNegativeInteger(name: string, value: string): number {
  if (!/^\d+$/.test(value))
    throw new UsageError(`${name} must be a whole number of milliseconds (0 or more), got '${value}'`);
  const milliseconds = Number(value);
  if (milliseconds > MAX_TIMER_MS)
    throw new UsageError(
      `${name} must be at most ${MAX_TIMER_MS} (about 24.8 days, the longest timer Node keeps), got ${value}`,
    );
  return milliseconds;
}

function timeoutSeconds(value: string): number {
  const seconds = parseDuration(value);
  if (seconds === undefined)
    throw new UsageError(
      `--timeout '${value}' is not a duration; use 30s, 5m, 2h, 1h30m or a whole number of seconds (more than 0)`,
    );
  // Node's timers hold at most 2^31 - 1 ms (about 24.8 days).
  if (seconds * 1000 > MAX_TIMER_MS)
    throw new UsageError(
      `--timeout must be at most ${Math.floor(MAX_TIMER_MS / 1000)} seconds (about 24.8 days, the longest timer Node keeps), got ${value}`,
    );
  return seconds;
}

function checkDatabaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--database-url '${value}' is not a URL; use postgres://user:password@host:port/database`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new UsageError(
      `--database-url '${value}' is not a PostgreSQL URL (${url.protocol}); use postgres://user:password@host:port/database`,
    );
  }
  if (url.hostname === '')
    throw new UsageError(`--database-url '${value}' names no host; use postgres://user:password@host:port/database`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function seconds(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)}m${String(total % 60).padStart(2, '0')}s`;
}

function hostAndPort(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'the given server';
  }
}
