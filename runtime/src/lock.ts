// The singleton lock of the contract, interoperating with poll-mode machines on the same items
// (see lock-key.ts and generator/compile/singleton.ts):
//   acquire  = PutItem attribute_not_exists(pk)
//   conflict = GetItem (consistent) and judge the holder:
//     - it has a StatementId: DescribeStatement SUBMITTED/PICKED/STARTED → ConcurrentExecution
//       (Cause = that id); terminal → stale. A statement this role may not see → judge by its owner.
//     - no StatementId yet (the holder is between lock and submit): its invocation's deadline,
//       written as `expiresAt` until the id is registered, has passed → stale (that invocation is
//       over without registering a statement: it never submitted one, or cancelled it);
//         owner is an execution → DescribeExecution: RUNNING → ConcurrentExecution (Cause = owner),
//           otherwise or not existing → stale;
//         owner is not an execution (`lambda:<requestId>`, a caller without executionArn) → alive
//           until that deadline.
//       No holder is ever taken over for being "our own": Parallel branches of one execution share
//       its ARN (and, in hand-written machines, no step id), so sameness proves nothing. A retried
//       or redriven step gets the lock once its earlier attempt's statement ended or its deadline passed.
//   stale    = UpdateItem conditional on Nonce = the nonce seen: new Owner/Nonce, StatementId removed
//   register = UpdateItem SET StatementId conditional on Nonce = mine
//   release  = DeleteItem conditional on Nonce = mine
// A holder without a statement is judged by a clock only through the Lambda's own hard deadline.
import { randomUUID } from 'node:crypto';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { dynamoClient, sfnClient } from './clients.ts';
import { RUNNING_STATUSES } from './contract.ts';
import { describeStatement, isDataApiError } from './data-api.ts';
import { ConcurrentExecution } from './errors.ts';
import { LOCK_ATTRIBUTES as A, LOCK_SORT_KEY } from './lock-key.ts';
import {
  isConditionFailed,
  nowSeconds,
  numberAttribute,
  retentionExpiry,
  stringAttribute,
  type Item,
} from './state-table.ts';

/** Owner prefix of a holder that is a Lambda invocation (no executionArn): never an execution. */
export const INVOCATION_OWNER_PREFIX = 'lambda:';
/** Added to a holder's invocation deadline before others may take over its lock without a statement. */
export const DEADLINE_MARGIN_SECONDS = 30;
const MAX_ROUNDS = 10;

export type LockRequest = {
  table: string;
  key: string;
  /** The caller's execution ARN, or `lambda:<awsRequestId>`. */
  owner: string;
  /** Epoch seconds after which this invocation surely ended (its deadline + margin): until the statement is registered, others judge the lock by it. */
  deadline: number;
  pipeline?: string;
  stepId?: string;
};

export type HeldLock = { table: string; key: string; nonce: string };

type Holder = { owner?: string; nonce?: string; statementId?: string; expiresAt?: number };

type Judgement = { stale: true } | { stale: false; cause: string };

const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;

/** An owner that is not a (standard) execution ARN can never be described as RUNNING. */
export function isInvocationOwner(owner: string): boolean {
  return !EXECUTION_ARN.test(owner);
}

function keyOf(key: string): Item {
  return { [A.partitionKey]: { S: key }, [A.sortKey]: { S: LOCK_SORT_KEY } };
}

function holderAttributes(request: LockRequest, nonce: string): Item {
  return {
    [A.owner]: { S: request.owner },
    [A.nonce]: { S: nonce },
    ...(request.pipeline !== undefined ? { [A.pipeline]: { S: request.pipeline } } : {}),
    ...(request.stepId !== undefined ? { [A.stepId]: { S: request.stepId } } : {}),
    // The invocation's deadline until the statement id is registered (which sets the retention):
    // past it the holder can no longer submit anything.
    [A.expiresAt]: { N: String(request.deadline) },
  };
}

async function put(request: LockRequest, nonce: string): Promise<boolean> {
  try {
    await dynamoClient().send(
      new PutItemCommand({
        TableName: request.table,
        Item: { ...keyOf(request.key), ...holderAttributes(request, nonce) },
        ConditionExpression: `attribute_not_exists(${A.partitionKey})`,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

async function readHolder(table: string, key: string): Promise<Holder | undefined> {
  const { Item: item } = await dynamoClient().send(
    new GetItemCommand({ TableName: table, Key: keyOf(key), ConsistentRead: true }),
  );
  if (item === undefined) return undefined;
  const holder: Holder = {};
  const owner = stringAttribute(item, A.owner);
  const nonce = stringAttribute(item, A.nonce);
  const statementId = stringAttribute(item, A.statementId);
  const expiresAt = numberAttribute(item, A.expiresAt);
  if (owner !== undefined) holder.owner = owner;
  if (nonce !== undefined) holder.nonce = nonce;
  if (statementId !== undefined) holder.statementId = statementId;
  if (expiresAt !== undefined) holder.expiresAt = expiresAt;
  return holder;
}

async function executionRunning(executionArn: string): Promise<boolean | 'not-an-execution'> {
  try {
    const { status } = await sfnClient().send(new DescribeExecutionCommand({ executionArn }));
    return status === 'RUNNING';
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'ExecutionDoesNotExist') return false;
    if (name === 'InvalidArn') return 'not-an-execution';
    throw error;
  }
}

async function judge(holder: Holder): Promise<Judgement> {
  if (holder.statementId !== undefined) {
    try {
      const { Status } = await describeStatement(holder.statementId);
      return (RUNNING_STATUSES as readonly (string | undefined)[]).includes(Status)
        ? { stale: false, cause: holder.statementId }
        : { stale: true };
    } catch (error) {
      // Another principal's statement (a poll machine's role, or denied by the runtime's
      // statement-owner condition): judge by its owner, as poll-mode machines do.
      if (!isDataApiError(error, 'ResourceNotFoundException', 'ValidationException', 'AccessDeniedException'))
        throw error;
    }
  }
  const owner = holder.owner;
  if (owner === undefined) return { stale: true };
  const beforeDeadline = holder.expiresAt !== undefined && holder.expiresAt > nowSeconds();
  // A runtime holder between lock and submit (poll-mode holders write no expiresAt).
  if (holder.statementId === undefined && holder.expiresAt !== undefined && !beforeDeadline) return { stale: true };
  const running = isInvocationOwner(owner) ? 'not-an-execution' : await executionRunning(owner);
  if (running === 'not-an-execution')
    return beforeDeadline ? { stale: false, cause: holder.statementId ?? owner } : { stale: true };
  return running ? { stale: false, cause: holder.statementId ?? owner } : { stale: true };
}

async function takeOver(request: LockRequest, seenNonce: string | undefined, nonce: string): Promise<boolean> {
  const names: Record<string, string> = {
    '#owner': A.owner,
    '#nonce': A.nonce,
    '#statement': A.statementId,
    '#expires': A.expiresAt,
  };
  const values: Item = {
    ':owner': { S: request.owner },
    ':nonce': { S: nonce },
    ':expires': { N: String(request.deadline) },
  };
  const set = ['#owner = :owner', '#nonce = :nonce', '#expires = :expires'];
  const remove = ['#statement'];
  for (const [field, attribute, value] of [
    ['pipeline', A.pipeline, request.pipeline],
    ['step', A.stepId, request.stepId],
  ] as const) {
    names[`#${field}`] = attribute;
    if (value !== undefined) {
      set.push(`#${field} = :${field}`);
      values[`:${field}`] = { S: value };
    } else {
      remove.push(`#${field}`);
    }
  }
  let condition: string;
  if (seenNonce !== undefined) {
    condition = '#nonce = :seen';
    values[':seen'] = { S: seenNonce };
  } else {
    condition = `attribute_exists(${A.partitionKey}) AND attribute_not_exists(#nonce)`;
  }
  try {
    await dynamoClient().send(
      new UpdateItemCommand({
        TableName: request.table,
        Key: keyOf(request.key),
        UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

/** Acquires the lock or throws ConcurrentExecution. */
export async function acquireLock(request: LockRequest): Promise<HeldLock> {
  const nonce = randomUUID();
  let cause = 'the lock is contended';
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (await put(request, nonce)) return { table: request.table, key: request.key, nonce };
    const holder = await readHolder(request.table, request.key);
    if (holder === undefined) continue; // released meanwhile: try again
    const verdict = await judge(holder);
    if (!verdict.stale) throw new ConcurrentExecution(verdict.cause);
    if (await takeOver(request, holder.nonce, nonce)) return { table: request.table, key: request.key, nonce };
    cause = holder.statementId ?? holder.owner ?? cause;
  }
  // Others keep replacing the holder under us: they are running, so we are the concurrent one.
  throw new ConcurrentExecution(cause);
}

/** Records the statement id on the lock (and its full retention); false if the lock is no longer ours. */
export async function registerLockStatement(lock: HeldLock, statementId: string): Promise<boolean> {
  try {
    await dynamoClient().send(
      new UpdateItemCommand({
        TableName: lock.table,
        Key: keyOf(lock.key),
        UpdateExpression: 'SET #statement = :statement, #expires = :expires',
        ConditionExpression: '#nonce = :mine',
        ExpressionAttributeNames: { '#statement': A.statementId, '#nonce': A.nonce, '#expires': A.expiresAt },
        ExpressionAttributeValues: {
          ':statement': { S: statementId },
          ':mine': { S: lock.nonce },
          ':expires': { N: String(retentionExpiry()) },
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

/** Releases the lock if it is still ours; false if someone else holds it (or nobody). */
export async function releaseLock(lock: HeldLock): Promise<boolean> {
  try {
    await dynamoClient().send(
      new DeleteItemCommand({
        TableName: lock.table,
        Key: keyOf(lock.key),
        ConditionExpression: '#nonce = :mine',
        ExpressionAttributeNames: { '#nonce': A.nonce },
        ExpressionAttributeValues: { ':mine': { S: lock.nonce } },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}
