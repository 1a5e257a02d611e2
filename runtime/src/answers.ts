// What a completed statement answers its task token with: the contract's step record and error
// names, or (CALLBACK_COMPAT=cdk-stepfunctions-redshift) the original function's payloads, so that
// machines written for it (reading `$.<path>.detail.state`, catching `FAILED`) run unchanged.
import type { DescribeStatementResponse } from '@aws-sdk/client-redshift-data';
import type { CallbackCompat } from './config.ts';
import { failureText } from './data-api.ts';
import { ERROR_NAMES } from './errors.ts';

export type TerminalStatus = 'FINISHED' | 'FAILED' | 'ABORTED';

export type TaskAnswer = { kind: 'success'; output: string } | { kind: 'failure'; error: string; cause: string };

/** SendTaskFailure's `cause`: "Maximum length of 32768" (API_SendTaskFailure in the Step Functions API Reference). */
export const MAX_CAUSE_CHARS = 32_768;

/** The original function's error names (its FAILED; ABORTED, where it crashed instead of answering). */
export const COMPAT_ERRORS = { FAILED: 'FAILED', ABORTED: 'ABORTED' } as const;

/** At most MAX_CAUSE_CHARS UTF-16 units, an ellipsis marking a cut, never half a surrogate pair. */
export function truncateCause(text: string): string {
  if (text.length <= MAX_CAUSE_CHARS) return text;
  let end = MAX_CAUSE_CHARS - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** The step record of the contract: exactly these four fields, as DescribeStatement reports them. */
export type StepRecord = { Id: string; Status: string; ResultRows: number | null; HasResultSet: boolean | null };

export function stepRecord(statement: DescribeStatementResponse, statementId: string): StepRecord {
  return {
    Id: statement.Id ?? statementId,
    Status: statement.Status ?? 'FINISHED',
    ResultRows: statement.ResultRows ?? null,
    HasResultSet: statement.HasResultSet ?? null,
  };
}

/** The contract's error for a FAILED or ABORTED statement: name and Cause. */
export function terminalError(
  statement: DescribeStatementResponse,
  statementId: string,
): { error: string; cause: string } {
  return statement.Status === 'FAILED'
    ? { error: ERROR_NAMES.statementFailed, cause: truncateCause(failureText(statement)) }
    : { error: ERROR_NAMES.statementAborted, cause: statementId };
}

/** The contract: FINISHED → exactly `{Id, Status, ResultRows, HasResultSet}`; else the step error names. */
export function contractAnswer(
  statement: DescribeStatementResponse,
  statementId: string,
  status: TerminalStatus,
): TaskAnswer {
  const described = { ...statement, Status: status };
  return status === 'FINISHED'
    ? { kind: 'success', output: JSON.stringify(stepRecord(described, statementId)) }
    : { kind: 'failure', ...terminalError(described, statementId) };
}

/** The original function: the completion event object as received is the output, or (as JSON) the cause. */
export function compatAnswer(event: Readonly<Record<string, unknown>>, status: TerminalStatus): TaskAnswer {
  const json = JSON.stringify(event);
  return status === 'FINISHED'
    ? { kind: 'success', output: json }
    : { kind: 'failure', error: COMPAT_ERRORS[status], cause: truncateCause(json) };
}

export function answerFor(
  compat: CallbackCompat | undefined,
  statement: DescribeStatementResponse,
  statementId: string,
  status: TerminalStatus,
  event: Readonly<Record<string, unknown>> | undefined,
): TaskAnswer | undefined {
  if (compat === undefined) return contractAnswer(statement, statementId, status);
  return event === undefined ? undefined : compatAnswer(event, status);
}
