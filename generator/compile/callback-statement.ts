import type { StatementStep } from '../load/model.ts';
import type { InvocationPayload } from '../../runtime/src/invocation.ts';
import type { Transition } from './asl.ts';
import type { CompileContext } from './context.ts';
import { clientToken, retryField } from './data-api.ts';
import { STEP_ERRORS } from './errors.ts';
import { invokePermissions, LAMBDA } from './integrations.ts';
import type { StateRole } from './plan.ts';
import type { StepStates } from './state-scope.ts';
import { stepPaths } from './step-paths.ts';

/** Lambda service errors worth retrying (not function errors). */
export const TRANSIENT_LAMBDA_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/** The parts of a payload in order, each an object literal checked against the runtime's event (a misspelt field is a compile error). */
function payload(...parts: InvocationPayload[]): InvocationPayload {
  return Object.assign({}, ...parts);
}

/** The runtime's event for submitting this step's statement (the seed's API plus our extensions). */
function submitPayload(step: StatementStep): InvocationPayload {
  const { statement, target } = step;
  const action = step.singleton
    ? 'executeSingletonStatement'
    : statement.kind === 'batch'
      ? 'batchExecuteStatement'
      : 'executeStatement';
  return payload(
    { action },
    statement.kind === 'batch' ? { sqls: statement.sqls } : { sqlStatement: statement.sql },
    step.parameters.length > 0
      ? {
          parameters: Object.fromEntries(
            step.parameters.map(({ name, value }) =>
              value.kind === 'path' ? [`${name}.$`, `States.Format('{}', ${value.path})`] : [name, value.value],
            ),
          ),
        }
      : {},
    {
      'taskToken.$': '$$.Task.Token',
      'executionArn.$': '$$.Execution.Id',
      stepId: step.id,
      statementName: step.statementName,
      'clientToken.$': clientToken(step),
    },
    target.kind === 'cluster' ? { clusterIdentifier: target.cluster } : { workgroupName: target.workgroup },
    { database: target.database },
    target.kind === 'cluster' && target.dbUser !== undefined ? { dbUser: target.dbUser } : {},
    target.secretArn !== undefined ? { secretArn: target.secretArn } : {},
  );
}

function latestPayload(step: StatementStep, action: 'timeoutStatement' | 'getStatementResult'): InvocationPayload {
  return payload(
    { action, statementId: 'LATEST', 'executionArn.$': '$$.Execution.Id', stepId: step.id },
    action === 'getStatementResult' ? { format: 'stepFunctions' } : {},
    action === 'getStatementResult' && step.results ? { ...step.results } : {},
  );
}

/**
 * A statement in callback mode: the runtime Lambda submits it `WithEvent` and stores the task
 * token; Redshift's completion event resumes the Task with the step record (or fails it with the
 * contract's error). The Task's TimeoutSeconds is the budget. On States.Timeout the runtime looks
 * before it cancels (the completion event may have been lost: EventBridge delivers it best-effort):
 * FINISHED → the step record, and the step goes on as if the event had come; FAILED / ABORTED →
 * those errors; still running → cancelled, Redshift.StatementTimeout.
 */
export function renderCallbackStatement(ctx: CompileContext, step: StatementStep, exit: Transition): string {
  const { pipeline } = ctx;
  const states = ctx.scope.step(step.id);
  const paths = stepPaths(step.id);
  const name = states.name.bind(states);
  const lambdaRetry = retryField(TRANSIENT_LAMBDA_ERRORS, step.retry);
  if (step.singleton) states.lock({ takenBy: 'runtime' });

  const done = step.results ? renderCallbackResults(ctx, step, exit) : undefined;
  states.task(
    'Execute',
    LAMBDA.invokeWaitForTaskToken,
    {
      Comment: 'The runtime submits the statement; its completion event answers the task token',
      Parameters: { FunctionName: pipeline.runtimeFunctionArn, Payload: submitPayload(step) },
      ResultPath: paths.record,
      TimeoutSeconds: step.timeoutSeconds,
      ...lambdaRetry,
      Catch: [
        { ErrorEquals: ['States.Timeout'], ResultPath: paths.error, Next: name('Cancel') },
        { ErrorEquals: [STEP_ERRORS.concurrentExecution], ResultPath: paths.error, Next: name('Busy') },
      ],
      ...(done !== undefined ? { Next: done } : exit),
    },
    invokePermissions(LAMBDA.invokeWaitForTaskToken, pipeline.runtimeFunctionArn),
  );
  states.task(
    'Cancel',
    LAMBDA.invoke,
    {
      Comment: 'Budget spent: the runtime looks first (its event may be lost), and cancels a statement still running',
      Parameters: { FunctionName: pipeline.runtimeFunctionArn, Payload: latestPayload(step, 'timeoutStatement') },
      ResultSelector: {
        'Id.$': '$.Payload.Id',
        'Status.$': '$.Payload.Status',
        'ResultRows.$': '$.Payload.ResultRows',
        'HasResultSet.$': '$.Payload.HasResultSet',
      },
      ResultPath: paths.record,
      ...lambdaRetry,
      Catch: [
        {
          ErrorEquals: [STEP_ERRORS.statementTimeout, STEP_ERRORS.statementFailed, STEP_ERRORS.statementAborted],
          ResultPath: paths.error,
          Next: name('Settled'),
        },
        // Nothing registered (it never started): nothing is left running; the budget is still spent.
        { ErrorEquals: ['States.ALL'], ResultPath: `${paths.error}.Cancel`, Next: name('EarlyCause') },
      ],
      ...(done !== undefined ? { Next: done } : exit),
    },
    invokePermissions(LAMBDA.invoke, pipeline.runtimeFunctionArn),
  );
  // Redshift.StatementTimeout, or how the statement ended unheard (the error the runtime raised).
  renderFunctionErrorRaise(states, { unwrap: 'Settled', raise: 'TimedOut' });
  renderTimedOutEarly(states, `${paths.error}.Cancel.Cause`);
  // The contract's Cause for ConcurrentExecution is the holder's statement id: the message.
  renderFunctionErrorRaise(states, { unwrap: 'Busy', raise: 'Concurrent', error: STEP_ERRORS.concurrentExecution });
  return name('Execute');
}

/**
 * A function error's Cause is Lambda's JSON ({errorMessage, errorType, trace}) and the contract's
 * Cause is its message: `unwrap` parses it, `raise` fails with `error` (default: the caught error's
 * own name) and the message. Both paths exist: the runtime's errors always carry the message.
 */
function renderFunctionErrorRaise(
  states: StepStates,
  roles: { readonly unwrap: StateRole; readonly raise: StateRole; readonly error?: string },
): string {
  const error = stepPaths(states.stepId).error;
  states.add(roles.unwrap, {
    Type: 'Pass',
    Parameters: { 'Error.$': `${error}.Error`, 'Lambda.$': `States.StringToJson(${error}.Cause)` },
    ResultPath: error,
    Next: states.name(roles.raise),
  });
  states.add(roles.raise, {
    Type: 'Fail',
    ...(roles.error !== undefined ? { Error: roles.error } : { ErrorPath: `${error}.Error` }),
    CausePath: `${error}.Lambda.errorMessage`,
  });
  return states.name(roles.unwrap);
}

/**
 * The budget was spent but the runtime could not cancel (nothing registered, or the invoke itself
 * failed): Redshift.StatementTimeout with the caught error's Cause. A caught error may have none,
 * and a CausePath to an absent field raises States.Runtime ("Fail" state, Step Functions developer
 * guide), so EarlyCause looks first; Choice rules run in order, so IsString never meets an absent field.
 */
function renderTimedOutEarly(states: StepStates, cause: string): void {
  const name = states.name.bind(states);
  states.add('EarlyCause', {
    Type: 'Choice',
    Choices: [
      { Not: { Variable: cause, IsPresent: true }, Next: name('TimedOutUntold') },
      { Variable: cause, IsString: true, Next: name('TimedOutEarly') },
    ],
    Default: name('TimedOutUntold'),
  });
  states.add('TimedOutEarly', {
    Type: 'Fail',
    Comment: 'The budget was spent but there was nothing to cancel; Cause is why',
    Error: STEP_ERRORS.statementTimeout,
    CausePath: cause,
  });
  states.add('TimedOutUntold', {
    Type: 'Fail',
    Comment: 'The budget was spent and the runtime could not be asked to cancel; it told no cause',
    Error: STEP_ERRORS.statementTimeout,
    Cause: 'The budget was spent; the runtime could not be asked to cancel the statement',
  });
}

/** `results: true`: the first page through the runtime, in Step Functions' casing like poll mode. */
function renderCallbackResults(ctx: CompileContext, step: StatementStep, exit: Transition): string {
  const { pipeline } = ctx;
  const states = ctx.scope.step(step.id);
  const paths = stepPaths(step.id);
  const name = states.name.bind(states);
  const record = states.add('Record', {
    Type: 'Pass',
    Comment: 'The step record of the contract with the first result page',
    Parameters: {
      'Id.$': `${paths.record}.Id`,
      'Status.$': `${paths.record}.Status`,
      'ResultRows.$': `${paths.record}.ResultRows`,
      'HasResultSet.$': `${paths.record}.HasResultSet`,
      'Result.$': `${paths.record}.Page.Result`,
    },
    ResultPath: paths.record,
    ...exit,
  });
  states.task(
    'FetchResult',
    LAMBDA.invoke,
    {
      Parameters: { FunctionName: pipeline.runtimeFunctionArn, Payload: latestPayload(step, 'getStatementResult') },
      ResultSelector: { 'Result.$': '$.Payload' },
      ResultPath: `${paths.record}.Page`,
      ...retryField(TRANSIENT_LAMBDA_ERRORS, step.retry),
      Catch: [{ ErrorEquals: [STEP_ERRORS.resultTooLarge], ResultPath: paths.error, Next: name('TooLarge') }],
      Next: record,
    },
    invokePermissions(LAMBDA.invoke, pipeline.runtimeFunctionArn),
  );
  // The runtime refused a result over the step's limits (ResultRows, ResultSize, then the page's JSON
  // exactly) before it could exceed the 256 KiB state; the Cause is Lambda's JSON, the message the sizes.
  renderFunctionErrorRaise(states, { unwrap: 'TooLarge', raise: 'ResultTooLarge', error: STEP_ERRORS.resultTooLarge });
  // A batch's own HasResultSet does not tell whether a sub-statement returned rows: the runtime
  // picks the last one that did.
  if (step.statement.kind === 'batch') return name('FetchResult');
  states.add('NoResult', {
    Type: 'Pass',
    Result: { Result: { Records: [], ColumnMetadata: [], TotalNumRows: 0 } },
    ResultPath: `${paths.record}.Page`,
    Next: record,
  });
  return states.add('HasResult', {
    Type: 'Choice',
    Choices: [{ Variable: `${paths.record}.HasResultSet`, BooleanEquals: true, Next: name('FetchResult') }],
    Default: name('NoResult'),
  });
}
