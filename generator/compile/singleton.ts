import { LOCK_ATTRIBUTES, LOCK_SORT_KEY, lockTargetText, sqlDigest, batchSqlText } from '../../runtime/src/lock-key.ts';
import type { StatementStep } from '../load/model.ts';
import type { Catcher, JsonObject, Transition } from './asl.ts';
import { next, type CompileContext } from './context.ts';
import { RUNNING_STATUSES } from '../../runtime/src/contract.ts';
import { retryField } from './data-api.ts';
import { STEP_ERRORS, TRANSIENT_DATA_API_ERRORS, TRANSIENT_DYNAMODB_ERRORS, TRANSIENT_SFN_ERRORS } from './errors.ts';
import {
  DATA_API,
  DESCRIBE_EXECUTION,
  DYNAMODB,
  dataApiPermissions,
  describeExecutionPermissions,
  tablePermissions,
} from './integrations.ts';
import { format } from './intrinsics.ts';
import type { StateRole } from './plan.ts';
import type { StepStates } from './state-scope.ts';
import { stepPaths, type StepPaths } from './step-paths.ts';

/**
 * The singleton lock of the contract with DynamoDB's optimized integrations: an atomic
 * conditional put; on conflict the holder is judged by the rules of runtime/src/lock.ts, in its
 * order (a statement this role can see still running → ConcurrentExecution, terminal → stale;
 * else an expired holder → stale; else its execution RUNNING → ConcurrentExecution, ended →
 * stale), and a stale one is taken over conditionally on its nonce; released on every exit of the
 * step. The only clock is `$$.State.EnteredTime` against the holder's `ExpiresAtTime`.
 */
const CONDITION_FAILED = 'DynamoDB.ConditionalCheckFailedException';
const A = LOCK_ATTRIBUTES;

export function lockSubject(step: StatementStep): string {
  return step.statement.kind === 'batch' ? batchSqlText(step.statement.sqls) : step.statement.sql;
}

function lockKeyExpression(step: StatementStep): string {
  const lock = stepPaths(step.id).lock;
  return format('lock#{}|{}|{}', `${lock}.Target`, `${lock}.Database`, `${lock}.SqlDigest`);
}

function itemKey(step: StatementStep): JsonObject {
  return { [A.partitionKey]: { 'S.$': lockKeyExpression(step) }, [A.sortKey]: { S: LOCK_SORT_KEY } };
}

function dynamoRetry(step: StatementStep) {
  return retryField(TRANSIENT_DYNAMODB_ERRORS, step.retry);
}

/** What every part of the lock acquisition of one step uses. */
type LockParts = {
  readonly ctx: CompileContext;
  readonly step: StatementStep;
  readonly states: StepStates;
  readonly paths: StepPaths;
  readonly name: (role: StateRole) => string;
  readonly table: string;
  /** Where the examined holder's item lands. */
  readonly holderItem: string;
};

function lockParts(ctx: CompileContext, step: StatementStep): LockParts {
  const states = ctx.scope.step(step.id);
  const paths = stepPaths(step.id);
  return {
    ctx,
    step,
    states,
    paths,
    name: states.name.bind(states),
    table: ctx.pipeline.stateTable,
    holderItem: `${paths.holder}.Item`,
  };
}

/** Lock → Acquire (→ holder checks → TakeOver) → `execute`. Returns the first state. */
export function renderLockAcquisition(ctx: CompileContext, step: StatementStep, execute: string): string {
  const parts = lockParts(ctx, step);
  const { states, paths, name, table } = parts;
  const target =
    step.target.kind === 'cluster'
      ? { kind: 'cluster' as const, name: step.target.cluster }
      : { kind: 'workgroup' as const, name: step.target.workgroup };
  const lockTarget = lockTargetText({ ...target, database: step.target.database });
  const digest = sqlDigest(lockSubject(step));
  states.lock({ takenBy: 'machine', table, target: lockTarget, database: step.target.database, sqlDigest: digest });
  states.add('Lock', {
    Type: 'Pass',
    Comment: 'Lock subject: the target and the SQL text (as its digest), plus who asks',
    Parameters: {
      Target: lockTarget,
      Database: step.target.database,
      SqlDigest: digest,
      'Owner.$': '$$.Execution.Id',
      'Nonce.$': 'States.UUID()',
    },
    ResultPath: paths.lock,
    Next: name('Acquire'),
  });
  states.task(
    'Acquire',
    DYNAMODB.putItem,
    {
      Parameters: {
        TableName: table,
        Item: {
          ...itemKey(step),
          [A.owner]: { 'S.$': `${paths.lock}.Owner` },
          [A.nonce]: { 'S.$': `${paths.lock}.Nonce` },
          [A.pipeline]: { S: ctx.pipeline.name },
          [A.stepId]: { S: step.id },
        },
        ConditionExpression: `attribute_not_exists(${A.partitionKey})`,
      },
      ResultPath: null,
      ...dynamoRetry(step),
      Catch: [{ ErrorEquals: [CONDITION_FAILED], ResultPath: null, Next: name('Holder') }],
      Next: execute,
    },
    tablePermissions(DYNAMODB.putItem, table),
  );
  renderHolderRead(parts);
  renderHolderStatementCheck(parts);
  renderHolderExpiryCheck(parts);
  renderHolderExecutionCheck(parts);
  renderBusy(parts);
  renderTakeOver(parts, execute);
  return name('Lock');
}

/** Holder → HolderState: read the holder consistently, then decide how to judge it. */
function renderHolderRead({ step, states, paths, name, table, holderItem }: LockParts): void {
  states.task(
    'Holder',
    DYNAMODB.getItem,
    {
      Parameters: { TableName: table, Key: itemKey(step), ConsistentRead: true },
      ResultPath: paths.holder,
      ...dynamoRetry(step),
      Next: name('HolderState'),
    },
    tablePermissions(DYNAMODB.getItem, table),
  );
  states.add('HolderState', {
    Type: 'Choice',
    Comment:
      'Released meanwhile: try again. A registered statement: judge it, whoever holds the lock. None yet and held by this very step of this execution: an earlier attempt (a redrive or a retried Acquire) that never registered one: take over. Else judge its expiry, then its execution.',
    Choices: [
      { Not: { Variable: holderItem, IsPresent: true }, Next: name('Acquire') },
      { Variable: `${holderItem}.${A.statementId}.S`, IsPresent: true, Next: name('HolderStatement') },
      {
        And: [
          { Variable: `${holderItem}.${A.owner}.S`, StringEqualsPath: `${paths.lock}.Owner` },
          { Variable: `${holderItem}.${A.stepId}.S`, StringEquals: step.id },
        ],
        Next: name('TakeOver'),
      },
    ],
    Default: name('HolderExpiry'),
  });
}

/** HolderStatement → HolderRunning → Busy | TakeOver: the holder's statement still running keeps the lock. */
function renderHolderStatementCheck({ step, states, paths, name, holderItem }: LockParts): void {
  states.task(
    'HolderStatement',
    DATA_API.describeStatement,
    {
      Parameters: { 'Id.$': `${holderItem}.${A.statementId}.S` },
      ResultSelector: { 'Status.$': '$.Status' },
      ResultPath: paths.holderStatus,
      ...retryField(TRANSIENT_DATA_API_ERRORS, step.retry),
      // A statement this role may not see (another principal's): judge by expiry and execution.
      Catch: [
        {
          ErrorEquals: [
            'RedshiftData.ResourceNotFoundException',
            'RedshiftData.ValidationException',
            'RedshiftData.AccessDeniedException',
          ],
          ResultPath: null,
          Next: name('HolderExpiry'),
        },
      ],
      Next: name('HolderRunning'),
    },
    dataApiPermissions(DATA_API.describeStatement, step.target),
  );
  states.add('HolderRunning', {
    Type: 'Choice',
    Choices: [
      {
        Or: RUNNING_STATUSES.map((status) => ({ Variable: `${paths.holderStatus}.Status`, StringEquals: status })),
        Next: name('Busy'),
      },
    ],
    Default: name('TakeOver'),
  });
}

/**
 * HolderExpiry → TakeOver | HolderExecution: a holder whose expiry has passed is stale (lock-key.ts
 * `isExpired`: expiry not after now, here the time this state is entered). TTL leaves such items
 * readable for days. The first rule guards the comparison: a Choice rule on an absent field fails
 * the execution with States.Runtime.
 */
function renderHolderExpiryCheck({ states, name, holderItem }: LockParts): void {
  const expiry = `${holderItem}.${A.expiresAtTime}.S`;
  states.add('HolderExpiry', {
    Type: 'Choice',
    Comment: "Expired (its ExpiresAtTime not after this state's EnteredTime): stale, whatever its execution",
    Choices: [
      { Not: { Variable: expiry, IsPresent: true }, Next: name('HolderExecution') },
      {
        And: [
          { Variable: expiry, IsTimestamp: true },
          { Variable: expiry, TimestampLessThanEqualsPath: '$$.State.EnteredTime' },
        ],
        Next: name('TakeOver'),
      },
    ],
    Default: name('HolderExecution'),
  });
}

/** HolderExecution → HolderAlive | HolderDeadline → HolderBusy | TakeOver: an unexpired holder judged by its execution. */
function renderHolderExecutionCheck({ step, states, paths, name, holderItem }: LockParts): void {
  states.task(
    'HolderExecution',
    DESCRIBE_EXECUTION,
    {
      Parameters: { 'ExecutionArn.$': `${holderItem}.${A.owner}.S`, IncludedData: 'METADATA_ONLY' },
      ResultSelector: { 'Status.$': '$.Status' },
      ResultPath: paths.holderStatus,
      ...retryField(TRANSIENT_SFN_ERRORS, step.retry),
      Catch: [
        { ErrorEquals: ['Sfn.ExecutionDoesNotExistException'], ResultPath: null, Next: name('TakeOver') },
        { ErrorEquals: ['Sfn.InvalidArnException'], ResultPath: null, Next: name('HolderDeadline') },
      ],
      Next: name('HolderAlive'),
    },
    describeExecutionPermissions(),
  );
  states.add('HolderAlive', {
    Type: 'Choice',
    Choices: [{ Variable: `${paths.holderStatus}.Status`, StringEquals: 'RUNNING', Next: name('HolderBusy') }],
    Default: name('TakeOver'),
  });
  states.add('HolderDeadline', {
    Type: 'Choice',
    Comment:
      'Not an execution (a runtime invocation without executionArn): alive until its expiry, which has not passed',
    Choices: [{ Variable: `${holderItem}.${A.expiresAtTime}.S`, IsPresent: true, Next: name('HolderBusy') }],
    Default: name('TakeOver'),
  });
}

/**
 * HolderBusy → Busy | BusyStarting: ConcurrentExecution names the holder's statement id whenever
 * the lock item has one (even one this role may not describe), its owner only before it has one.
 * Each CausePath is reached only where its field is known present (a CausePath on an absent field
 * fails the execution with States.Runtime, which no Catch sees): StatementId by HolderState's or
 * HolderBusy's IsPresent rule, Owner because HolderExecution read it into its Parameters.
 */
function renderBusy({ states, name, holderItem }: LockParts): void {
  states.add('HolderBusy', {
    Type: 'Choice',
    Choices: [{ Variable: `${holderItem}.${A.statementId}.S`, IsPresent: true, Next: name('Busy') }],
    Default: name('BusyStarting'),
  });
  states.add('Busy', {
    Type: 'Fail',
    Comment: "The same SQL is still running on this target; Cause is the holder's statement id",
    Error: STEP_ERRORS.concurrentExecution,
    CausePath: `${holderItem}.${A.statementId}.S`,
  });
  states.add('BusyStarting', {
    Type: 'Fail',
    Comment: 'The holder is starting the same SQL and has no statement id yet; Cause is its execution',
    Error: STEP_ERRORS.concurrentExecution,
    CausePath: `${holderItem}.${A.owner}.S`,
  });
}

/** TakeOver → `execute`: replace the stale holder, conditionally on the nonce examined. */
function renderTakeOver({ ctx, step, states, paths, name, table, holderItem }: LockParts, execute: string): void {
  states.task(
    'TakeOver',
    DYNAMODB.updateItem,
    {
      Comment: 'Replace the stale holder, only if it is still the one we examined',
      Parameters: {
        TableName: table,
        Key: itemKey(step),
        UpdateExpression:
          'SET #owner = :owner, #nonce = :nonce, #pipeline = :pipeline, #step = :step REMOVE #statement, #expires, #expiresTime',
        ConditionExpression: '#nonce = :seen',
        ExpressionAttributeNames: {
          '#owner': A.owner,
          '#nonce': A.nonce,
          '#pipeline': A.pipeline,
          '#step': A.stepId,
          '#statement': A.statementId,
          '#expires': A.expiresAt,
          '#expiresTime': A.expiresAtTime,
        },
        ExpressionAttributeValues: {
          ':owner': { 'S.$': `${paths.lock}.Owner` },
          ':nonce': { 'S.$': `${paths.lock}.Nonce` },
          ':pipeline': { S: ctx.pipeline.name },
          ':step': { S: step.id },
          ':seen': { 'S.$': `${holderItem}.${A.nonce}.S` },
        },
      },
      ResultPath: null,
      ...dynamoRetry(step),
      Catch: [{ ErrorEquals: [CONDITION_FAILED], ResultPath: null, Next: name('Holder') }],
      Next: execute,
    },
    tablePermissions(DYNAMODB.updateItem, table),
  );
}

/** Records the statement id on the lock so that contenders can judge it; best effort. */
export function renderRegisterStatement(ctx: CompileContext, step: StatementStep, then: string): string {
  const paths = stepPaths(step.id);
  return ctx.scope.step(step.id).task(
    'Register',
    DYNAMODB.updateItem,
    {
      Parameters: {
        TableName: ctx.pipeline.stateTable,
        Key: itemKey(step),
        UpdateExpression: 'SET #statement = :statement',
        ConditionExpression: '#nonce = :mine',
        ExpressionAttributeNames: { '#statement': A.statementId, '#nonce': A.nonce },
        ExpressionAttributeValues: {
          ':statement': { 'S.$': paths.statementId },
          ':mine': { 'S.$': `${paths.lock}.Nonce` },
        },
      },
      ResultPath: null,
      ...dynamoRetry(step),
      // Without a registered id the lock still holds: contenders then judge by our execution.
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: then }],
      Next: then,
    },
    tablePermissions(DYNAMODB.updateItem, ctx.pipeline.stateTable),
  );
}

function releaseParameters(ctx: CompileContext, step: StatementStep): JsonObject {
  return {
    TableName: ctx.pipeline.stateTable,
    Key: itemKey(step),
    ConditionExpression: '#nonce = :mine',
    ExpressionAttributeNames: { '#nonce': A.nonce },
    ExpressionAttributeValues: { ':mine': { 'S.$': `${stepPaths(step.id).lock}.Nonce` } },
  };
}

/** Release after success; a lock already taken over by someone else is left to them. */
export function renderRelease(ctx: CompileContext, step: StatementStep, then: Transition): string {
  return ctx.scope.step(step.id).task(
    'Release',
    DYNAMODB.deleteItem,
    {
      Parameters: releaseParameters(ctx, step),
      ResultPath: null,
      ...dynamoRetry(step),
      ...(then.Next !== undefined
        ? { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: then.Next }] }
        : {}),
      ...then,
    },
    tablePermissions(DYNAMODB.deleteItem, ctx.pipeline.stateTable),
  );
}

/**
 * Release on failure, then raise the original error and cause. Returns the release state. A
 * caught error's Cause may be absent (a Task timeout has none), and a CausePath to an absent or
 * non-string field raises States.Runtime, which no Catch sees ("Fail" state, Step Functions
 * developer guide): RaiseCause looks before CausePath is used. Choice rules run in order, so the
 * IsString rule never meets an absent field.
 */
export function renderReleaseAndRaise(ctx: CompileContext, step: StatementStep): string {
  const paths = stepPaths(step.id);
  const states = ctx.scope.step(step.id);
  const name = states.name.bind(states);
  const cause = `${paths.error}.Cause`;
  states.add('Raise', { Type: 'Fail', ErrorPath: `${paths.error}.Error`, CausePath: cause });
  states.add('RaiseUntold', { Type: 'Fail', ErrorPath: `${paths.error}.Error` });
  const raise = states.add('RaiseCause', {
    Type: 'Choice',
    Choices: [
      { Not: { Variable: cause, IsPresent: true }, Next: name('RaiseUntold') },
      { Variable: cause, IsString: true, Next: name('Raise') },
    ],
    Default: name('RaiseUntold'),
  });
  return states.task(
    'ReleaseOnError',
    DYNAMODB.deleteItem,
    {
      Parameters: releaseParameters(ctx, step),
      ResultPath: null,
      ...dynamoRetry(step),
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: raise }],
      ...next(raise),
    },
    tablePermissions(DYNAMODB.deleteItem, ctx.pipeline.stateTable),
  );
}

/** Catch-all of the Tasks that run while the lock is held: release, then re-raise. */
export function lockHeldCatchers(step: StatementStep, releaseOnError: string): Catcher[] {
  return [{ ErrorEquals: ['States.ALL'], ResultPath: stepPaths(step.id).error, Next: releaseOnError }];
}
