// The singleton lock of the contract, interoperating with poll-mode machines on the same items
// (see lock-key.ts and generator/compile/singleton.ts, which apply the same rules in this order):
//   acquire  = PutItem attribute_not_exists(pk)
//   conflict = GetItem (consistent) and judge the holder:
//     1. it has a StatementId this role can see: SUBMITTED/PICKED/STARTED → ConcurrentExecution
//        (Cause = that id); terminal → stale. A running statement beats everything below, expiry
//        included (the contract: busy while the holder's statement runs).
//     2. otherwise (no StatementId yet, or another principal's statement), `expiresAt` passed
//        (isExpired) → stale. A runtime holder writes its invocation's deadline (+ margin) until
//        it registers its statement, then the retention (25 h, past the Data API's 24 h maximum
//        query duration): either way, past it nothing of that holder can still run. DynamoDB TTL
//        leaves expired items readable for days, so the rule is applied here, not left to TTL.
//     3. the owner is an execution → DescribeExecution: RUNNING → ConcurrentExecution (Cause = the
//        holder's StatementId if it has one, else the owner); ended or not existing → stale.
//        The owner is not an execution (`lambda:<requestId>`, a caller without executionArn) →
//        alive until its (unexpired) expiry; without one, stale.
//       No holder is ever taken over for being "our own": Parallel branches of one execution share
//       its ARN (and, in hand-written machines, no step id), so sameness proves nothing. A retried
//       or redriven step gets the lock once its earlier attempt's statement ended or its deadline passed.
//   stale    = UpdateItem conditional on Nonce = the nonce seen: new Owner/Nonce, StatementId removed
//   register = UpdateItem SET StatementId conditional on Nonce = mine
//   release  = DeleteItem conditional on Nonce = mine
// Every write of expiresAt also writes ExpiresAtTime (the same instant as ISO-8601), which
// machines compare with $$.State.EnteredTime. The clock is read only to judge an expiry.
import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { dynamoClient, sfnClient } from './clients.ts';
import { RUNNING_STATUSES } from './contract.ts';
import { describeStatement, isDataApiError } from './data-api.ts';
import { ConcurrentExecution } from './errors.ts';
import { expiryTimestamp, isExpired, LOCK_ATTRIBUTES as A, LOCK_SORT_KEY } from './lock-key.ts';
import { isConditionFailed, numberAttribute, retentionExpiry, stringAttribute, type Item } from './state-table.ts';

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
    [A.expiresAt]: expiry(request.deadline).epoch,
    [A.expiresAtTime]: expiry(request.deadline).timestamp,
  };
}

/** The values of `expiresAt` and of its timestamp twin, always written together. */
function expiry(expiresAt: number): { epoch: AttributeValue; timestamp: AttributeValue } {
  return { epoch: { N: String(expiresAt) }, timestamp: { S: expiryTimestamp(expiresAt) } };
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

/** The rules of the header, in its order; poll-mode machines apply them in the same order (compile/singleton.ts). */
async function judge(holder: Holder): Promise<Judgement> {
  if (holder.statementId !== undefined) {
    try {
      const { Status } = await describeStatement(holder.statementId);
      return (RUNNING_STATUSES as readonly (string | undefined)[]).includes(Status)
        ? { stale: false, cause: holder.statementId }
        : { stale: true };
    } catch (error) {
      // Another principal's statement (a poll machine's role, or denied by the runtime's
      // statement-owner condition): judge by its expiry and owner, as poll-mode machines do.
      if (!isDataApiError(error, 'ResourceNotFoundException', 'ValidationException', 'AccessDeniedException'))
        throw error;
    }
  }
  if (isExpired(holder.expiresAt, Date.now())) return { stale: true };
  const owner = holder.owner;
  if (owner === undefined) return { stale: true };
  const busy: Judgement = { stale: false, cause: holder.statementId ?? owner };
  const running = isInvocationOwner(owner) ? 'not-an-execution' : await executionRunning(owner);
  if (running === 'not-an-execution') return holder.expiresAt !== undefined ? busy : { stale: true };
  return running ? busy : { stale: true };
}

async function takeOver(request: LockRequest, seenNonce: string | undefined, nonce: string): Promise<boolean> {
  const names: Record<string, string> = {
    '#owner': A.owner,
    '#nonce': A.nonce,
    '#statement': A.statementId,
    '#expires': A.expiresAt,
    '#expiresTime': A.expiresAtTime,
  };
  const values: Item = {
    ':owner': { S: request.owner },
    ':nonce': { S: nonce },
    ':expires': expiry(request.deadline).epoch,
    ':expiresTime': expiry(request.deadline).timestamp,
  };
  const set = ['#owner = :owner', '#nonce = :nonce', '#expires = :expires', '#expiresTime = :expiresTime'];
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
  const retention = expiry(retentionExpiry());
  try {
    await dynamoClient().send(
      new UpdateItemCommand({
        TableName: lock.table,
        Key: keyOf(lock.key),
        UpdateExpression: 'SET #statement = :statement, #expires = :expires, #expiresTime = :expiresTime',
        ConditionExpression: '#nonce = :mine',
        ExpressionAttributeNames: {
          '#statement': A.statementId,
          '#nonce': A.nonce,
          '#expires': A.expiresAt,
          '#expiresTime': A.expiresAtTime,
        },
        ExpressionAttributeValues: {
          ':statement': { S: statementId },
          ':mine': { S: lock.nonce },
          ':expires': retention.epoch,
          ':expiresTime': retention.timestamp,
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
