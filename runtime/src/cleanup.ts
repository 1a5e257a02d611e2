// Cleanup after a stopped execution (ABORTED, TIMED_OUT, FAILED): every statement it submitted
// that is still SUBMITTED/PICKED/STARTED is cancelled and its singleton lock released, so that
// nothing keeps running on Redshift and a rerun finds the lock free.
//
// Its statements are found two ways: by name (ListStatements: every StatementName ends with the
// execution's suffix, contract.ts) and by the LATEST registry (callback statements the runtime
// submitted for the execution). The Data API shows a role only the statements that role submitted
// (ListStatements RoleLevel), so the runtime finds the statements it submitted itself (callback
// steps, runtime singletons); poll-mode statements, submitted by the state machine's role, are
// cancelled by the reaper machine that runs as that role (generator/compile/reaper.ts).
import { ListStatementsCommand, type StatementData } from '@aws-sdk/client-redshift-data';
import { DeleteItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { dynamoClient, redshiftDataClient } from './clients.ts';
import { executionSuffix, parseStatementName, RUNNING_STATUSES, STATEMENT_NAME_PREFIX } from './contract.ts';
import { cancelStatement, describeStatement, isDataApiError } from './data-api.ts';
import type { StoppedExecution } from './execution-events.ts';
import { releaseLock } from './lock.ts';
import { batchSqlText, lockKey, LOCK_ATTRIBUTES as A, LOCK_SORT_KEY } from './lock-key.ts';
import { getStatement, isConditionFailed, stringAttribute } from './state-table.ts';

export type Cancellation = {
  statementId: string;
  statementName?: string;
  stepId?: string;
  /** `cancelled`; `already-ended` when it ended (or vanished) before the cancel reached it. */
  outcome: 'cancelled' | 'already-ended';
  /** Whether a singleton lock held for the statement was released. */
  lockReleased: boolean;
};

type Found = { statementId: string; statementName?: string; stepId?: string };

async function listRunning(suffix: string): Promise<Found[]> {
  const found: Found[] = [];
  for (const status of RUNNING_STATUSES) {
    let nextToken: string | undefined;
    do {
      const page = await redshiftDataClient().send(
        new ListStatementsCommand({
          StatementName: STATEMENT_NAME_PREFIX,
          Status: status as StatementData['Status'],
          RoleLevel: true,
          MaxResults: 100,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      for (const statement of page.Statements ?? []) {
        const parts = parseStatementName(statement.StatementName ?? '');
        if (statement.Id !== undefined && parts?.execution === suffix) {
          found.push({ statementId: statement.Id, statementName: statement.StatementName ?? '', stepId: parts.stepId });
        }
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
  }
  return found;
}

/** The statements the LATEST registry holds for the execution (any step), whatever their status. */
async function registered(table: string, executionArn: string): Promise<Found[]> {
  const found: Found[] = [];
  let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const page = await dynamoClient().send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `execution#${executionArn}` } },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const statementId = stringAttribute(item, 'StatementId');
      const stepId = stringAttribute(item, 'StepId');
      if (statementId !== undefined) found.push({ statementId, ...(stepId !== undefined ? { stepId } : {}) });
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return found;
}

async function cancel(statementId: string): Promise<Cancellation['outcome']> {
  try {
    await cancelStatement(statementId);
    return 'cancelled';
  } catch (error) {
    // Already terminal (ValidationException) or no longer known: nothing left running.
    if (isDataApiError(error, 'ValidationException', 'ResourceNotFoundException')) return 'already-ended';
    throw error;
  }
}

/**
 * Releases the lock a statement holds: the one its statement item names (the runtime's own
 * singletons), else the lock of its target and SQL if that lock is registered to this very
 * statement (a poll-mode singleton of the same role). Never someone else's lock.
 */
async function releaseLockOf(table: string, statementId: string): Promise<boolean> {
  const item = await getStatement(table, statementId);
  if (item?.lockKey !== undefined && item.lockNonce !== undefined)
    return releaseLock({ table, key: item.lockKey, nonce: item.lockNonce });
  const statement = await describeStatement(statementId);
  const name = statement.ClusterIdentifier ?? statement.WorkgroupName;
  if (name === undefined || statement.Database === undefined) return false;
  const subs = (statement.SubStatements ?? []).map((sub) => sub.QueryString ?? '');
  const sql = subs.length > 0 ? batchSqlText(subs) : (statement.QueryString ?? '');
  const key = lockKey(
    { kind: statement.ClusterIdentifier !== undefined ? 'cluster' : 'workgroup', name, database: statement.Database },
    sql,
  );
  try {
    await dynamoClient().send(
      new DeleteItemCommand({
        TableName: table,
        Key: { [A.partitionKey]: { S: key }, [A.sortKey]: { S: LOCK_SORT_KEY } },
        ConditionExpression: '#statement = :statement',
        ExpressionAttributeNames: { '#statement': A.statementId },
        ExpressionAttributeValues: { ':statement': { S: statementId } },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

/** Cancels what the execution left running; answers one entry per statement it acted on. */
export async function cleanUpExecution(
  table: string | undefined,
  execution: StoppedExecution,
): Promise<Cancellation[]> {
  const suffix = executionSuffix(execution.executionArn);
  const [listed, fromRegistry] = await Promise.all([
    suffix === undefined ? [] : listRunning(suffix),
    table === undefined ? [] : registered(table, execution.executionArn),
  ]);
  const byId = new Map<string, Found>();
  for (const found of [...fromRegistry, ...listed])
    byId.set(found.statementId, { ...byId.get(found.statementId), ...found });
  const results = await Promise.all(
    [...byId.values()].map(async (found): Promise<Cancellation | undefined> => {
      const outcome = await cancel(found.statementId);
      // A registry entry whose statement had already ended was not left running: nothing to do.
      if (outcome === 'already-ended' && found.statementName === undefined) return undefined;
      const lockReleased =
        table !== undefined && outcome === 'cancelled' ? await releaseLockOf(table, found.statementId) : false;
      return { ...found, outcome, lockReleased };
    }),
  );
  return results.filter((result): result is Cancellation => result !== undefined);
}
