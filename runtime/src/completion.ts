// Completion of a statement run with a taskToken or as a singleton: answer Step Functions and
// release the lock. Reached from Redshift Data's status-change event (directly from EventBridge or
// through SQS) and, right after submit, from the runtime itself (the event may have come before
// the statement item was written). Both may run for one statement: every step is idempotent.
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import {
  answerFor,
  stepRecord,
  terminalError,
  type StepRecord,
  type TaskAnswer,
  type TerminalStatus,
} from './answers.ts';
import { sfnClient } from './clients.ts';
import { callbackCompat } from './config.ts';
import { isTerminalStatus, STEP_ERRORS } from './contract.ts';
import { cancelStatement, describeStatement, isDataApiError } from './data-api.ts';
import { RuntimeError } from './errors.ts';
import { releaseLock } from './lock.ts';
import {
  deleteCompletionEvent,
  deleteStatement,
  getCompletionEvent,
  getStatement,
  putCompletionEvent,
  statementIds,
  type StatementItem,
} from './state-table.ts';

/** Read at cold start: an invalid value fails the function's initialization, naming the variable. */
const COMPAT = callbackCompat();

/** Step Functions' answers to a token it no longer waits for: the completion is then done. */
const GONE_TOKEN_ERRORS = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

type CompletionEvent = Readonly<Record<string, unknown>>;

export type CompletionOutcome =
  | 'unknown-statement'
  | 'still-running'
  /** CALLBACK_COMPAT: terminal, but the answer is the completion event, which has not come yet. */
  | 'awaiting-event'
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

function isTerminal(status: string): status is TerminalStatus {
  return isTerminalStatus(status);
}

async function send(taskToken: string, answer: TaskAnswer): Promise<'sent' | 'token-gone'> {
  try {
    if (answer.kind === 'success')
      await sfnClient().send(new SendTaskSuccessCommand({ taskToken, output: answer.output }));
    else await sfnClient().send(new SendTaskFailureCommand({ taskToken, error: answer.error, cause: answer.cause }));
    return 'sent';
  } catch (error) {
    if (error instanceof Error && GONE_TOKEN_ERRORS.has(error.name)) return 'token-gone';
    throw error;
  }
}

/**
 * Completes `statementId` if the state table knows it. `whenRunning`: `'retry'` (an event claimed
 * completion: throw so that it is redelivered) or `'skip'` (the runtime's own look after submit).
 * `event`: the completion event received (EventBridge's, or an SQS record's body).
 */
export async function completeStatement(
  table: string,
  statementId: string,
  whenRunning: 'retry' | 'skip',
  /** Told the statement's item once read (its execution and step, for the log line). */
  onItem?: (item: StatementItem) => void,
  event?: CompletionEvent,
): Promise<CompletionOutcome> {
  const item = await getStatement(table, statementId);
  if (item === undefined) return 'unknown-statement';
  onItem?.(item);
  const statement = await describeStatement(statementId);
  const status = statement.Status ?? 'UNKNOWN';
  if (!isTerminal(status)) {
    if (whenRunning === 'skip') return 'still-running';
    throw new StatementNotTerminal(statementId, status);
  }
  // Released before the machine is answered: the step that follows (or a rerun) must find it free.
  if (item.lockKey !== undefined && item.lockNonce !== undefined) {
    await releaseLock({ table, key: item.lockKey, nonce: item.lockNonce });
  }
  const outcome = status === 'FINISHED' ? 'succeeded' : status === 'FAILED' ? 'failed' : 'aborted';
  const token = item.taskToken;
  let sent: 'sent' | 'token-gone' | undefined;
  let keptEvent = false;
  if (token !== undefined) {
    // Generated callback steps always send a stepId (the original's API has none) and keep the
    // contract's answers: one runtime serves both kinds of machines while users migrate.
    const compat = item.stepId === undefined ? COMPAT : undefined;
    let received = event;
    if (received === undefined && compat !== undefined) {
      received = await getCompletionEvent(table, statementId);
      keptEvent = received !== undefined;
    }
    const answer = answerFor(compat, statement, statementId, status, received);
    // Its event answers when it comes (the statement item stays for it).
    if (answer === undefined) return 'awaiting-event';
    sent = await send(token, answer);
  }
  await deleteStatement(table, statementId);
  if (keptEvent) await deleteCompletionEvent(table, statementId);
  return sent === 'token-gone' ? `${outcome}-token-gone` : outcome;
}

/**
 * Completes the statement of a completion event. With CALLBACK_COMPAT, an event that came before
 * its statement item was written is kept for the runtime's own look after submit, which answers
 * with it; looking again after keeping it closes the race with that look.
 */
export async function completeFromEvent(
  table: string,
  statementId: string,
  event: CompletionEvent,
  onItem?: (item: StatementItem) => void,
): Promise<CompletionOutcome> {
  const outcome = await completeStatement(table, statementId, 'retry', onItem, event);
  if (outcome !== 'unknown-statement' || COMPAT === undefined) return outcome;
  await putCompletionEvent(table, statementId, event);
  const again = await completeStatement(table, statementId, 'retry', onItem, event);
  if (again !== 'unknown-statement') await deleteCompletionEvent(table, statementId);
  return again;
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
  if (!isTerminalStatus(statement.Status)) {
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

export type ReconcileReport = { checked: number; completed: number; remaining: boolean };

/**
 * The sweep the runtime template schedules every few minutes: every statement the runtime observes
 * (a task token to answer, a lock to release) whose completion event was lost is completed as the
 * event would have (EventBridge delivers Redshift Data events best-effort). A lost event then costs
 * at most the schedule's interval instead of the step's whole budget. Stops early when the
 * invocation's time runs short; the next sweep goes on.
 */
export async function reconcileStatements(table: string, hasTime: () => boolean): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, completed: 0, remaining: false };
  for await (const ids of statementIds(table)) {
    for (const id of ids) {
      if (!hasTime()) return { ...report, remaining: true };
      report.checked += 1;
      const outcome = await completeStatement(table, id, 'skip').catch((error: unknown) => {
        // Forgotten by the Data API (over 24 h): nothing will ever complete it; its item expires.
        if (isDataApiError(error, 'ResourceNotFoundException', 'ValidationException'))
          return 'unknown-statement' as const;
        throw error;
      });
      // With CALLBACK_COMPAT the answer is the event itself: a lost one cannot be made up ('awaiting-event').
      if (outcome !== 'still-running' && outcome !== 'unknown-statement' && outcome !== 'awaiting-event')
        report.completed += 1;
    }
  }
  return report;
}
