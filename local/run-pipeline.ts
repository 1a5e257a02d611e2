// Runs one normalized pipeline end to end on the local stack: compile in memory, start (or reuse) a
// stack, execute the machine, and report each statement step's progress live.
//
// Progress comes from two sources inside one run:
// - the executor's history events: a step's first state entered (its start), its Record exited
//   (success), one of its Fail states entered or a Task of it failed (failure);
// - the Data API answers the run's own Task states receive (ExecuteStatement/BatchExecuteStatement
//   → statement id; DescribeStatement → Status, ResultRows, Error), observed by a middleware on the
//   stack's Redshift Data API client (and on the runtime Lambda's, for callback steps). The
//   middleware knows which run a submit belongs to through an AsyncLocalStorage entered around the
//   execution: Task handlers (and in-process Lambdas) run in the execution's async context, so
//   concurrent runs on one stack never see each other's statements. Later calls about a statement
//   (DescribeStatement, also from the runtime's completion handling) are matched by statement id.
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  CancelStatementCommand,
  DescribeStatementCommand,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import type { StateMachine } from '../generator/compile/asl.ts';
import { STEP_ERRORS } from '../generator/compile/errors.ts';
import { isTerminalStatus, parseStatementName, STATEMENT_NAME_PREFIX } from '../runtime/src/contract.ts';
import { compilePipeline } from '../generator/compile/pipeline.ts';
import {
  statementStepPlans,
  type PipelinePlan,
  type StateRole,
  type StatementStepPlan,
} from '../generator/compile/plan.ts';
import type { Pipeline } from '../generator/load/model.ts';
import { statementSteps } from '../generator/load/steps.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './executor/aws.ts';
import { placeholderNames, replacePlaceholders } from './executor/definition.ts';
import type { HistoryEvent, LambdaHandler } from './executor/index.ts';
import {
  DEFAULT_STATE_TABLE_NAME,
  startLocalStack,
  type ExecutionEventRule,
  type ExecutionResult,
  type LocalStack,
  type LocalStackOptions,
} from './stack.ts';
import { reaperMachine } from '../generator/compile/reaper.ts';
import { reaperPageSizeFor } from '../generator/emit/state-size.ts';

/**
 * Values for the usual `${Name}` placeholders when a run names none: locally a cluster or
 * workgroup name, a secret or a function ARN only has to be well-formed.
 */
export const LOCAL_SUBSTITUTIONS: Readonly<Record<string, string>> = {
  ClusterId: 'local',
  WorkgroupName: 'local',
  DatabaseSecretArn: `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:sfn-redshift-local`,
  RuntimeFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:sfn-redshift-runtime`,
};

/**
 * Where a statement step stands: `locking` (a singleton step acquiring its lock), `running`
 * (submitted, being polled), `succeeded` (its record written), `failed` (it raised `error`), or
 * `stopped` (the execution ended around it: aborted, or a sibling Parallel branch failed).
 */
export type StepPhase = 'locking' | 'running' | 'succeeded' | 'failed' | 'stopped';

export type StepProgress = {
  readonly stepId: string;
  readonly phase: StepPhase;
  /** Data API status from the step's latest DescribeStatement (SUBMITTED right after submit). */
  readonly status?: string;
  readonly statementId?: string;
  /** DescribeStatement calls so far. */
  readonly polls: number;
  /** Since the step's first state was entered. */
  readonly elapsedMs: number;
  /** ResultRows as DescribeStatement reports it, when it is a count (≥ 0). */
  readonly rows?: number;
  readonly error?: string;
  readonly cause?: string;
};

export type RunPipelineOptions = {
  /** Execution input (default `{}`). */
  input?: unknown;
  /**
   * Run on this stack and leave it running; otherwise a stack is started and stopped. A given
   * stack must already serve the runtime Lambda if the pipeline has callback steps.
   */
  stack?: LocalStack;
  /** Options of the stack this run starts (ignored with `stack`). */
  stackOptions?: LocalStackOptions;
  /** `${Name}` values; `StateTableName` is the stack's table, LOCAL_SUBSTITUTIONS fill the rest. */
  substitutions?: Readonly<Record<string, string>>;
  /** Every Wait state takes this many ms (time compression); off by default: waits are real. */
  waitMs?: number;
  /** Every Retry interval takes this many ms (default: `waitMs` when that is given). */
  retryIntervalMs?: number;
  /** Execution name (default a UUID). */
  name?: string;
  /** Called on every change of a statement step (and on every poll). */
  onProgress?: (progress: StepProgress) => void;
  /** Every history event of the execution, as it happens. */
  onEvent?: (event: HistoryEvent) => void;
  /** Called once the stack is ready (before the execution starts) with how long it took to start. */
  onStackReady?: (stack: LocalStack, startMs: number | undefined) => void;
  /**
   * Aborting stops the execution (status ABORTED), cancels the run's statements still running
   * and, if this run started the stack, stops it. Before the execution starts: RunAbortedError.
   */
  signal?: AbortSignal;
  /**
   * Real-time limit of the execution: the machine's own TimeoutSeconds becomes at most this, so the
   * execution ends TIMED_OUT with States.Timeout as in Step Functions, and the cleanup rule fires.
   */
  timeoutSeconds?: number;
};

/** A statement the run left running when its execution stopped, and its status after the cleanup. */
export type CleanedStatement = {
  readonly stepId: string;
  readonly statementId: string;
  readonly status: string | undefined;
};

/** What the cleanup rule did after a stopped execution, on a stack this run started. */
export type RunCleanup = {
  /** The reaper execution's final status (undefined: the rule did not start it). */
  readonly reaper: string | undefined;
  readonly statements: readonly CleanedStatement[];
};

export type PipelineRun = ExecutionResult & {
  readonly pipeline: string;
  readonly definition: StateMachine;
  /** Final progress of every statement step that started, in the order they started. */
  readonly steps: readonly StepProgress[];
  /** Execution only (stack start-up excluded). */
  readonly durationMs: number;
  /** Stack start-up, when this run started the stack. */
  readonly stackStartMs?: number;
  /** Set when the execution stopped (not SUCCEEDED) on a stack this run started with a cleanup rule. */
  readonly cleanup?: RunCleanup;
};

/** Placeholders of the definition that nothing gives a value to. */
export class MissingSubstitutionError extends Error {
  override readonly name = 'MissingSubstitutionError';
  constructor(readonly placeholders: readonly string[]) {
    super(`no value for ${placeholders.map((name) => '${' + name + '}').join(', ')}; pass it as a substitution`);
  }
}

/** The local stack did not start (PostgreSQL unreachable, init SQL failing, …). */
export class StackStartError extends Error {
  override readonly name = 'StackStartError';
  constructor(override readonly cause: unknown) {
    super(`the local stack did not start: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** The caller aborted before the execution started. */
export class RunAbortedError extends Error {
  override readonly name = 'RunAbortedError';
  constructor() {
    super('the run was aborted before its execution started');
  }
}

/** The role of each Fail-like state (or Pass recording a failure before a release) → the contract error it raises. */
const FAILURE_ROLES: { readonly [R in StateRole]?: string } = {
  Failed: STEP_ERRORS.statementFailed,
  Aborted: STEP_ERRORS.statementAborted,
  TimedOut: STEP_ERRORS.statementTimeout,
  TimedOutEarly: STEP_ERRORS.statementTimeout,
  Busy: STEP_ERRORS.concurrentExecution,
  BusyStarting: STEP_ERRORS.concurrentExecution,
  TooLarge: STEP_ERRORS.resultTooLarge,
  ResultTooLarge: STEP_ERRORS.resultTooLarge,
};

/**
 * The substitutions of one run: the caller's, then the stack's state table, then `${!Text}`
 * escapes as the literal `${Text}`, then LOCAL_SUBSTITUTIONS. Throws for any name left over.
 */
export function runSubstitutions(
  definition: StateMachine,
  stateTableName: string,
  given: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of placeholderNames(definition)) {
    if (Object.hasOwn(given, name)) values[name] = given[name] as string;
    else if (name === 'StateTableName') values[name] = stateTableName;
    else if (name.startsWith('!')) values[name] = '${' + name.slice(1) + '}';
    else if (Object.hasOwn(LOCAL_SUBSTITUTIONS, name)) values[name] = LOCAL_SUBSTITUTIONS[name] as string;
    else missing.push(name);
  }
  if (missing.length > 0) throw new MissingSubstitutionError(missing);
  return values;
}

export function hasCallbackSteps(pipeline: Pipeline): boolean {
  return statementSteps(pipeline.steps).some((step) => step.mode === 'callback');
}

type Failure = { error: string; cause?: string };
/** A failure not yet final: a Task's (`state`: a Retry may still take it) or a contract error on its way to a Fail state. */
type PendingFailure = Failure & { state?: string };
type MutableProgress = { -readonly [Key in keyof StepProgress]: StepProgress[Key] } & {
  startedAt: number;
  pendingError?: PendingFailure;
};

/** What a run learns from the Data API answers its own Task states receive. */
type RunObserver = { onDataApiCall(command: string, input: unknown, output: unknown): void };

const runContext = new AsyncLocalStorage<RunObserver>();
const observedClients = new WeakSet<RedshiftDataClient>();
/** Which run submitted each statement still being followed (for calls outside a run's context). */
const statementOwners = new Map<string, RunObserver>();

function observeDataApi(client: RedshiftDataClient): void {
  if (observedClients.has(client)) return;
  observedClients.add(client);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const observer = runContext.getStore();
      const result = await next(args);
      const id = field(result.output, 'Id');
      const owner = observer ?? (typeof id === 'string' ? statementOwners.get(id) : undefined);
      if (owner) owner.onDataApiCall(context.commandName ?? '', args.input, result.output);
      return result;
    },
    { step: 'initialize', name: 'sfnRedshiftRunObserver' },
  );
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** Follows one execution: step trackers fed by history events and Data API answers. */
class ProgressTracker implements RunObserver {
  private readonly steps = new Map<string, MutableProgress>();
  private readonly byStatement = new Map<string, MutableProgress>();
  private readonly statementSteps: Map<string, StatementStepPlan>;
  /** Data API StatementName → step id. */
  private readonly stepsByStatementName: Map<string, string>;

  constructor(
    private readonly plan: PipelinePlan,
    private readonly emit: (progress: StepProgress) => void,
  ) {
    const steps = statementStepPlans(plan.steps);
    this.statementSteps = new Map(steps.map((step) => [step.step.id, step]));
    this.stepsByStatementName = new Map(steps.map((step) => [step.step.statementName, step.step.id]));
  }

  /** Statements of the run not known to have ended. */
  unfinishedStatements(): { stepId: string; statementId: string }[] {
    return [...this.byStatement.entries()]
      .filter(([, step]) => !isTerminalStatus(step.status))
      .map(([statementId, step]) => ({ stepId: step.stepId, statementId }));
  }

  private step(stepId: string, at: number): MutableProgress | undefined {
    const known = this.steps.get(stepId);
    if (known) return known;
    const info = this.statementSteps.get(stepId);
    if (!info) return undefined;
    // A callback step's lock is taken by the runtime, inside its submit.
    const locking = info.lock?.takenBy === 'machine';
    const created: MutableProgress = {
      stepId,
      phase: locking ? 'locking' : 'running',
      polls: 0,
      elapsedMs: 0,
      startedAt: at,
    };
    this.steps.set(stepId, created);
    return created;
  }

  private publish(step: MutableProgress, at = Date.now()): void {
    step.elapsedMs = Math.max(0, at - step.startedAt);
    this.emit(snapshot(step));
  }

  private settled(step: MutableProgress): boolean {
    return step.phase === 'succeeded' || step.phase === 'failed' || step.phase === 'stopped';
  }

  onDataApiCall(command: string, input: unknown, output: unknown): void {
    const now = Date.now();
    if (command === 'ExecuteStatementCommand' || command === 'BatchExecuteStatementCommand') {
      const name = field(input, 'StatementName');
      const id = field(output, 'Id');
      // The name without the execution's suffix (contract: `sfn-redshift/<pipeline>/<stepId>[/<execution>]`).
      const parts = typeof name === 'string' ? parseStatementName(name) : undefined;
      const base = parts ? `${STATEMENT_NAME_PREFIX}${parts.pipeline}/${parts.stepId}` : name;
      const stepId = typeof base === 'string' ? this.stepsByStatementName.get(base) : undefined;
      if (stepId === undefined || typeof id !== 'string') return;
      const step = this.step(stepId, now);
      if (!step || this.settled(step)) return;
      step.phase = 'running';
      step.statementId = id;
      step.status = 'SUBMITTED';
      this.byStatement.set(id, step);
      statementOwners.set(id, this);
      this.publish(step, now);
    } else if (command === 'DescribeStatementCommand') {
      const id = field(output, 'Id');
      const step = typeof id === 'string' ? this.byStatement.get(id) : undefined;
      if (!step || this.settled(step)) return;
      const status = field(output, 'Status');
      const rows = field(output, 'ResultRows');
      const error = field(output, 'Error');
      step.polls += 1;
      if (typeof status === 'string') step.status = status;
      if (typeof rows === 'number' && rows >= 0) step.rows = rows;
      if (status === 'FAILED' && typeof error === 'string')
        step.pendingError = { error: STEP_ERRORS.statementFailed, cause: error };
      this.publish(step, now);
    }
  }

  onEvent(event: HistoryEvent): void {
    const located = event.stateName !== undefined ? this.plan.stateRoles.get(event.stateName) : undefined;
    if (!located) return;
    const { stepId, role } = located;
    const at = Date.parse(event.timestamp);
    const known = this.steps.has(stepId);
    const step = this.step(stepId, at);
    if (!step || this.settled(step)) return;
    if (!known) this.publish(step, at);
    switch (event.type) {
      case 'TaskFailed':
      case 'TaskTimedOut':
        // Final unless a Retry or Catch takes it; then the step's own states say what follows.
        step.pendingError = {
          error: event.error ?? 'States.TaskFailed',
          ...(event.cause !== undefined ? { cause: event.cause } : {}),
          ...(event.stateName !== undefined ? { state: event.stateName } : {}),
        };
        break;
      case 'TaskScheduled':
        // A retry of the Task that failed: that failure was not final.
        if (step.pendingError?.state === event.stateName) delete step.pendingError;
        break;
      case 'PassStateEntered': {
        // A singleton step records its contract error in a Pass state before releasing the lock.
        const error = FAILURE_ROLES[role];
        if (error !== undefined) step.pendingError = this.contractError(step, error);
        break;
      }
      case 'FailStateEntered': {
        const error = FAILURE_ROLES[role];
        const failure = error !== undefined ? this.contractError(step, error) : step.pendingError;
        this.fail(step, failure, at);
        break;
      }
      case 'PassStateExited':
        if (role === 'Record') this.succeed(step, at);
        break;
      case 'TaskStateExited': {
        // A callback step without results ends with its Execute Task (the token's answer).
        const info = this.statementSteps.get(stepId)?.step;
        if (role === 'Execute' && !step.pendingError && info?.mode === 'callback' && !info.results)
          this.succeed(step, at);
        break;
      }
      default:
        break;
    }
  }

  private succeed(step: MutableProgress, at: number): void {
    step.phase = 'succeeded';
    step.status = 'FINISHED';
    delete step.pendingError;
    this.publish(step, at);
  }

  /** Forgets the run's statements: later calls about them are no longer this run's progress. */
  detach(): void {
    for (const id of this.byStatement.keys()) if (statementOwners.get(id) === this) statementOwners.delete(id);
  }

  private contractError(step: MutableProgress, error: string): Failure {
    if (error === STEP_ERRORS.statementFailed)
      return { error, ...(step.pendingError?.cause !== undefined ? { cause: step.pendingError.cause } : {}) };
    if (error === STEP_ERRORS.concurrentExecution) return { error };
    return { error, ...(step.statementId !== undefined ? { cause: step.statementId } : {}) };
  }

  private fail(step: MutableProgress, failure: Failure | undefined, at: number): void {
    step.phase = 'failed';
    if (failure) {
      step.error = failure.error;
      if (failure.cause !== undefined) step.cause = failure.cause;
    }
    delete step.pendingError;
    this.publish(step, at);
  }

  /** Settles every step still open once the execution has ended; answers them all in start order. */
  finish(result: ExecutionResult): StepProgress[] {
    const now = Date.now();
    for (const step of this.steps.values()) {
      if (step.phase === 'failed' && step.error === undefined && result.error !== undefined) {
        step.error = result.error;
        if (result.cause !== undefined) step.cause = result.cause;
        this.publish(step, now);
      } else if (
        step.phase === 'failed' &&
        step.cause === undefined &&
        step.error === result.error &&
        result.cause !== undefined
      ) {
        step.cause = result.cause;
        this.publish(step, now);
      } else if (!this.settled(step)) {
        if (step.pendingError && result.status === 'FAILED') this.fail(step, step.pendingError, now);
        else {
          step.phase = 'stopped';
          this.publish(step, now);
        }
      }
    }
    return [...this.steps.values()].map(snapshot);
  }
}

function snapshot(step: MutableProgress): StepProgress {
  const { startedAt: _startedAt, pendingError: _pendingError, ...progress } = step;
  return { ...progress };
}

const REAPER_NAME = 'sfn-redshift-reaper';
const LOCAL_REAPER_WAIT_MS = 1000;

/** The cleanup rule of runtime.template.yaml for this run's machine: the reaper, and the runtime for callback steps. */
function cleanupRules(pipeline: Pipeline, runtimeFunctionArn: string | undefined): ExecutionEventRule[] {
  if (pipeline.cleanup !== 'cancel-on-stop') return [];
  const rule = {
    stateMachineArns: [`arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${pipeline.name}`],
    statuses: ['ABORTED', 'TIMED_OUT', 'FAILED'] as const,
  };
  return [
    {
      ...rule,
      target: {
        stateMachine: {
          name: REAPER_NAME,
          definition: reaperMachine(reaperPageSizeFor([pipeline])),
        },
      },
    },
    ...(runtimeFunctionArn !== undefined ? [{ ...rule, target: { function: runtimeFunctionArn } }] : []),
  ];
}

async function cancelStatements(client: RedshiftDataClient, ids: readonly string[]): Promise<void> {
  await Promise.all(ids.map((Id) => client.send(new CancelStatementCommand({ Id })).catch(() => undefined)));
}

/** Each statement's status now, as the Data API describes it (undefined when it cannot). */
async function describeStatements(
  stack: LocalStack,
  statements: readonly { stepId: string; statementId: string }[],
): Promise<CleanedStatement[]> {
  // The Data API shows a role only its own statements: the machine's (poll) or the runtime's (callback).
  const describe = (client: RedshiftDataClient, Id: string): Promise<string | undefined> =>
    client.send(new DescribeStatementCommand({ Id })).then(
      (described) => described.Status,
      () => undefined,
    );
  return Promise.all(
    statements.map(async ({ stepId, statementId }) => {
      const status =
        (await describe(stack.clients.redshiftData, statementId)) ??
        (await describe(stack.clients.runtimeRedshiftData, statementId));
      return { stepId, statementId, status };
    }),
  );
}

/** The machine with its own TimeoutSeconds lowered to `timeoutSeconds` (the run's --timeout). */
function withTimeout(definition: StateMachine, timeoutSeconds: number | undefined): StateMachine {
  if (timeoutSeconds === undefined) return definition;
  return { ...definition, TimeoutSeconds: Math.min(definition.TimeoutSeconds ?? timeoutSeconds, timeoutSeconds) };
}

/**
 * Compiles `pipeline` (poll mode), runs it on a local stack and answers the execution's result
 * with each step's final progress. Throws MissingSubstitutionError before starting anything when
 * a `${Name}` has no value, RunAbortedError when aborted before the execution started.
 */
export async function runPipeline(pipeline: Pipeline, options: RunPipelineOptions = {}): Promise<PipelineRun> {
  const plan = compilePipeline(pipeline);
  const definition = plan.machine;
  const stateTableName =
    options.stack?.stateTableName ?? options.stackOptions?.stateTableName ?? DEFAULT_STATE_TABLE_NAME;
  const substitutions = runSubstitutions(definition, stateTableName, options.substitutions);
  if (options.signal?.aborted) throw new RunAbortedError();

  let stack = options.stack;
  let stackStartMs: number | undefined;
  let reaperStatus: string | undefined;
  const stackOptions: LocalStackOptions = {
    // The reaper's second sweep waits for requests still in flight; on one machine nothing is in
    // flight for long, so the local cleanup report need not wait its minute.
    ruleWaitMs: options.waitMs ?? LOCAL_REAPER_WAIT_MS,
    ...options.stackOptions,
    onExecutionEvent: (event) => {
      if (event.detail.stateMachineArn.endsWith(`:${REAPER_NAME}`) && event.detail.status !== 'RUNNING')
        reaperStatus = event.detail.status;
      return options.stackOptions?.onExecutionEvent?.(event);
    },
  };
  const runtime =
    !stack && hasCallbackSteps(pipeline)
      ? await inProcessRuntime(replacePlaceholders(pipeline.runtimeFunctionArn, substitutions))
      : undefined;
  if (!stack) {
    const started = performance.now();
    try {
      const base = runtime ? { ...stackOptions, ...runtime.stackOptions(stackOptions) } : stackOptions;
      stack = await startLocalStack({
        ...base,
        executionEventRules: [...(base.executionEventRules ?? []), ...cleanupRules(pipeline, runtime?.functionArn)],
      });
    } catch (error) {
      throw new StackStartError(error);
    }
    stackStartMs = performance.now() - started;
  }
  const ownStack = options.stack ? undefined : stack;
  let tracker: ProgressTracker | undefined;
  try {
    if (options.signal?.aborted) throw new RunAbortedError();
    if (runtime) observeDataApi(runtime.attach(stack));
    options.onStackReady?.(stack, stackStartMs);
    observeDataApi(stack.clients.redshiftData);

    const outside = <T>(fn: () => T): T => runContext.exit(fn);
    const progress = new ProgressTracker(plan, (progress) => {
      if (options.onProgress) outside(() => options.onProgress?.(progress));
    });
    tracker = progress;
    const retryIntervalMs = options.retryIntervalMs ?? options.waitMs;
    const started = performance.now();
    const liveStack = stack;
    const result = await runContext.run(progress, () =>
      liveStack.execute(withTimeout(definition, options.timeoutSeconds), options.input ?? {}, {
        stateMachineName: pipeline.name,
        substitutions,
        ...(options.name !== undefined ? { name: options.name } : {}),
        ...(options.waitMs !== undefined ? { waitMs: options.waitMs } : {}),
        ...(retryIntervalMs !== undefined ? { retryIntervalMs } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onEvent: (event) => {
          progress.onEvent(event);
          if (options.onEvent) outside(() => options.onEvent?.(event));
        },
      }),
    );
    const durationMs = performance.now() - started;
    // Stopped from outside: nothing this run submitted may keep running. On its own stack the
    // cleanup rule's reaper (and runtime) cancel them, as in AWS; on a given stack, the run does.
    let cleanup: RunCleanup | undefined;
    if (ownStack && pipeline.cleanup === 'cancel-on-stop') {
      const leftRunning = progress.unfinishedStatements();
      await stack.drainExecutionEvents();
      if (result.status !== 'SUCCEEDED')
        cleanup = { reaper: reaperStatus, statements: await describeStatements(stack, leftRunning) };
    } else if (result.status === 'ABORTED' || result.status === 'TIMED_OUT') {
      await cancelStatements(
        stack.clients.redshiftData,
        progress.unfinishedStatements().map(({ statementId }) => statementId),
      );
    }
    const steps = progress.finish(result);
    return {
      ...result,
      pipeline: pipeline.name,
      definition,
      steps,
      durationMs,
      ...(stackStartMs !== undefined ? { stackStartMs } : {}),
      ...(cleanup ? { cleanup } : {}),
    };
  } finally {
    tracker?.detach();
    // stop() waits for function invocations still running (the runtime's cleanup) first.
    if (ownStack) await ownStack.stop();
  }
}

/**
 * The runtime Lambda (runtime/src) in this process, for the callback steps of a run that starts
 * its own stack: registered under the pipeline's runtime ARN, receiving the completion events.
 * Like a Lambda container it configures itself from process.env (endpoints, credentials, state
 * table), and its SDK clients live as long as the process: so `attach` writes the stack's
 * environment into process.env, and one process serves callback steps for one stack only.
 */
let runtimeServes: string | undefined;

async function inProcessRuntime(functionArn: string): Promise<{
  stackOptions(base: LocalStackOptions | undefined): LocalStackOptions;
  functionArn: string;
  attach(stack: LocalStack): RedshiftDataClient;
}> {
  const [{ handler, setLogSink }, { redshiftDataClient }] = await Promise.all([
    import('../runtime/src/index.ts'),
    import('../runtime/src/clients.ts'),
  ]);
  const runtimeHandler: LambdaHandler = (event, context) => handler(event, context);
  return {
    functionArn,
    stackOptions: (base) => ({
      functions: { ...base?.functions, [functionArn]: runtimeHandler },
      redshiftEventTarget: functionArn,
    }),
    attach(stack) {
      const endpoints = JSON.stringify(stack.endpoints);
      if (runtimeServes !== undefined && runtimeServes !== endpoints) {
        throw new Error(
          'callback steps: the in-process runtime Lambda already served another local stack in this process, and its SDK clients last as long as the process; run callback pipelines one per process, or give a stack that serves the runtime',
        );
      }
      runtimeServes = endpoints;
      Object.assign(process.env, stack.lambdaEnvironment);
      // Its JSON log lines are for CloudWatch; the run reports progress itself.
      setLogSink(() => undefined);
      return redshiftDataClient();
    },
  };
}
