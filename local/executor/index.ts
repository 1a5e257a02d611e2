// Runs generated ASL (JSONPath) with aws-local-stepfunctions, every Task dispatched by Resource to
// real AWS SDK clients on the local endpoints, every execution registered for the local SFN API.
import '../polyfills.ts';
import { randomUUID } from 'node:crypto';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from './engine.ts';
import {
  prepareDefinition,
  ROOT_INPUT_FIELD,
  ROOT_START_TIME_FIELD,
  substitute,
  type Json,
  type PreparedDefinition,
} from './definition.ts';
import { HistoryBuilder, type HistoryEvent } from './history.ts';
import { ExecutionRegistry, type FinalStatus } from './registry.ts';
import { FunctionRegistry } from './lambda.ts';
import { taskHandler } from './dispatch.ts';
import { jsonRoundTrip } from './json.ts';
import { LOCAL_ACCOUNT, LOCAL_MACHINE_ROLE, LOCAL_REGION } from './aws.ts';
import { DATA_LIMIT_EXCEEDED, payloadOverLimit } from './data-limit.ts';
import { TaskFailure } from './errors.ts';
import type { ExecutorClients, LambdaHandler, TaskHandler } from './types.ts';

export { ExecutionRegistry } from './registry.ts';
export { FunctionRegistry } from './lambda.ts';
export { UnknownPlaceholderError, DefinitionError } from './definition.ts';
export { UnsupportedResourceError } from './dispatch.ts';
export { accountHistory, HistoryBuilder } from './history.ts';
export type { HistoryEvent, HistoryEventType } from './history.ts';
export type { ExecutionStatus } from './registry.ts';
export type { ExecutorClients, LambdaContext, LambdaHandler } from './types.ts';
export type { Json } from './definition.ts';

export type ExecutorOptions = {
  /** Where executions and task tokens live (the local SFN API answers from it). */
  registry?: ExecutionRegistry;
  clients?: ExecutorClients;
  functions?: Readonly<Record<string, LambdaHandler>>;
};

export type ExecuteOptions = {
  /** Execution name (default: a UUID). Unique per state machine name, as in Step Functions. */
  name?: string;
  /** State machine name in the ARNs and `$$.StateMachine` (default "LocalStateMachine"). */
  stateMachineName?: string;
  /** Every Wait state takes this many ms instead of its own duration. Off by default. */
  waitMs?: number;
  /** Every Retry interval takes this many ms instead of IntervalSeconds × BackoffRate^n. */
  retryIntervalMs?: number;
  /**
   * A long-polled Data API call (WaitTimeSeconds) waits at most this many ms of real time, still
   * woken at once by its statement's end (default: `waitMs` when that is given, else real time).
   */
  longPollMs?: number;
  /** Multiplies Task TimeoutSeconds/HeartbeatSeconds and the machine's TimeoutSeconds (default 1). */
  timeoutScale?: number;
  /** `${Name}` placeholders, as CloudFormation DefinitionSubstitutions. */
  substitutions?: Readonly<Record<string, string>>;
  /** Live progress: each history event as it happens. */
  onEvent?: (event: HistoryEvent) => void;
  /** Aborting it stops the execution (status ABORTED), like StopExecution. */
  signal?: AbortSignal;
};

export type ExecutionResult = {
  executionArn: string;
  status: FinalStatus;
  output?: Json;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
  stateTransitions: number;
  historyEventCount: number;
};

type Prepared = {
  machine: StateMachine;
  definition: PreparedDefinition;
  handlers: Map<string, TaskHandler>;
};

type EngineHandler = (
  input: Parameters<NonNullable<NonNullable<RunOverrides['taskResourceLocalHandlers']>[string]>>[0],
) => Promise<never>;
type RunOptions = NonNullable<Parameters<StateMachine['run']>[1]>;
type RunOverrides = NonNullable<RunOptions['overrides']>;

const CACHE_LIMIT = 64;
const DEFAULT_MACHINE_NAME = 'LocalStateMachine';
const NAME = /^[A-Za-z0-9_-]{1,80}$/;

export class Executor {
  readonly registry: ExecutionRegistry;
  readonly functions: FunctionRegistry;
  private readonly clients: ExecutorClients;
  private readonly cache = new Map<string, Prepared>();

  constructor(options: ExecutorOptions = {}) {
    this.registry = options.registry ?? new ExecutionRegistry();
    this.functions = new FunctionRegistry(options.functions);
    this.clients = options.clients ?? {};
  }

  registerFunction(nameOrArn: string, handler: LambdaHandler): void {
    this.functions.register(nameOrArn, handler);
  }

  /**
   * Validates (asl-validator, as aws-local-stepfunctions does), rewrites and caches a definition.
   * `execute` calls it; calling it ahead moves the ~150 ms validation out of the first run.
   */
  prepare(definition: unknown, options: Pick<ExecuteOptions, 'substitutions' | 'timeoutScale'> = {}): Prepared {
    const substituted = substitute(jsonRoundTrip(definition), options.substitutions);
    const key = `${options.timeoutScale ?? 1}|${JSON.stringify(substituted)}`;
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    // Validation only (asl-validator mutates its input); the engine runs the rewritten copy.
    new StateMachine(structuredClone(substituted) as unknown as ConstructorParameters<typeof StateMachine>[0]);
    const prepared = prepareDefinition(
      substituted,
      options.timeoutScale === undefined ? {} : { timeoutScale: options.timeoutScale },
    );
    const handlers = new Map<string, TaskHandler>();
    for (const task of prepared.tasks.values())
      handlers.set(task.name, taskHandler(task, this.clients, this.functions));
    const machine = new StateMachine(
      prepared.runDefinition as unknown as ConstructorParameters<typeof StateMachine>[0],
      {
        validationOptions: { noValidate: true },
      },
    );
    const entry: Prepared = { machine, definition: prepared, handlers };
    this.cache.set(key, entry);
    if (this.cache.size > CACHE_LIMIT) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return entry;
  }

  async execute(definition: unknown, input: unknown = {}, options: ExecuteOptions = {}): Promise<ExecutionResult> {
    const prepared = this.prepare(definition, options);
    const executionInput = jsonRoundTrip(input);
    const ids = executionIds(options);
    const startTime = new Date().toISOString();
    const staticToken = `local-static-task-token-${randomUUID()}`;
    const controller = new AbortController();
    const { registry } = this;
    const stopper = new Stopper();
    registry.startExecution(
      {
        executionArn: ids.executionArn,
        stateMachineArn: ids.stateMachineArn,
        name: ids.name,
        startDate: new Date(startTime),
        input: JSON.stringify(executionInput),
      },
      (error, cause) => stopper.stop(error, cause),
    );

    const handlers = engineHandlers(prepared, {
      executionArn: ids.executionArn,
      signal: controller.signal,
      staticToken,
      registry,
      stopper,
      longPollMs: options.longPollMs ?? options.waitMs,
    });
    const context = executionContext(ids, startTime, executionInput, staticToken);
    const run = prepared.machine.run(
      executionInput as RunInput,
      { context, overrides: runOverrides(prepared.definition, options, handlers) } as RunOptions,
    );
    stopper.attach(run.abort);
    const onSignal = (): void => stopper.stop('States.Aborted', 'the caller aborted the execution');
    if (options.signal?.aborted) onSignal();
    else options.signal?.addEventListener('abort', onSignal, { once: true });

    const builder = new HistoryBuilder((stateName) => prepared.definition.tasks.get(stateName));
    const consuming = consumeEvents(run.eventLogs, builder, {
      prepared,
      executionArn: ids.executionArn,
      registry,
      stopper,
      onEvent: options.onEvent,
    });
    let outcome: Outcome;
    try {
      outcome = { status: 'SUCCEEDED', output: (await run.result) as Json };
    } catch (error) {
      outcome = failedOutcome(error, stopper.request);
    } finally {
      options.signal?.removeEventListener('abort', onSignal);
      // Settles every handler still in flight (stopped branches, pending callbacks), so no Task
      // timer of the engine outlives the run.
      controller.abort();
    }
    const listenerError = await consuming;
    // A state over the payload quota late in the run (only Pass, Choice or Succeed states after it)
    // is seen once the engine has already finished: the execution still FAILED.
    if (outcome.status === 'SUCCEEDED' && stopper.request?.terminal) outcome = terminalOutcome(stopper.request);
    registry.finishExecution(ids.executionArn, outcome.status, {
      ...(outcome.output !== undefined ? { output: JSON.stringify(outcome.output) } : {}),
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      ...(outcome.cause !== undefined ? { cause: outcome.cause } : {}),
    });
    // Let the abort above unwind the engine (its Task timers are cleared as their races settle).
    await new Promise((resolve) => setImmediate(resolve));
    if (listenerError !== undefined) throw listenerError.error;
    return {
      executionArn: ids.executionArn,
      status: outcome.status,
      history: [...builder.history],
      stateTransitions: builder.stateTransitions,
      historyEventCount: builder.historyEventCount,
      ...(outcome.output !== undefined ? { output: outcome.output } : {}),
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      ...(outcome.cause !== undefined ? { cause: outcome.cause } : {}),
    };
  }
}

type ExecutionIds = { name: string; machineName: string; stateMachineArn: string; executionArn: string };

function executionIds(options: ExecuteOptions): ExecutionIds {
  const machineName = options.stateMachineName ?? DEFAULT_MACHINE_NAME;
  const name = options.name ?? randomUUID();
  if (!NAME.test(machineName)) throw new Error(`invalid state machine name ${JSON.stringify(machineName)}`);
  if (!NAME.test(name)) throw new Error(`invalid execution name ${JSON.stringify(name)}`);
  return {
    name,
    machineName,
    stateMachineArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${machineName}`,
    executionArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${machineName}:${name}`,
  };
}

type StopRequest = { error?: string; cause?: string; terminal?: boolean };

/**
 * How an execution is stopped from outside the engine: StopExecution, the caller's signal, or a
 * terminal error (States.DataLimitExceeded, which ends the execution FAILED). The first request
 * wins; it aborts the engine's run once that exists.
 */
class Stopper {
  request: StopRequest | undefined;
  private abortRun: (() => void) | undefined;

  stop(error?: string, cause?: string, terminal = false): void {
    if (this.request) return;
    this.request = terminal ? { terminal } : {};
    if (error !== undefined) this.request.error = error;
    if (cause !== undefined) this.request.cause = cause;
    this.abortRun?.();
  }

  attach(abortRun: () => void): void {
    this.abortRun = abortRun;
    if (this.request) abortRun();
  }
}

type HandlerContext = {
  executionArn: string;
  signal: AbortSignal;
  staticToken: string;
  registry: ExecutionRegistry;
  stopper: Stopper;
  longPollMs: number | undefined;
};

// States.DataLimitExceeded ends the execution (no Catch sees it). A Task's input after
// Parameters and its connector output are checked here, before and after the call; a state's
// output after ResultSelector/ResultPath is checked from the event log, which each Task call
// lets catch up first: the engine may have entered the next state, but no further Task runs.
function engineHandlers(prepared: Prepared, context: HandlerContext): Record<string, EngineHandler> {
  const { stopper } = context;
  const overLimit = (problem: string | undefined): void => {
    if (problem === undefined) return;
    stopper.stop(DATA_LIMIT_EXCEEDED, problem, true);
    throw new TaskFailure(DATA_LIMIT_EXCEEDED, problem);
  };
  const longPoll = context.longPollMs === undefined ? {} : { longPollMs: context.longPollMs };
  const handlers: Record<string, EngineHandler> = {};
  for (const [stateName, handler] of prepared.handlers) {
    const task = prepared.definition.tasks.get(stateName);
    if (!task) continue;
    handlers[stateName] = (async (taskInput: Json) => {
      await new Promise((resolve) => setImmediate(resolve)); // the event log catches up first
      if (stopper.request?.terminal) throw new TaskFailure(DATA_LIMIT_EXCEEDED, stopper.request.cause ?? '');
      overLimit(payloadOverLimit('input after Parameters', stateName, taskInput));
      const { executionArn, signal, staticToken, registry } = context;
      const output = await handler({
        executionArn,
        stateName,
        task,
        input: taskInput,
        signal,
        staticToken,
        registry,
        ...longPoll,
      });
      overLimit(payloadOverLimit('result', stateName, output));
      return output;
    }) as unknown as EngineHandler;
  }
  return handlers;
}

function runOverrides(
  definition: PreparedDefinition,
  options: ExecuteOptions,
  taskResourceLocalHandlers: Record<string, EngineHandler>,
): RunOverrides {
  const overrides: RunOverrides = { taskResourceLocalHandlers };
  const { waitMs, retryIntervalMs } = options;
  if (waitMs !== undefined)
    overrides.waitTimeOverrides = Object.fromEntries(definition.waitStates.map((state) => [state, waitMs]));
  if (retryIntervalMs !== undefined)
    overrides.retryIntervalOverrides = Object.fromEntries(
      definition.retryStates.map((state) => [state, retryIntervalMs]),
    );
  return overrides;
}

/** The context object (`$$`) the engine gives the machine; it only fills Execution.Input itself. */
function executionContext(ids: ExecutionIds, startTime: string, executionInput: Json, staticToken: string) {
  return {
    Execution: {
      Id: ids.executionArn,
      Name: ids.name,
      RoleArn: LOCAL_MACHINE_ROLE,
      StartTime: startTime,
      RedriveCount: 0,
      [ROOT_INPUT_FIELD]: executionInput,
      [ROOT_START_TIME_FIELD]: startTime,
    },
    State: enteredTimeContext(),
    StateMachine: { Id: ids.stateMachineArn, Name: ids.machineName },
    Task: { Token: staticToken },
  };
}

/**
 * `$$.State.EnteredTime` ("Format: ISO 8601", Step Functions developer guide, "Accessing execution
 * data from the Context object"), which the engine does not fill: a Choice rule such as
 * `TimestampLessThanEqualsPath: "$$.State.EnteredTime"` would otherwise fail with States.Runtime.
 * The engine reads a state's paths on entry (InputPath, Parameters, every Choice rule) in the same
 * synchronous turn as it enters the state, so the time of that turn, held until the turn ends, is
 * the time the state was entered: every read within one state's entry sees one value, as in AWS.
 * (A Task's ResultSelector is read after its call, in a later turn: not used by our machines.)
 */
function enteredTimeContext(): { readonly EnteredTime: string } {
  let turnTime: string | undefined;
  return {
    get EnteredTime(): string {
      if (turnTime === undefined) {
        turnTime = new Date().toISOString();
        queueMicrotask(() => {
          turnTime = undefined;
        });
      }
      return turnTime;
    },
  };
}

type EventLog = ReturnType<StateMachine['run']>['eventLogs'];
type ConsumeContext = {
  prepared: Prepared;
  executionArn: string;
  registry: ExecutionRegistry;
  stopper: Stopper;
  onEvent: ((event: HistoryEvent) => void) | undefined;
};

/** Turns the engine's event log into the history; answers the first error an onEvent listener threw. */
async function consumeEvents(
  eventLogs: EventLog,
  builder: HistoryBuilder,
  context: ConsumeContext,
): Promise<{ error: unknown } | undefined> {
  const { prepared, executionArn, registry, stopper, onEvent } = context;
  let listenerError: { error: unknown } | undefined;
  for await (const event of eventLogs) {
    if (event.type === 'StateEntered' || event.type === 'StateExited') {
      const problem =
        event.type === 'StateEntered'
          ? payloadOverLimit('input', event.state.name, event.state.input)
          : payloadOverLimit('output', event.state.name, event.state.output);
      if (problem !== undefined) stopper.stop(DATA_LIMIT_EXCEEDED, problem, true);
    }
    // A terminal error stops the engine (abort) but the execution FAILED, as its history says.
    const request = stopper.request;
    const logged: typeof event =
      (event.type === 'ExecutionAborted' || event.type === 'ExecutionSucceeded') && request?.terminal
        ? {
            type: 'ExecutionFailed',
            timestamp: event.timestamp,
            Error: request.error ?? DATA_LIMIT_EXCEEDED,
            Cause: request.cause ?? '',
          }
        : event;
    const produced = builder.push(logged);
    if (event.type === 'StateFailed' && (event.state.type === 'Parallel' || event.state.type === 'Map')) {
      // Its branches/iterations were stopped: their callback tokens are void now.
      const nested = prepared.definition.nestedTasks.get(event.state.name);
      if (nested) registry.expireStateTokens(executionArn, nested);
    }
    if (!onEvent) continue;
    for (const historyEvent of produced) {
      try {
        onEvent(historyEvent);
      } catch (error) {
        listenerError ??= { error };
      }
    }
  }
  return listenerError;
}

type Outcome = { status: FinalStatus; output?: Json; error?: string; cause?: string };

/** A terminal error (States.DataLimitExceeded) ends the execution FAILED. */
function terminalOutcome(request: StopRequest): Outcome {
  return {
    status: 'FAILED',
    error: request.error ?? DATA_LIMIT_EXCEEDED,
    ...(request.cause !== undefined ? { cause: request.cause } : {}),
  };
}

/** How a run that threw ended, from the engine's error and the stop request (if any). */
function failedOutcome(error: unknown, request: StopRequest | undefined): Outcome {
  if (error instanceof ExecutionAbortedError && request?.terminal) return terminalOutcome(request);
  if (error instanceof ExecutionAbortedError) {
    return {
      status: 'ABORTED',
      ...(request?.error !== undefined ? { error: request.error } : {}),
      ...(request?.cause !== undefined ? { cause: request.cause } : {}),
    };
  }
  if (error instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT', error: 'States.Timeout' };
  if (error instanceof ExecutionError && error.cause instanceof Error)
    return { status: 'FAILED', error: error.cause.name, cause: error.cause.message };
  return { status: 'FAILED', error: 'States.Runtime', cause: error instanceof Error ? error.message : String(error) };
}

type RunInput = Parameters<StateMachine['run']>[0];

export function createExecutor(options: ExecutorOptions = {}): Executor {
  return new Executor(options);
}
