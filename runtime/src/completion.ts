// Completion of a statement run with a taskToken or as a singleton: answer Step Functions and
// release the lock. Reached from Redshift Data's status-change event (directly from EventBridge or
// through SQS) and, right after submit, from the runtime itself (the event may have come before
// the statement item was written). Both may run for one statement: every step is idempotent.
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { sfnClient } from './clients.ts';
import type { DescribeStatementResponse } from '@aws-sdk/client-redshift-data';
import { cancelStatement, describeStatement, failureText, isDataApiError, TERMINAL_STATUSES } from './data-api.ts';
import { STEP_ERRORS } from './contract.ts';
import { ERROR_NAMES, RuntimeError } from './errors.ts';
import { releaseLock } from './lock.ts';
import { deleteStatement, getStatement, type StatementItem } from './state-table.ts';

/** Step Functions' answers to a token it no longer waits for: the completion is then done. */
const GONE_TOKEN_ERRORS = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);
const MAX_CAUSE_CHARS = 32_768;

export type CompletionOutcome =
  | 'unknown-statement'
  | 'still-running'
  | 'succeeded'
  | 'failed'
  | 'aborted'
  | 'succeeded-token-gone'
  | 'failed-token-gone'
  | 'aborted-token-gone';

/** The event said terminal but DescribeStatement does not (yet): retry the event later. */
export class StatementNotTerminal extends RuntimeError {
  constructor(statementId: string, status: string) {
    super('StatementNotTerminal', `statement ${statementId} is still ${status}; its completion will be retried`);
  }
}

async function answer(send: () => Promise<unknown>): Promise<'sent' | 'token-gone'> {
  try {
    await send();
    return 'sent';
  } catch (error) {
    if (error instanceof Error && GONE_TOKEN_ERRORS.has(error.name)) return 'token-gone';
    throw error;
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The step record of the contract: exactly these four fields, as DescribeStatement reports them. */
export type StepRecord = { Id: string; Status: string; ResultRows: number | null; HasResultSet: boolean | null };

function stepRecord(statement: DescribeStatementResponse, statementId: string): StepRecord {
  return { Id: statement.Id ?? statementId, Status: statement.Status ?? 'FINISHED', ResultRows: statement.ResultRows ?? null, HasResultSet: statement.HasResultSet ?? null };
}

/** The contract's error for a FAILED or ABORTED statement: name and Cause. */
function terminalError(statement: DescribeStatementResponse, statementId: string): { error: string; cause: string } {
  return statement.Status === 'FAILED'
    ? { error: ERROR_NAMES.statementFailed, cause: truncate(failureText(statement), MAX_CAUSE_CHARS) }
    : { error: ERROR_NAMES.statementAborted, cause: statementId };
}

/**
 * Completes `statementId` if the state table knows it. `whenRunning`: `'retry'` (an event claimed
 * completion: throw so that it is redelivered) or `'skip'` (the runtime's own look after submit).
 */
export async function completeStatement(
  table: string,
  statementId: string,
  whenRunning: 'retry' | 'skip',
  /** Told the statement's item once read (its execution and step, for the log line). */
  onItem?: (item: StatementItem) => void,
): Promise<CompletionOutcome> {
  const item = await getStatement(table, statementId);
  if (item === undefined) return 'unknown-statement';
  onItem?.(item);
  const statement = await describeStatement(statementId);
  const status = statement.Status ?? 'UNKNOWN';
  if (!TERMINAL_STATUSES.includes(status)) {
    if (whenRunning === 'skip') return 'still-running';
    throw new StatementNotTerminal(statementId, status);
  }
  // Released before the machine is answered: the step that follows (or a rerun) must find it free.
  if (item.lockKey !== undefined && item.lockNonce !== undefined) {
    await releaseLock({ table, key: item.lockKey, nonce: item.lockNonce });
  }
  let outcome: 'succeeded' | 'failed' | 'aborted';
  let sent: 'sent' | 'token-gone' | undefined;
  const token = item.taskToken;
  if (status === 'FINISHED') {
    outcome = 'succeeded';
    const record = stepRecord(statement, statementId);
    if (token !== undefined) sent = await answer(() => sfnClient().send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(record) })));
  } else {
    outcome = status === 'FAILED' ? 'failed' : 'aborted';
    const { error, cause } = terminalError(statement, statementId);
    if (token !== undefined) sent = await answer(() => sfnClient().send(new SendTaskFailureCommand({ taskToken: token, error, cause })));
  }
  await deleteStatement(table, statementId);
  return sent === 'token-gone' ? `${outcome}-token-gone` : outcome;
}

/**
 * A callback step's Task timed out. EventBridge delivers Redshift Data events best-effort
 * (EventBridge user guide, "Events from AWS services": delivery "Best effort"), so the statement
 * may have ended with its event lost: look before cancelling. FINISHED → the step record (the step
 * succeeds); FAILED / ABORTED → the contract's errors; still running → cancel it, then
 * Redshift.StatementTimeout (Cause: the statement id). The completion bookkeeping (lock release,
 * statement item) is done here too, as the lost event would have.
 */
export async function settleTimedOutStatement(table: string, statementId: string): Promise<StepRecord> {
  let statement = await describeStatement(statementId);
  let cancelled = false;
  if (!TERMINAL_STATUSES.includes(statement.Status ?? '')) {
    try {
      await cancelStatement(statementId);
      cancelled = true;
    } catch (error) {
      // It ended between the look and the cancel: judge it by how it ended.
      if (!isDataApiError(error, 'ValidationException')) throw error;
    }
    statement = await describeStatement(statementId);
  }
  await completeStatement(table, statementId, 'skip');
  if (cancelled && statement.Status !== 'FINISHED' && statement.Status !== 'FAILED') {
    throw new RuntimeError(STEP_ERRORS.statementTimeout, statementId);
  }
  if (statement.Status === 'FINISHED') return stepRecord(statement, statementId);
  const { error, cause } = terminalError(statement, statementId);
  throw new RuntimeError(error, cause);
}
