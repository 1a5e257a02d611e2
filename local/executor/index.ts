// Runs generated ASL (JSONPath) with aws-local-stepfunctions, every Task dispatched by Resource to
// real AWS SDK clients on the local endpoints, every execution registered for the local SFN API.
import '../polyfills.ts';
import { randomUUID } from 'node:crypto';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
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

type EngineHandler = (input: Parameters<NonNullable<NonNullable<RunOverrides['taskResourceLocalHandlers']>[string]>>[0]) => Promise<never>;
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
    const prepared = prepareDefinition(substituted, options.timeoutScale === undefined ? {} : { timeoutScale: options.timeoutScale });
    const handlers = new Map<string, TaskHandler>();
    for (const task of prepared.tasks.values()) handlers.set(task.name, taskHandler(task, this.clients, this.functions));
    const machine = new StateMachine(prepared.runDefinition as unknown as ConstructorParameters<typeof StateMachine>[0], {
      validationOptions: { noValidate: true },
    });
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
    const machineName = options.stateMachineName ?? DEFAULT_MACHINE_NAME;
    const name = options.name ?? randomUUID();
    if (!NAME.test(machineName)) throw new Error(`invalid state machine name ${JSON.stringify(machineName)}`);
    if (!NAME.test(name)) throw new Error(`invalid execution name ${JSON.stringify(name)}`);
    const stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${machineName}`;
    const executionArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${machineName}:${name}`;
    const startDate = new Date();
    const startTime = startDate.toISOString();
    const staticToken = `local-static-task-token-${randomUUID()}`;
    const controller = new AbortController();
    const { registry } = this;

    let abortRun: (() => void) | undefined;
    let stopRequest: { error?: string; cause?: string; terminal?: boolean } | undefined;
    const stop = (error?: string, cause?: string, terminal = false): void => {
      if (stopRequest) return;
      stopRequest = terminal ? { terminal } : {};
      if (error !== undefined) stopRequest.error = error;
      if (cause !== undefined) stopRequest.cause = cause;
      abortRun?.();
    };
    registry.startExecution({ executionArn, stateMachineArn, name, startDate, input: JSON.stringify(executionInput) }, stop);

    // States.DataLimitExceeded ends the execution (no Catch sees it). A Task's input after
    // Parameters and its connector output are checked here, before and after the call; a state's
    // output after ResultSelector/ResultPath is checked from the event log, which each Task call
    // lets catch up first: the engine may have entered the next state, but no further Task runs.
    const overLimit = (problem: string | undefined): void => {
      if (problem === undefined) return;
      stop(DATA_LIMIT_EXCEEDED, problem, true);
      throw new TaskFailure(DATA_LIMIT_EXCEEDED, problem);
    };
    const taskResourceLocalHandlers: Record<string, EngineHandler> = {};
    const longPollMs = options.longPollMs ?? options.waitMs;
    const longPoll = longPollMs === undefined ? {} : { longPollMs };
    for (const [stateName, handler] of prepared.handlers) {
      const task = prepared.definition.tasks.get(stateName);
      if (!task) continue;
      taskResourceLocalHandlers[stateName] = (async (taskInput: Json) => {
        await new Promise((resolve) => setImmediate(resolve)); // the event log catches up first
        if (stopRequest?.terminal) throw new TaskFailure(DATA_LIMIT_EXCEEDED, stopRequest.cause ?? '');
        overLimit(payloadOverLimit('input after Parameters', stateName, taskInput));
        const output = await handler({ executionArn, stateName, task, input: taskInput, signal: controller.signal, staticToken, registry, ...longPoll });
        overLimit(payloadOverLimit('result', stateName, output));
        return output;
      }) as unknown as EngineHandler;
    }
    const overrides: RunOverrides = { taskResourceLocalHandlers };
    if (options.waitMs !== undefined) {
      overrides.waitTimeOverrides = Object.fromEntries(prepared.definition.waitStates.map((state) => [state, options.waitMs as number]));
    }
    if (options.retryIntervalMs !== undefined) {
      overrides.retryIntervalOverrides = Object.fromEntries(
        prepared.definition.retryStates.map((state) => [state, options.retryIntervalMs as number]),
      );
    }
    const context = {
      Execution: {
        Id: executionArn,
        Name: name,
        RoleArn: LOCAL_MACHINE_ROLE,
        StartTime: startTime,
        RedriveCount: 0,
        [ROOT_INPUT_FIELD]: executionInput,
        [ROOT_START_TIME_FIELD]: startTime,
      },
      StateMachine: { Id: stateMachineArn, Name: machineName },
      Task: { Token: staticToken },
    };

    const builder = new HistoryBuilder((stateName) => prepared.definition.tasks.get(stateName));
    let listenerError: unknown;
    const run = prepared.machine.run(executionInput as RunInput, { context, overrides } as RunOptions);
    abortRun = run.abort;
    if (stopRequest) run.abort();
    const onSignal = (): void => stop('States.Aborted', 'the caller aborted the execution');
    if (options.signal?.aborted) onSignal();
    else options.signal?.addEventListener('abort', onSignal, { once: true });

    const consuming = (async () => {
      for await (const event of run.eventLogs) {
        if (event.type === 'StateEntered' || event.type === 'StateExited') {
          const problem = event.type === 'StateEntered' ? payloadOverLimit('input', event.state.name, event.state.input) : payloadOverLimit('output', event.state.name, event.state.output);
          if (problem !== undefined) stop(DATA_LIMIT_EXCEEDED, problem, true);
        }
        // A terminal error stops the engine (abort) but the execution FAILED, as its history says.
        const logged: typeof event =
          event.type === 'ExecutionAborted' && stopRequest?.terminal ? { type: 'ExecutionFailed', timestamp: event.timestamp, Error: stopRequest.error ?? DATA_LIMIT_EXCEEDED, Cause: stopRequest.cause ?? '' } : event;
        const produced = builder.push(logged);
        if (event.type === 'StateFailed' && (event.state.type === 'Parallel' || event.state.type === 'Map')) {
          // Its branches/iterations were stopped: their callback tokens are void now.
          const nested = prepared.definition.nestedTasks.get(event.state.name);
          if (nested) registry.expireStateTokens(executionArn, nested);
        }
        if (options.onEvent) {
          for (const historyEvent of produced) {
            try {
              options.onEvent(historyEvent);
            } catch (error) {
              listenerError ??= error;
            }
          }
        }
      }
    })();

    let status: FinalStatus;
    const details: { output?: Json; error?: string; cause?: string } = {};
    try {
      details.output = (await run.result) as Json;
      status = 'SUCCEEDED';
    } catch (error) {
      if (error instanceof ExecutionAbortedError && stopRequest?.terminal) {
        status = 'FAILED';
        details.error = stopRequest.error ?? DATA_LIMIT_EXCEEDED;
        if (stopRequest.cause !== undefined) details.cause = stopRequest.cause;
      } else if (error instanceof ExecutionAbortedError) {
        status = 'ABORTED';
        if (stopRequest?.error !== undefined) details.error = stopRequest.error;
        if (stopRequest?.cause !== undefined) details.cause = stopRequest.cause;
      } else if (error instanceof ExecutionTimeoutError) {
        status = 'TIMED_OUT';
        details.error = 'States.Timeout';
      } else if (error instanceof ExecutionError && error.cause instanceof Error) {
        status = 'FAILED';
        details.error = error.cause.name;
        details.cause = error.cause.message;
      } else {
        status = 'FAILED';
        details.error = 'States.Runtime';
        details.cause = error instanceof Error ? error.message : String(error);
      }
    } finally {
      options.signal?.removeEventListener('abort', onSignal);
      // Settles every handler still in flight (stopped branches, pending callbacks), so no Task
      // timer of the engine outlives the run.
      controller.abort();
    }
    registry.finishExecution(executionArn, status, {
      ...(details.output !== undefined ? { output: JSON.stringify(details.output) } : {}),
      ...(details.error !== undefined ? { error: details.error } : {}),
      ...(details.cause !== undefined ? { cause: details.cause } : {}),
    });
    await consuming;
    // Let the abort above unwind the engine (its Task timers are cleared as their races settle).
    await new Promise((resolve) => setImmediate(resolve));
    if (listenerError !== undefined) throw listenerError;
    const result: ExecutionResult = {
      executionArn,
      status,
      history: [...builder.history],
      stateTransitions: builder.stateTransitions,
      historyEventCount: builder.historyEventCount,
    };
    if (details.output !== undefined) result.output = details.output;
    if (details.error !== undefined) result.error = details.error;
    if (details.cause !== undefined) result.cause = details.cause;
    return result;
  }
}

type RunInput = Parameters<StateMachine['run']>[0];

export function createExecutor(options: ExecutorOptions = {}): Executor {
  return new Executor(options);
}
