// The invocation actions: execute (single, singleton, batch) and the statement actions (describe,
// cancel, results), each with an explicit statement id or LATEST for an execution (and step).
import type { LogRecord } from './log.ts';
import { truncateSql } from './log.ts';
import { lockTargetOf, resolveTarget, stateTableName } from './config.ts';
import { cancelStatement, describeStatement, getStatementResult, submit } from './data-api.ts';
import { stepFunctionsCase } from './wire.ts';
import { PreviousExecutionNotFound, ResultTooLarge } from './errors.ts';
import {
  acquireLock,
  DEADLINE_MARGIN_SECONDS,
  INVOCATION_OWNER_PREFIX,
  registerLockStatement,
  releaseLock,
  type HeldLock,
} from './lock.ts';
import { batchSqlText, lockKey } from './lock-key.ts';
import { parseStatementName, type ResultLimits, STATEMENT_NAME_PREFIX, withExecutionSuffix } from './contract.ts';
import type { ExecuteRequest, StatementRef, StatementRequest } from './request.ts';
import { completeStatement, settleTimedOutStatement } from './completion.ts';
import { deleteStatement, findLatest, putStatement, registerLatest } from './state-table.ts';
import { wireObject, type Wire } from './wire.ts';

export type Invocation = {
  requestId: string;
  /** Milliseconds left before Lambda ends this invocation (Lambda's hard deadline). */
  remainingMs: number;
};

/** What the runtime records of an invocation for its one log line. */
export type LogFields = Partial<Omit<LogRecord, 'level' | 'timestamp' | 'durationMs'>>;

/** `sfn-redshift/runtime/<stepId or action>` when the caller names no statement. */
function defaultStatementName(request: ExecuteRequest): string {
  return `${STATEMENT_NAME_PREFIX}runtime/${request.stepId ?? request.action}`;
}

function pipelineOf(statementName: string): string | undefined {
  return parseStatementName(statementName)?.pipeline;
}

async function bestEffort(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch {
    // Cleanup after a failure: the original error is what the caller needs to see.
  }
}

export async function execute(request: ExecuteRequest, invocation: Invocation, log: LogFields): Promise<Wire> {
  const { statement } = request;
  // Every statement of an execution carries its suffix, so that a stopped execution's statements
  // can be found and cancelled (ListStatements by name), also those of machines that name none.
  const statementName = withExecutionSuffix(
    request.statementName ?? defaultStatementName(request),
    request.executionArn,
  );
  logRequest(request, statementName, log);

  const target = resolveTarget(request.target);
  const needsTable = request.singleton || request.taskToken !== undefined || request.executionArn !== undefined;
  const table = needsTable ? stateTableName() : undefined;
  const lock =
    request.singleton && table !== undefined
      ? await takeLock(request, target, table, statementName, invocation)
      : undefined;

  let answer: Awaited<ReturnType<typeof submit>>;
  try {
    answer = await submit({
      statement,
      parameters: request.parameters,
      target,
      statementName,
      // The completion event answers the task token and releases the lock.
      withEvent: request.taskToken !== undefined || lock !== undefined,
      ...(request.clientToken !== undefined ? { clientToken: request.clientToken } : {}),
    });
  } catch (error) {
    if (lock !== undefined) await bestEffort(() => releaseLock(lock));
    throw error;
  }
  const statementId = answer.Id;
  log.statementId = statementId;

  const observed = table !== undefined && (request.taskToken !== undefined || lock !== undefined);
  await recordStatement(request, {
    statementId,
    statementName,
    createdAt: answer.CreatedAt ?? new Date(),
    table,
    lock,
    observed,
  });

  log.outcome = 'submitted';
  if (observed) {
    // A fast statement may have completed before its item existed (its event then found nothing).
    const completion = await completeStatement(table, statementId, 'skip');
    if (completion !== 'still-running') log.outcome = `submitted-and-${completion}`;
  }
  return wireObject(answer);
}

function logRequest(request: ExecuteRequest, statementName: string, log: LogFields): void {
  const { statement } = request;
  log.statementName = statementName;
  log.singleton = request.singleton;
  log.callback = request.taskToken !== undefined;
  log.sql = truncateSql(statement.kind === 'batch' ? batchSqlText(statement.sqls) : statement.sql);
  log.parameterNames = request.parameters.map(({ name }) => name);
}

/** The singleton lock on the statement's SQL, held by the execution or else by this invocation. */
function takeLock(
  request: ExecuteRequest,
  target: ReturnType<typeof resolveTarget>,
  table: string,
  statementName: string,
  invocation: Invocation,
): Promise<HeldLock> {
  const { statement } = request;
  const subject = statement.kind === 'batch' ? batchSqlText(statement.sqls) : statement.sql;
  const pipeline = pipelineOf(statementName);
  return acquireLock({
    table,
    key: lockKey(lockTargetOf(target), subject),
    owner: request.executionArn ?? `${INVOCATION_OWNER_PREFIX}${invocation.requestId}`,
    deadline: Math.ceil((Date.now() + Math.max(0, invocation.remainingMs)) / 1000) + DEADLINE_MARGIN_SECONDS,
    ...(pipeline !== undefined ? { pipeline } : {}),
    ...(request.stepId !== undefined ? { stepId: request.stepId } : {}),
  });
}

type Submitted = {
  statementId: string;
  statementName: string;
  createdAt: Date;
  table: string | undefined;
  lock: HeldLock | undefined;
  /** A completion event is awaited (task token or lock): the statement's item must exist. */
  observed: boolean;
};

/** The statement's bookkeeping: its lock, its item, the execution's LATEST; undone if it fails. */
async function recordStatement(request: ExecuteRequest, submitted: Submitted): Promise<void> {
  const { statementId, statementName, table, lock, observed } = submitted;
  try {
    await Promise.all([
      lock !== undefined ? registerLockStatement(lock, statementId) : undefined,
      observed && table !== undefined
        ? putStatement(table, {
            statementId,
            statementName,
            ...(request.taskToken !== undefined ? { taskToken: request.taskToken } : {}),
            ...(request.executionArn !== undefined ? { executionArn: request.executionArn } : {}),
            ...(request.stepId !== undefined ? { stepId: request.stepId } : {}),
            ...(lock !== undefined ? { lockKey: lock.key, lockNonce: lock.nonce } : {}),
          })
        : undefined,
      request.executionArn !== undefined && table !== undefined
        ? registerLatest(table, {
            executionArn: request.executionArn,
            ...(request.stepId !== undefined ? { stepId: request.stepId } : {}),
            statementId,
            createdAt: submitted.createdAt.toISOString(),
            batch: request.statement.kind === 'batch',
          })
        : undefined,
    ]);
  } catch (error) {
    // Without its bookkeeping the statement would run unobserved (a callback never answered, a
    // lock never released): stop it rather than leave it running.
    await bestEffort(() => cancelStatement(statementId));
    if (lock !== undefined) await bestEffort(() => releaseLock(lock));
    if (observed && table !== undefined) await bestEffort(() => deleteStatement(table, statementId));
    throw error;
  }
}

type Resolved = { id: string; latest: boolean };

async function resolve(ref: StatementRef, forResult: boolean, log: LogFields): Promise<Resolved> {
  if (ref.kind === 'id') return { id: ref.id, latest: false };
  const entry = await findLatest(stateTableName(), ref.executionArn, ref.stepId);
  if (entry === undefined) throw new PreviousExecutionNotFound(ref.executionArn, ref.stepId);
  log.statementId = entry.statementId;
  if (forResult && entry.batch) {
    // A batch's results are its sub-statements': take the last one that has a result set.
    const batch = await describeStatement(entry.statementId);
    const last = (batch.SubStatements ?? []).filter((sub) => sub.HasResultSet === true && sub.Id !== undefined).at(-1);
    if (last?.Id !== undefined) return { id: last.Id, latest: true };
  }
  return { id: entry.statementId, latest: true };
}

export async function statementAction(request: StatementRequest, log: LogFields): Promise<Wire> {
  const resolved = await resolve(request.statement, request.action === 'getStatementResult', log);
  log.statementId = resolved.id;
  const withId = (answer: object): Wire =>
    resolved.latest ? { ...wireObject(answer), Id: resolved.id } : wireObject(answer);
  switch (request.action) {
    case 'describeStatement':
      return withId(await describeStatement(resolved.id));
    case 'cancelStatement':
      return withId(await cancelStatement(resolved.id));
    case 'timeoutStatement':
      return wireObject(await settleTimedOutStatement(stateTableName(), resolved.id));
    case 'getStatementResult': {
      if (request.limits !== undefined) await refuseLargeResult(resolved.id, request.limits);
      const page = await getStatementResult(resolved.id, request.nextToken);
      const answer = request.format === 'stepFunctions' ? stepFunctionsPage(page) : withId(page);
      if (request.limits !== undefined) refuseLargePage(answer, page.Records?.length ?? 0, request.limits);
      return answer;
    }
  }
}

function stepFunctionsPage(page: Awaited<ReturnType<typeof getStatementResult>>): Wire {
  const { Records, ColumnMetadata, TotalNumRows, NextToken } = page;
  return stepFunctionsCase(
    wireObject({ Records, ColumnMetadata, TotalNumRows, ...(NextToken !== undefined ? { NextToken } : {}) }),
  );
}

/**
 * Before fetching: the result's rows and bytes as DescribeStatement reports them (of the statement
 * fetched: a batch's sub-statement has its own). -1 means unknown, which no limit refuses.
 */
async function refuseLargeResult(id: string, limits: ResultLimits): Promise<void> {
  const { ResultRows: rows = -1, ResultSize: bytes = -1 } = await describeStatement(id);
  if (rows > limits.maxRows || bytes > limits.maxBytes)
    throw new ResultTooLarge({ rows, bytes, source: 'described' }, limits);
}

/**
 * After fetching: the answer as the machine receives it (Lambda's Payload, which the step keeps as
 * its Result), measured exactly in UTF-8 as Step Functions counts its 256 KiB.
 */
function refuseLargePage(answer: Wire, rows: number, limits: ResultLimits): void {
  const bytes = Buffer.byteLength(JSON.stringify(answer), 'utf8');
  if (bytes > limits.maxBytes) throw new ResultTooLarge({ rows, bytes, source: 'page' }, limits);
}
