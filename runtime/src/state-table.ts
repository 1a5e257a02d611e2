// The runtime's items in the state table (contract: pk (S), sk (S), TTL attribute expiresAt).
// Every item the runtime writes carries `expiresAt` (epoch seconds).
//
//   kind       pk                              sk                    attributes
//   lock       lock#<sha256>  (lock-key.ts)    lock                  Owner, Nonce, StatementId?, Pipeline?, StepId?, expiresAt
//   statement  statement#<statementId>         statement             TaskToken?, ExecutionArn?, StepId?, StatementName,
//                                                                    LockKey?, LockNonce?, expiresAt
//   event      statement#<statementId>         event                 Event (JSON), expiresAt
//   latest     execution#<executionArn>        latest                StatementId, CreatedAt, Batch, StepId?, expiresAt
//   latest     execution#<executionArn>        latest#step#<stepId>  StatementId, CreatedAt, Batch, StepId, expiresAt
//
// - lock: shared with poll-mode machines (see lock-key.ts and lock.ts).
// - statement: what a completion event needs: the task token to answer, the lock to release. Written
//   only for statements run with a taskToken or as singletons; deleted once the completion is handled.
// - event: with CALLBACK_COMPAT only, a completion event that arrived before its statement item was
//   written (the answer carries the event itself); the runtime's own look after submit uses it.
// - latest: the LATEST registry, per execution and per (execution, step), so that parallel branches
//   never see each other's statements. `CreatedAt` is the Data API's own submit time (ISO-8601);
//   an entry is only ever replaced by a statement created at the same time or later.
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { dynamoClient } from './clients.ts';

/** Statements live at most 24 h in the Data API; every runtime item outlives that by an hour. */
export const RETENTION_SECONDS = 25 * 60 * 60;

export type Item = Record<string, AttributeValue>;

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function retentionExpiry(): number {
  return nowSeconds() + RETENTION_SECONDS;
}

export function isConditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

export function stringAttribute(item: Item | undefined, name: string): string | undefined {
  const value = item?.[name];
  return value !== undefined && 'S' in value && typeof value.S === 'string' ? value.S : undefined;
}

export function numberAttribute(item: Item | undefined, name: string): number | undefined {
  const value = item?.[name];
  if (value === undefined || !('N' in value) || typeof value.N !== 'string') return undefined;
  const number = Number(value.N);
  return Number.isFinite(number) ? number : undefined;
}

function optionalStrings(values: Record<string, string | undefined>): Item {
  const item: Item = {};
  for (const [name, value] of Object.entries(values)) if (value !== undefined) item[name] = { S: value };
  return item;
}

// ---- statement items ------------------------------------------------------------------------

export type StatementItem = {
  statementId: string;
  statementName: string;
  taskToken?: string;
  executionArn?: string;
  stepId?: string;
  lockKey?: string;
  lockNonce?: string;
};

const STATEMENT_SK = 'statement';

function statementKey(statementId: string): Item {
  return { pk: { S: `statement#${statementId}` }, sk: { S: STATEMENT_SK } };
}

export async function putStatement(table: string, statement: StatementItem): Promise<void> {
  await dynamoClient().send(
    new PutItemCommand({
      TableName: table,
      Item: {
        ...statementKey(statement.statementId),
        StatementName: { S: statement.statementName },
        ...optionalStrings({
          TaskToken: statement.taskToken,
          ExecutionArn: statement.executionArn,
          StepId: statement.stepId,
          LockKey: statement.lockKey,
          LockNonce: statement.lockNonce,
        }),
        expiresAt: { N: String(retentionExpiry()) },
      },
    }),
  );
}

export async function getStatement(table: string, statementId: string): Promise<StatementItem | undefined> {
  const { Item: item } = await dynamoClient().send(
    new GetItemCommand({ TableName: table, Key: statementKey(statementId), ConsistentRead: true }),
  );
  if (item === undefined) return undefined;
  const found: StatementItem = { statementId, statementName: stringAttribute(item, 'StatementName') ?? '' };
  const fields = {
    taskToken: 'TaskToken',
    executionArn: 'ExecutionArn',
    stepId: 'StepId',
    lockKey: 'LockKey',
    lockNonce: 'LockNonce',
  } as const;
  for (const [field, attribute] of Object.entries(fields) as [keyof typeof fields, string][]) {
    const value = stringAttribute(item, attribute);
    if (value !== undefined) found[field] = value;
  }
  return found;
}

/**
 * Ids of every statement item, a page at a time (a Scan filtered on the sort key: the table holds
 * only locks, LATEST entries and statements, all expiring within 25 hours).
 */
export async function* statementIds(table: string): AsyncGenerator<string[]> {
  let start: Item | undefined;
  do {
    const page = await dynamoClient().send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'sk = :statement',
        ExpressionAttributeValues: { ':statement': { S: STATEMENT_SK } },
        ProjectionExpression: 'pk',
        ...(start !== undefined ? { ExclusiveStartKey: start } : {}),
      }),
    );
    yield (page.Items ?? []).flatMap((item) => {
      const pk = stringAttribute(item, 'pk');
      return pk?.startsWith('statement#') === true ? [pk.slice('statement#'.length)] : [];
    });
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
}

export async function deleteStatement(table: string, statementId: string): Promise<void> {
  await dynamoClient().send(new DeleteItemCommand({ TableName: table, Key: statementKey(statementId) }));
}

// ---- completion events kept for CALLBACK_COMPAT -----------------------------------------------

function eventKey(statementId: string): Item {
  return { pk: { S: `statement#${statementId}` }, sk: { S: 'event' } };
}

export async function putCompletionEvent(
  table: string,
  statementId: string,
  event: Readonly<Record<string, unknown>>,
): Promise<void> {
  await dynamoClient().send(
    new PutItemCommand({
      TableName: table,
      Item: {
        ...eventKey(statementId),
        Event: { S: JSON.stringify(event) },
        expiresAt: { N: String(retentionExpiry()) },
      },
    }),
  );
}

export async function getCompletionEvent(
  table: string,
  statementId: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item: item } = await dynamoClient().send(
    new GetItemCommand({ TableName: table, Key: eventKey(statementId), ConsistentRead: true }),
  );
  const json = stringAttribute(item, 'Event');
  return json === undefined ? undefined : (JSON.parse(json) as Record<string, unknown>);
}

export async function deleteCompletionEvent(table: string, statementId: string): Promise<void> {
  await dynamoClient().send(new DeleteItemCommand({ TableName: table, Key: eventKey(statementId) }));
}

// ---- LATEST registry ------------------------------------------------------------------------

export type LatestEntry = { statementId: string; batch: boolean };

const LATEST_SK = 'latest';

function latestKey(executionArn: string, stepId: string | undefined): Item {
  return {
    pk: { S: `execution#${executionArn}` },
    sk: { S: stepId === undefined ? LATEST_SK : `${LATEST_SK}#step#${stepId}` },
  };
}

/** Registers a statement as the execution's latest, and its step's latest when a step is named. */
export async function registerLatest(
  table: string,
  entry: { executionArn: string; stepId?: string; statementId: string; createdAt: string; batch: boolean },
): Promise<void> {
  const scopes = entry.stepId === undefined ? [undefined] : [undefined, entry.stepId];
  await Promise.all(
    scopes.map(async (scope) => {
      try {
        await dynamoClient().send(
          new PutItemCommand({
            TableName: table,
            Item: {
              ...latestKey(entry.executionArn, scope),
              StatementId: { S: entry.statementId },
              CreatedAt: { S: entry.createdAt },
              Batch: { BOOL: entry.batch },
              ...optionalStrings({ StepId: entry.stepId }),
              expiresAt: { N: String(retentionExpiry()) },
            },
            // Never replace a later statement by an earlier one (parallel branches register concurrently).
            ConditionExpression: 'attribute_not_exists(pk) OR CreatedAt <= :createdAt',
            ExpressionAttributeValues: { ':createdAt': { S: entry.createdAt } },
          }),
        );
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
    }),
  );
}

export async function findLatest(
  table: string,
  executionArn: string,
  stepId: string | undefined,
): Promise<LatestEntry | undefined> {
  const { Item: item } = await dynamoClient().send(
    new GetItemCommand({ TableName: table, Key: latestKey(executionArn, stepId), ConsistentRead: true }),
  );
  const statementId = stringAttribute(item, 'StatementId');
  if (statementId === undefined) return undefined;
  const batch = item?.Batch;
  return { statementId, batch: batch !== undefined && 'BOOL' in batch && batch.BOOL === true };
}
