import { createHash } from 'node:crypto';

/**
 * The singleton lock key of the contract: the target plus the SQL text with whitespace runs
 * collapsed and trimmed. Poll-mode machines compute the same key inside Step Functions with
 * States.Hash, so this formula is shared by the generator (which emits it) and the runtime.
 *
 *   item pk = `lock#${kind}:${name}|${database}|${sha256(normalizedSql)}`
 *
 * The SQL enters as its digest so that no SQL text is ever written inside an intrinsic-function
 * string literal (backslashes there are rejected by ASL validators) and the key stays far below
 * DynamoDB's 2 KB limit; the target stays readable. Machines build it with States.Format only.
 */
export type LockTarget = { kind: 'cluster' | 'workgroup'; name: string; database: string };

export const LOCK_SORT_KEY = 'lock';

/** Attribute names of a lock item in the state table, shared by poll-mode machines and the runtime. */
export const LOCK_ATTRIBUTES = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Execution ARN of the holder (describeExecution tells whether it still runs). */
  owner: 'Owner',
  /** Random per acquisition: release and takeover are conditional on it. */
  nonce: 'Nonce',
  /** Data API statement id, once submitted. */
  statementId: 'StatementId',
  pipeline: 'Pipeline',
  stepId: 'StepId',
  /** TTL attribute of the state table (epoch seconds). */
  expiresAt: 'expiresAt',
  /**
   * `expiresAt` again as an ISO-8601 UTC timestamp, always written with it: Step Functions can
   * compare a timestamp with `$$.State.EnteredTime` (Choice `TimestampLessThanEqualsPath`) but not
   * an epoch number, so poll-mode machines judge expiry by this one.
   */
  expiresAtTime: 'ExpiresAtTime',
} as const;

/**
 * A lock holder's expiry (`expiresAt`, epoch seconds) is the moment after which it surely holds
 * nothing running: without a statement id, its invocation's hard deadline plus a margin; with one,
 * the retention, which outlives the Data API's 24-hour maximum query duration. DynamoDB TTL deletes
 * an expired item only eventually, and until then it "will continue to show in read and write
 * operations"; the filter AWS shows keeps items whose TTL is greater than now (DynamoDB developer
 * guide, "Working with expired items and time to live (TTL)"). So every contender applies that rule
 * itself: expired once the expiry is not after now. Machines apply it to `expiresAtTime`.
 */
export function isExpired(expiresAt: number | undefined, nowMs: number): boolean {
  return expiresAt !== undefined && expiresAt * 1000 <= nowMs;
}

/**
 * The `expiresAtTime` of an `expiresAt` (epoch seconds), e.g. `2026-12-02T04:00:00Z`: whole seconds
 * in the form Step Functions documents for Choice timestamp comparisons (RFC 3339, uppercase T and Z,
 * "Choice state" in the developer guide).
 */
export function expiryTimestamp(expiresAt: number): string {
  return new Date(Math.floor(expiresAt) * 1000).toISOString().replace('.000Z', 'Z');
}

export function normalizeSql(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim();
}

/** SQL text of a batch as one lock subject: its statements in order, `;`-separated. */
export function batchSqlText(sqls: readonly string[]): string {
  return sqls.map(normalizeSql).join('; ');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function sqlDigest(sql: string): string {
  return sha256Hex(normalizeSql(sql));
}

export function lockTargetText(target: LockTarget): string {
  return `${target.kind}:${target.name}`;
}

export function lockKey(target: LockTarget, sql: string): string {
  return `lock#${lockTargetText(target)}|${target.database}|${sqlDigest(sql)}`;
}
