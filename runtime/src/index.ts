// The runtime Lambda: one handler for invocation events (actions), Redshift Data completion
// events from EventBridge, and SQS batches of them.
import { execute, statementAction, type Invocation, type LogFields } from './actions.ts';
import { cleanUpExecution, type Cancellation } from './cleanup.ts';
import { completeFromEvent, reconcileStatements, type CompletionOutcome } from './completion.ts';
import { stateTableName } from './config.ts';
import { errorMessage, errorName, ERROR_NAMES } from './errors.ts';
import { completionOf, isEventBridgeEvent, isSqsEvent, sqsRecords, type SqsRecord } from './events.ts';
import { isExecutionEvent, stoppedExecutionOf } from './execution-events.ts';
import { writeLog, type LogLevel, type LogRecord } from './log.ts';
import { isExecuteRequest, isObject, parseRequest } from './request.ts';
import type { Wire } from './wire.ts';

export { setLogSink } from './log.ts';

/** The parts of Lambda's context object the runtime uses. */
export type LambdaContext = { awsRequestId?: string; getRemainingTimeInMillis?: () => number };

export type SqsBatchResponse = { batchItemFailures: { itemIdentifier: string }[] };

/** Time a sweep leaves itself to finish the statement at hand and answer. */
const RECONCILE_MARGIN_MS = 10_000;

/** Lambda's maximum timeout: the deadline assumed when no context tells the real one. */
const DEFAULT_REMAINING_MS = 15 * 60 * 1000;

/** Errors that are the caller's or an expected business outcome (logged as WARN, not ERROR). */
const EXPECTED_ERRORS = new Set<string>([
  ERROR_NAMES.invalidRequest,
  ERROR_NAMES.previousExecutionNotFound,
  ERROR_NAMES.concurrentExecution,
]);

function invocationOf(context: LambdaContext | undefined): Invocation {
  const remaining = context?.getRemainingTimeInMillis?.();
  return {
    requestId: context?.awsRequestId ?? crypto.randomUUID(),
    remainingMs: typeof remaining === 'number' && Number.isFinite(remaining) ? remaining : DEFAULT_REMAINING_MS,
  };
}

function emit(started: number, invocation: Invocation, fields: LogFields, level: LogLevel, error?: unknown): void {
  const record: LogRecord = {
    level,
    timestamp: new Date().toISOString(),
    requestId: invocation.requestId,
    action: fields.action ?? 'unknown',
    outcome: error !== undefined ? 'error' : (fields.outcome ?? 'ok'),
    durationMs: Date.now() - started,
  };
  const { action: _action, outcome: _outcome, ...rest } = fields;
  Object.assign(record, rest);
  if (error !== undefined) {
    record.error = errorName(error);
    record.message = errorMessage(error);
  }
  writeLog(record);
}

async function handleCompletion(
  event: Record<string, unknown>,
  log: LogFields,
): Promise<CompletionOutcome | 'ignored'> {
  const completion = completionOf(event);
  if ('ignored' in completion) {
    log.message = `ignored: ${completion.ignored}`;
    return 'ignored';
  }
  log.statementId = completion.statementId;
  log.statementName = completion.statementName;
  return completeFromEvent(stateTableName(), completion.statementId, event, (item) => {
    if (item.executionArn !== undefined) log.executionArn = item.executionArn;
    if (item.stepId !== undefined) log.stepId = item.stepId;
  });
}

/** The state table, when the runtime has one configured (cleanup works without it, by name only). */
function optionalStateTable(): string | undefined {
  return process.env.STATE_TABLE?.trim() ? stateTableName() : undefined;
}

/** One log line per statement the cleanup cancelled. */
function logCancellations(executionArn: string, status: string, cancellations: Cancellation[]): void {
  for (const cancellation of cancellations) {
    if (cancellation.outcome !== 'cancelled') continue;
    writeLog({
      level: 'INFO',
      timestamp: new Date().toISOString(),
      action: 'cleanup',
      outcome: cancellation.lockReleased ? 'cancelled-and-lock-released' : 'cancelled',
      durationMs: 0,
      executionArn,
      statementId: cancellation.statementId,
      ...(cancellation.statementName !== undefined ? { statementName: cancellation.statementName } : {}),
      ...(cancellation.stepId !== undefined ? { stepId: cancellation.stepId } : {}),
      message: `execution ${status}: statement cancelled`,
    });
  }
}

/** A "Step Functions Execution Status Change" event: cancel what a stopped execution left running. */
async function handleExecutionEvent(event: unknown, log: LogFields): Promise<string> {
  const stopped = stoppedExecutionOf(event);
  if ('ignored' in stopped) {
    log.message = `ignored: ${stopped.ignored}`;
    return 'ignored';
  }
  log.executionArn = stopped.executionArn;
  const cancellations = await cleanUpExecution(optionalStateTable(), stopped);
  logCancellations(stopped.executionArn, stopped.status, cancellations);
  const cancelled = cancellations.filter((cancellation) => cancellation.outcome === 'cancelled').length;
  return cancelled === 0 ? 'nothing-running' : `cancelled-${cancelled}`;
}

async function handleSqs(records: SqsRecord[], log: LogFields): Promise<SqsBatchResponse> {
  const results = await Promise.all(
    records.map(async (record) => {
      const entry: NonNullable<LogRecord['records']>[number] = { messageId: record.messageId, outcome: 'ignored' };
      let body: unknown;
      try {
        body = JSON.parse(record.body);
      } catch {
        entry.outcome = 'ignored-not-json';
        return { entry, failed: false };
      }
      if (isExecutionEvent(body)) {
        try {
          entry.outcome = await handleExecutionEvent(body, {});
          return { entry, failed: false };
        } catch (error) {
          entry.outcome = 'retry';
          entry.error = `${errorName(error)}: ${errorMessage(error)}`;
          return { entry, failed: true };
        }
      }
      const completion = completionOf(body);
      if ('ignored' in completion || !isObject(body)) return { entry, failed: false };
      entry.statementId = completion.statementId;
      try {
        entry.outcome = await completeFromEvent(stateTableName(), completion.statementId, body, (item) => {
          if (item.executionArn !== undefined) entry.executionArn = item.executionArn;
          if (item.stepId !== undefined) entry.stepId = item.stepId;
        });
        return { entry, failed: false };
      } catch (error) {
        entry.outcome = 'retry';
        entry.error = `${errorName(error)}: ${errorMessage(error)}`;
        return { entry, failed: true };
      }
    }),
  );
  log.records = results.map(({ entry }) => entry);
  const failures = results
    .filter(({ failed }) => failed)
    .map(({ entry }) => ({ itemIdentifier: entry.messageId ?? '' }));
  log.outcome = failures.length === 0 ? 'ok' : `${failures.length} of ${records.length} to retry`;
  return { batchItemFailures: failures };
}

export async function handler(
  event: unknown,
  context?: LambdaContext,
): Promise<Wire | SqsBatchResponse | { ignored: string } | null> {
  const started = Date.now();
  const invocation = invocationOf(context);
  const log: LogFields = {};
  try {
    let answer: Wire | SqsBatchResponse | { ignored: string } | null;
    if (isObject(event) && isSqsEvent(event)) {
      log.action = 'completion';
      answer = await handleSqs(sqsRecords(event), log);
      emit(started, invocation, log, log.records?.some((record) => record.outcome === 'retry') ? 'WARN' : 'INFO');
      return answer;
    }
    if (isObject(event) && isExecutionEvent(event) && !('action' in event)) {
      log.action = 'cleanup';
      const outcome = await handleExecutionEvent(event, log);
      log.outcome = outcome;
      answer = outcome === 'ignored' ? { ignored: log.message ?? 'ignored' } : null;
    } else if (isObject(event) && isEventBridgeEvent(event) && !('action' in event)) {
      log.action = 'completion';
      const outcome = await handleCompletion(event, log);
      log.outcome = outcome;
      answer = outcome === 'ignored' ? { ignored: log.message ?? 'ignored' } : null;
    } else {
      const request = parseRequest(event);
      log.action = request.action;
      if (request.action === 'reconcileStatements') {
        const deadline = started + invocation.remainingMs - RECONCILE_MARGIN_MS;
        const report = await reconcileStatements(stateTableName(), () => Date.now() < deadline);
        log.outcome = `checked ${report.checked}, completed ${report.completed}${report.remaining ? ', more left' : ''}`;
        answer = report;
      } else {
        if (request.executionArn !== undefined) log.executionArn = request.executionArn;
        if (request.stepId !== undefined) log.stepId = request.stepId;
        answer = isExecuteRequest(request)
          ? await execute(request, invocation, log)
          : await statementAction(request, log);
      }
    }
    emit(started, invocation, log, 'INFO');
    return answer;
  } catch (error) {
    emit(started, invocation, log, EXPECTED_ERRORS.has(errorName(error)) ? 'WARN' : 'ERROR', error);
    throw error;
  }
}
