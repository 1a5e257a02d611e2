// In-process state of the local "Step Functions service": executions and pending task tokens.
// The executor fills it; the local SFN API endpoint (sfn-api.ts) answers from it.
import { randomUUID } from 'node:crypto';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
export type FinalStatus = Exclude<ExecutionStatus, 'RUNNING'>;

export type ExecutionRecord = {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  /** Execution input as a JSON string. */
  input: string;
  /** Execution output as a JSON string (SUCCEEDED only). */
  output?: string;
  error?: string;
  cause?: string;
};

/** An error answered by the local SFN API, named as the real service names it. */
export class SfnApiError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Settles a waiting Task with a failure: Error = `name`, Cause = `message`. */
export class TaskFailure extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

type TokenState = 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';

type TokenEntry = {
  executionArn: string;
  stateName: string;
  state: TokenState;
  resolve(value: unknown): void;
  reject(error: Error): void;
  onHeartbeat?: () => void;
};

export type PendingTaskToken = {
  token: string;
  /** Settles on SendTaskSuccess (parsed output) / SendTaskFailure (TaskFailure) / expiry. */
  promise: Promise<unknown>;
};

const TOKEN_PREFIX = 'AQ';
const MAX_OUTPUT_BYTES = 256 * 1024;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:(execution|express):[^:]+:[^:]+$/;

type TokenPayload = { v: 1; e: string; s: string; n: string };

function encodeToken(payload: TokenPayload): string {
  return TOKEN_PREFIX + Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

function decodeToken(token: string): TokenPayload | undefined {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null) return undefined;
    const record = value as Record<string, unknown>;
    if (record.v !== 1 || typeof record.e !== 'string' || typeof record.s !== 'string' || typeof record.n !== 'string')
      return undefined;
    return { v: 1, e: record.e, s: record.s, n: record.n };
  } catch {
    return undefined;
  }
}

export function isExecutionArn(arn: string): boolean {
  return EXECUTION_ARN.test(arn);
}

/** Told every status an execution takes (RUNNING at start, then its final status). */
export type ExecutionListener = (record: ExecutionRecord) => void;

export class ExecutionRegistry {
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly listeners = new Set<ExecutionListener>();
  private readonly stoppers = new Map<string, (error?: string, cause?: string) => void>();
  private readonly tokens = new Map<string, TokenEntry>();

  // ---- executions -------------------------------------------------------------------------

  /** Subscribes to status changes (as EventBridge's execution status change events); answers the unsubscribe. */
  onStatusChange(listener: ExecutionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private publish(executionArn: string): void {
    const record = this.getExecution(executionArn);
    if (record) for (const listener of this.listeners) listener(record);
  }

  /** Registers a RUNNING execution. `stop` aborts it (StopExecution). */
  startExecution(record: Omit<ExecutionRecord, 'status'>, stop?: (error?: string, cause?: string) => void): void {
    if (this.executions.has(record.executionArn)) {
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${record.executionArn}'`);
    }
    this.executions.set(record.executionArn, { ...record, status: 'RUNNING' });
    if (stop) this.stoppers.set(record.executionArn, stop);
    this.publish(record.executionArn);
  }

  /** Records the final status and expires every token the execution still has pending. */
  finishExecution(
    executionArn: string,
    status: FinalStatus,
    details: { output?: string; error?: string; cause?: string } = {},
  ): void {
    const record = this.executions.get(executionArn);
    if (!record) throw new Error(`unknown execution ${executionArn}`);
    if (record.status !== 'RUNNING') return;
    record.status = status;
    record.stopDate = new Date();
    if (details.output !== undefined) record.output = details.output;
    if (details.error !== undefined) record.error = details.error;
    if (details.cause !== undefined) record.cause = details.cause;
    this.stoppers.delete(executionArn);
    this.expireTokens((entry) => entry.executionArn === executionArn);
    this.publish(executionArn);
  }

  /** ARNs of the executions still RUNNING that can be stopped. */
  runningExecutions(): string[] {
    return [...this.stoppers.keys()];
  }

  getExecution(executionArn: string): ExecutionRecord | undefined {
    const record = this.executions.get(executionArn);
    return record ? { ...record } : undefined;
  }

  describeExecution(executionArn: string): ExecutionRecord {
    if (!isExecutionArn(executionArn)) throw new SfnApiError('InvalidArn', `Invalid Arn: '${executionArn}'`);
    const record = this.getExecution(executionArn);
    if (!record) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  /** StopExecution: aborts a running execution; answers the stop date. */
  stopExecution(executionArn: string, error?: string, cause?: string): Date {
    const record = this.describeExecution(executionArn);
    if (record.status === 'RUNNING') {
      const stop = this.stoppers.get(executionArn);
      if (!stop) throw new SfnApiError('ValidationException', `Execution cannot be stopped: '${executionArn}'`);
      stop(error, cause);
      return this.executions.get(executionArn)?.stopDate ?? new Date();
    }
    return record.stopDate ?? new Date();
  }

  // ---- task tokens ------------------------------------------------------------------------

  /** Mints a fresh task token for one attempt of a `.waitForTaskToken` Task. */
  createTaskToken(executionArn: string, stateName: string, onHeartbeat?: () => void): PendingTaskToken {
    const token = encodeToken({ v: 1, e: executionArn, s: stateName, n: randomUUID() });
    let resolve!: (value: unknown) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody may be listening when the execution ends first: never an unhandled rejection.
    promise.catch(() => undefined);
    const entry: TokenEntry = { executionArn, stateName, state: 'PENDING', resolve, reject };
    if (onHeartbeat) entry.onHeartbeat = onHeartbeat;
    this.tokens.set(token, entry);
    return { token, promise };
  }

  private pendingEntry(token: unknown): TokenEntry {
    if (typeof token !== 'string' || token.length === 0) {
      throw new SfnApiError(
        'ValidationException',
        "1 validation error detected: Value null at 'taskToken' failed to satisfy constraint: Member must not be null",
      );
    }
    if (token.length > 2048 || !decodeToken(token))
      throw new SfnApiError('InvalidToken', "Invalid Token: 'Invalid token'");
    const entry = this.tokens.get(token);
    if (!entry) throw new SfnApiError('TaskDoesNotExist', "Task Does Not Exist: 'Provided task does not exist'");
    if (entry.state !== 'PENDING')
      throw new SfnApiError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
    return entry;
  }

  sendTaskSuccess(token: unknown, output: unknown): void {
    const entry = this.pendingEntry(token);
    if (typeof output !== 'string')
      throw new SfnApiError('InvalidOutput', 'Invalid Output: output must be a JSON string');
    if (Buffer.byteLength(output, 'utf8') > MAX_OUTPUT_BYTES) {
      throw new SfnApiError('InvalidOutput', `Invalid Output: output exceeds ${MAX_OUTPUT_BYTES} bytes`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      throw new SfnApiError('InvalidOutput', 'Invalid Output: Output is not a valid JSON');
    }
    entry.state = 'SUCCEEDED';
    entry.resolve(parsed);
  }

  sendTaskFailure(token: unknown, error: unknown, cause: unknown): void {
    const entry = this.pendingEntry(token);
    entry.state = 'FAILED';
    entry.reject(new TaskFailure(typeof error === 'string' ? error : '', typeof cause === 'string' ? cause : ''));
  }

  sendTaskHeartbeat(token: unknown): void {
    this.pendingEntry(token).onHeartbeat?.();
  }

  /** The Task behind `token` timed out / was stopped: later calls answer TaskTimedOut. */
  expireToken(token: string, reason?: Error): void {
    const entry = this.tokens.get(token);
    if (entry?.state !== 'PENDING') return;
    entry.state = 'TIMED_OUT';
    entry.reject(reason ?? new TaskFailure('States.Timeout', 'task token expired'));
  }

  /**
   * The Task behind `token` timed out while the engine itself raises States.Timeout: later calls
   * answer TaskTimedOut; the waiting promise is left to the engine's own timeout.
   */
  markTimedOut(token: string): void {
    const entry = this.tokens.get(token);
    if (entry && entry.state === 'PENDING') entry.state = 'TIMED_OUT';
  }

  /** Expires every pending token of an execution whose state name is in `stateNames`. */
  expireStateTokens(executionArn: string, stateNames: ReadonlySet<string>): void {
    this.expireTokens((entry) => entry.executionArn === executionArn && stateNames.has(entry.stateName));
  }

  pendingTokenCount(executionArn?: string): number {
    let count = 0;
    for (const entry of this.tokens.values()) {
      if (entry.state === 'PENDING' && (executionArn === undefined || entry.executionArn === executionArn)) count++;
    }
    return count;
  }

  private expireTokens(filter: (entry: TokenEntry) => boolean): void {
    for (const [token, entry] of this.tokens) {
      if (entry.state === 'PENDING' && filter(entry))
        this.expireToken(token, new TaskFailure('States.Aborted', 'execution stopped'));
    }
  }
}

export function newExecutionName(): string {
  return randomUUID();
}
