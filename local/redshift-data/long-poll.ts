// Long polling: `WaitTimeSeconds` (1–30) on ExecuteStatement, BatchExecuteStatement,
// DescribeStatement, GetStatementResult and GetStatementResultV2 holds the answer until the statement
// (or the sub-statement named by the Id) ends or the wait expires, whichever comes first; a statement
// that already ended answers at once (Amazon Redshift Management Guide, "Reduce API calls with long
// polling"; Data API Reference: WaitTimeSeconds, Valid Range 1–30).
import { ApiError } from './errors.ts';
import { optionalInteger, type Input } from './input.ts';

/** What the HTTP layer knows about one request. */
export type RequestContext = {
  /** Aborted when the client goes away: its wait ends and no longer counts. */
  signal: AbortSignal;
  /**
   * Compressed time for local runs (the executor's `longPollMs`): the most real milliseconds a
   * long poll waits, whatever its WaitTimeSeconds. Not an AWS feature; AWS ignores the header.
   */
  longPollCapMs?: number;
};

export const LONG_POLL_CAP_HEADER = 'x-sfn-redshift-local-long-poll-ms';

export const readWaitTimeSeconds = (input: Input): number | undefined =>
  optionalInteger(input, 'WaitTimeSeconds', 1, 30);

/**
 * "The number of active requests with WaitTimeSeconds for the same SQL statement exceeds the
 * limit" (API model, ActiveWaitingRequestsExceededException, listed on DescribeStatement and
 * GetStatementResult(V2) only: a new statement has no other waiter). AWS documents no number.
 */
export const activeWaitingRequestsExceeded = (limit: number): ApiError =>
  new ApiError(
    'ActiveWaitingRequestsExceededException',
    `The number of active requests with WaitTimeSeconds for the same SQL statement exceeds the limit (${limit}).`,
  );

/** Counts the waiting requests per statement id and holds each until its statement ends. */
export class LongPolls {
  private readonly waiting = new Map<string, number>();

  constructor(private readonly limitPerStatement: number) {}

  /** Refuses a further waiter on `id` when the limit is reached (before any work is done). */
  admit(id: string): void {
    if ((this.waiting.get(id) ?? 0) >= this.limitPerStatement)
      throw activeWaitingRequestsExceeded(this.limitPerStatement);
  }

  /** Resolves when `ended` settles, the wait expires, or the client leaves; at once if `isEnded`. */
  async wait(
    id: string,
    seconds: number | undefined,
    ended: Promise<void>,
    isEnded: boolean,
    request: RequestContext,
  ): Promise<void> {
    if (seconds === undefined || isEnded) return;
    this.waiting.set(id, (this.waiting.get(id) ?? 0) + 1);
    const ms = Math.min(seconds * 1000, request.longPollCapMs ?? Number.POSITIVE_INFINITY);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await Promise.race([
        ended,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, ms);
        }),
        new Promise<void>((resolve) => {
          onAbort = resolve;
          if (request.signal.aborted) resolve();
          else request.signal.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (onAbort) request.signal.removeEventListener('abort', onAbort);
      const left = (this.waiting.get(id) ?? 1) - 1;
      if (left === 0) this.waiting.delete(id);
      else this.waiting.set(id, left);
    }
  }

  /** Requests waiting now, over all statements (for tests and stop()). */
  get size(): number {
    let total = 0;
    for (const count of this.waiting.values()) total += count;
    return total;
  }
}
