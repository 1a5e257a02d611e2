// Lambda integrations against an in-process function registry:
// - `arn:aws:states:::lambda:invoke` (optimized; RequestResponse or Event),
// - `arn:aws:states:::lambda:invoke.waitForTaskToken` (callback: a fresh task token per call),
// - `arn:aws:lambda:<region>:<account>:function:<name>` (legacy direct ARN).
import { randomUUID } from 'node:crypto';
import { lambdaTaskFailure, TaskFailure } from './errors.ts';
import { sdkHttpMetadata } from './aws-sdk.ts';
import { evaluateSimplePath, replaceInStrings, type Json } from './definition.ts';
import { isJsonObject, jsonRoundTrip } from './json.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './aws.ts';
import type { LambdaContext, LambdaHandler, TaskCall, TaskHandler } from './types.ts';

const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::([A-Za-z0-9$_-]+))?$/;
const PARTIAL_ARN = /^(?:(\d{12}):function:)?([A-Za-z0-9_-]+)(?::([A-Za-z0-9$_-]+))?$/;

/** The function name inside a name, partial ARN or full ARN (with or without qualifier). */
export function functionNameOf(nameOrArn: string): string | undefined {
  const full = FUNCTION_ARN.exec(nameOrArn);
  if (full) return full[3];
  const partial = PARTIAL_ARN.exec(nameOrArn);
  return partial ? partial[2] : undefined;
}

export function functionArnOf(name: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;
}

/** In-process Lambda functions, keyed by function name or ARN. */
export class FunctionRegistry {
  private readonly byKey = new Map<string, LambdaHandler>();
  private readonly inFlight = new Set<Promise<unknown>>();

  /**
   * An invocation may outlive the Task that made it (a submit that finds its fast statement already
   * complete answers the token itself and goes on cleaning up): whoever stops the services it uses
   * waits for it first.
   */
  track<T>(invocation: Promise<T>): Promise<T> {
    const tracked = invocation.catch(() => undefined);
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
    return invocation;
  }

  /** Waits, at most `timeoutMs`, for every invocation still running. */
  async drain(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      await Promise.race([
        Promise.all([...this.inFlight]),
        new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref()),
      ]);
    }
  }

  constructor(functions: Readonly<Record<string, LambdaHandler>> = {}) {
    for (const [key, handler] of Object.entries(functions)) this.register(key, handler);
  }

  register(nameOrArn: string, handler: LambdaHandler): void {
    if (!functionNameOf(nameOrArn)) throw new Error(`not a Lambda function name or ARN: ${nameOrArn}`);
    this.byKey.set(nameOrArn, handler);
  }

  /** Exact key first, then by function name (so a name and any of its ARNs find the same function). */
  resolve(nameOrArn: string): { handler: LambdaHandler; name: string } | undefined {
    const name = functionNameOf(nameOrArn);
    if (name === undefined) return undefined;
    const exact = this.byKey.get(nameOrArn);
    if (exact) return { handler: exact, name };
    for (const [key, handler] of this.byKey) if (functionNameOf(key) === name) return { handler, name };
    return undefined;
  }
}

function lambdaContext(name: string, deadline: number): LambdaContext {
  return {
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArnOf(name),
    memoryLimitInMB: '128',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: `local/${randomUUID()}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

const LAMBDA_TIMEOUT_MS = 900_000;

/**
 * Invokes like Lambda does: event and result cross a JSON boundary; a handler error becomes a
 * TaskFailure named as Step Functions names Lambda errors; an unknown function is
 * Lambda.ResourceNotFoundException.
 */
export async function invoke(functions: FunctionRegistry, functionName: string, event: Json): Promise<Json> {
  const target = functions.resolve(functionName);
  if (!target) {
    throw new TaskFailure(
      'Lambda.ResourceNotFoundException',
      `Function not found: ${functionArnOf(functionNameOf(functionName) ?? functionName)}`,
    );
  }
  let result: unknown;
  try {
    result = await functions.track(
      Promise.resolve().then(() =>
        target.handler(jsonRoundTrip(event), lambdaContext(target.name, Date.now() + LAMBDA_TIMEOUT_MS)),
      ),
    );
  } catch (error) {
    throw lambdaTaskFailure(error);
  }
  return jsonRoundTrip(result);
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new TaskFailure('States.Aborted', 'execution stopped'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new TaskFailure('States.Aborted', 'execution stopped'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function parameters(call: TaskCall): { functionName: string; payload: Json; invocationType: string } {
  const input = isJsonObject(call.input) ? call.input : {};
  const functionName = input.FunctionName;
  if (typeof functionName !== 'string') {
    throw new TaskFailure(
      'States.Runtime',
      `Task ${call.stateName}: lambda:invoke needs a string Parameters.FunctionName`,
    );
  }
  const invocationType = typeof input.InvocationType === 'string' ? input.InvocationType : 'RequestResponse';
  return { functionName, payload: input.Payload ?? {}, invocationType };
}

/** Builds the handler for a Lambda Resource; undefined if the Resource is not a Lambda one. */
export function lambdaHandler(resource: string, functions: FunctionRegistry): TaskHandler | undefined {
  if (resource === 'arn:aws:states:::lambda:invoke') {
    return async (call) => {
      const { functionName, payload, invocationType } = parameters(call);
      const requestId = randomUUID();
      if (invocationType === 'Event') {
        void invoke(functions, functionName, payload).catch(() => undefined);
        return { Payload: '', StatusCode: 202, ...sdkHttpMetadata(requestId, 'application/json') };
      }
      const result = await abortable(invoke(functions, functionName, payload), call.signal);
      return {
        ExecutedVersion: '$LATEST',
        Payload: result,
        ...sdkHttpMetadata(requestId, 'application/json'),
        StatusCode: 200,
      };
    };
  }
  if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
    return (call) => waitForTaskToken(call, functions);
  }
  if (FUNCTION_ARN.test(resource)) {
    return (call) => abortable(invoke(functions, resource, call.input), call.signal);
  }
  return undefined;
}

/**
 * `.waitForTaskToken`: mints a fresh token (replacing the run's static `$$.Task.Token` in the
 * payload), invokes the function without waiting for its result (its error fails the Task), and
 * settles when SendTaskSuccess/SendTaskFailure arrive for the token. At the Task's timeout the
 * token expires (later calls answer TaskTimedOut) while the engine raises States.Timeout; a
 * missed HeartbeatSeconds fails the Task with States.HeartbeatTimeout.
 */
function waitForTaskToken(call: TaskCall, functions: FunctionRegistry): Promise<Json> {
  const { registry, signal } = call;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let timeoutTimer: NodeJS.Timeout | undefined;
  let fail!: (error: Error) => void;
  const armHeartbeat = (): void => {
    if (call.task.heartbeatSeconds === undefined) return;
    clearTimeout(heartbeatTimer);
    heartbeatTimer = setTimeout(() => {
      const failure = new TaskFailure('States.HeartbeatTimeout', 'States.HeartbeatTimeout');
      registry.expireToken(pending.token, failure);
      fail(failure);
    }, call.task.heartbeatSeconds * 1000);
  };
  const pending = registry.createTaskToken(call.executionArn, call.stateName, armHeartbeat);
  const settled = new Promise<Json>((resolve, reject) => {
    fail = reject;
    pending.promise.then((value) => resolve(value as Json), reject);
  });
  const { functionName, payload } = parameters(call);
  const event = replaceInStrings(payload, call.staticToken, pending.token);

  // The engine arms its own TimeoutSeconds timer right after this handler returns its promise.
  // Ours has the same duration and is armed first, so it fires just before the engine's: the token
  // is expired (not rejected: the engine's own States.Timeout must win the race) and no request
  // can slip in between, since both fire in the same pass over Node's timer list.
  const timeoutMs =
    call.task.timeoutSeconds !== undefined
      ? call.task.timeoutSeconds * 1000
      : (() => {
          const value = call.task.timeoutSecondsPath
            ? evaluateSimplePath(call.task.timeoutSecondsPath, call.input)
            : undefined;
          return typeof value === 'number' && value >= 1 ? value * 1000 : undefined;
        })();
  if (timeoutMs !== undefined) {
    timeoutTimer = setTimeout(() => registry.markTimedOut(pending.token), timeoutMs);
  }
  armHeartbeat();
  const onAbort = (): void => {
    const failure = new TaskFailure('States.Aborted', 'execution stopped');
    registry.expireToken(pending.token, failure);
    fail(failure);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });

  invoke(functions, functionName, event).catch((error: unknown) => {
    const failure = error instanceof Error ? error : new TaskFailure('Error', String(error));
    registry.expireToken(pending.token, failure);
    fail(failure);
  });

  return settled.finally(() => {
    clearTimeout(heartbeatTimer);
    clearTimeout(timeoutTimer);
    signal.removeEventListener('abort', onAbort);
  });
}
