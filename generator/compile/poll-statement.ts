import type { StatementStep } from '../load/model.ts';
import type { Catcher, ChoiceRule, JsonObject, Transition } from './asl.ts';
import { next, type CompileContext } from './context.ts';
import { dataApiRetry, submitParameters } from './data-api.ts';
import { STEP_ERRORS } from './errors.ts';
import { DATA_API, dataApiPermissions } from './integrations.ts';
import { arrayItem, arrayOf, format, mathAdd } from './intrinsics.ts';
import type { StateRole } from './plan.ts';
import { renderResults } from './results.ts';
import { LONG_POLL_PAIRS, LONG_POLL_ROUND, longPollPlan, pollPlan } from './schedule.ts';
import type { StepStates } from './state-scope.ts';
import {
  lockHeldCatchers,
  renderLockAcquisition,
  renderRegisterStatement,
  renderRelease,
  renderReleaseAndRaise,
} from './singleton.ts';
import { stepPaths } from './step-paths.ts';

/** Adds the state that raises a contract error with the Cause at `causePath` (known to be present). */
type Failure = (role: StateRole, error: string, causePath: string) => string;

/** Where a poll's answer leads: the terminal statuses, and the cancel once the budget is spent. */
type LoopExits = {
  readonly finished: string;
  readonly failed: string;
  readonly aborted: string;
  readonly cancel: string;
};

/**
 * A statement in poll mode: submit → wait → describe → FINISHED | FAILED | ABORTED | budget spent
 * (cancel, then fail) | wait again. The wait is a Wait state (capped exponential backoff computed
 * at compile time), or with `poll.longPoll` the DescribeStatement call itself (WaitTimeSeconds).
 * The budget is the sum of the waits, never a clock, so compressed time behaves the same.
 */
export function renderPollStatement(ctx: CompileContext, step: StatementStep, exit: Transition): string {
  const states = ctx.scope.step(step.id);
  const paths = stepPaths(step.id);
  const name = states.name.bind(states);
  const releaseOnError = step.singleton ? renderReleaseAndRaise(ctx, step) : undefined;
  const catchers: { Catch?: Catcher[] } = releaseOnError ? { Catch: lockHeldCatchers(step, releaseOnError) } : {};

  /** A contract error: a Fail state, or for a singleton step an error record released then raised. */
  const failure: Failure = (role, error, causePath) =>
    releaseOnError
      ? states.add(role, {
          Type: 'Pass',
          Parameters: { Error: error, 'Cause.$': causePath },
          ResultPath: paths.error,
          Next: releaseOnError,
        })
      : states.add(role, { Type: 'Fail', Error: error, CausePath: causePath });

  const record = states.add('Record', {
    Type: 'Pass',
    Comment: 'The step record of the contract replaces the working data',
    Parameters: {
      'Id.$': paths.statementId,
      'Status.$': `${paths.statement}.Status`,
      'ResultRows.$': `${paths.statement}.ResultRows`,
      'HasResultSet.$': `${paths.statement}.HasResultSet`,
      ...(step.results ? { 'Result.$': paths.result } : {}),
    },
    ResultPath: paths.record,
    ...exit,
  });
  const afterResults = step.results ? renderResults(ctx, step, step.results, record) : record;
  const finished = step.singleton ? renderRelease(ctx, step, next(afterResults)) : afterResults;

  const exits: LoopExits = {
    finished,
    failed: renderFailedExit(states, step, failure),
    aborted: failure('Aborted', STEP_ERRORS.statementAborted, paths.statementId),
    cancel: name('Cancel'),
  };
  const submit =
    step.poll.longPollSeconds === undefined
      ? renderBackoffLoop(ctx, step, exits, catchers)
      : renderLongPollLoop(ctx, step, step.poll.longPollSeconds, exits, catchers);
  const timedOut = failure('TimedOut', STEP_ERRORS.statementTimeout, paths.statementId);
  states.task(
    'Cancel',
    DATA_API.cancelStatement,
    {
      Comment: 'Budget spent: cancel the statement so that nothing keeps running',
      Parameters: { 'Id.$': paths.statementId },
      ResultPath: null,
      ...dataApiRetry(step.retry),
      Catch: [
        // It ended between the last poll and the cancel: nothing is left running.
        {
          ErrorEquals: ['RedshiftData.ValidationException', 'RedshiftData.ResourceNotFoundException'],
          ResultPath: null,
          Next: timedOut,
        },
        ...(catchers.Catch ?? []),
      ],
      Next: timedOut,
    },
    dataApiPermissions(DATA_API.cancelStatement, step.target),
  );
  return step.singleton ? renderLockAcquisition(ctx, step, submit) : submit;
}

/**
 * FAILED → Redshift.StatementFailed with Redshift's error text as Cause. DescribeStatement's `Error`
 * is optional in the API model (a batch may carry it on the failing sub-statement only), and a
 * CausePath to an absent field raises States.Runtime, which no Catch sees ("Fail" state, Step
 * Functions developer guide); the Describe's ResultSelector keeps every `Error` of the answer as a
 * list, so the Cause is its first element, or says that the Data API gave none.
 */
function renderFailedExit(states: StepStates, step: StatementStep, failure: Failure): string {
  const paths = stepPaths(step.id);
  const name = states.name.bind(states);
  const withText = failure('Failed', STEP_ERRORS.statementFailed, `${paths.statement}.Errors[0]`);
  states.add('FailedUntold', {
    Type: 'Pass',
    Comment: 'FAILED without an error text: the Cause says so and names the statement',
    Parameters: {
      'Errors.$': `States.Array(${format('Statement {} FAILED; the Data API gave no error text', paths.statementId)})`,
    },
    ResultPath: paths.statement,
    Next: withText,
  });
  return states.add('FailedText', {
    Type: 'Choice',
    Choices: [{ Variable: `${paths.statement}.Errors[0]`, IsPresent: true, Next: withText }],
    Default: name('FailedUntold'),
  });
}

/**
 * What a poll keeps of DescribeStatement's answer: what the machine reads, never the SQL text,
 * parameters or sub-statements (up to 100 KB of SQL each), so that the state stays far below Step
 * Functions' 256 KiB ("Step Functions service quotas"). The API model marks every member but Id
 * optional; the Data API answers Status, ResultRows, ResultSize and HasResultSet at every status
 * (-1 standing for a null size, DescribeStatement reference), and the machine has read them
 * unguarded since v1. `Error` comes only after a failure, so it is taken with a deep scan, which
 * yields a list (empty when absent) instead of failing the state. A batch that fetches results also keeps
 * the ids and sizes of its sub-statements that have a result set.
 */
function describeSelector(step: StatementStep): JsonObject {
  const resultSets = '$.SubStatements[?(@.HasResultSet == true)]';
  return {
    'Status.$': '$.Status',
    'ResultRows.$': '$.ResultRows',
    'ResultSize.$': '$.ResultSize',
    'HasResultSet.$': '$.HasResultSet',
    'Errors.$': '$..Error',
    ...(step.results && step.statement.kind === 'batch'
      ? {
          'ResultSetIds.$': `${resultSets}.Id`,
          'ResultSetRows.$': `${resultSets}.ResultRows`,
          'ResultSetSizes.$': `${resultSets}.ResultSize`,
        }
      : {}),
  };
}

/**
 * Execute (→ Register for a singleton step) → `firstPoll`: the submit keeps the statement id and the
 * loop's starting counters at `Run`. Returns the submit state.
 */
function renderSubmit(
  ctx: CompileContext,
  step: StatementStep,
  submit: {
    readonly counters: JsonObject;
    readonly firstPoll: string;
    readonly catchers: { Catch?: Catcher[] };
    readonly wait?: JsonObject;
  },
): string {
  const states = ctx.scope.step(step.id);
  const { call, parameters } = submitParameters(step);
  const state = states.task(
    'Execute',
    call,
    {
      Parameters: { ...parameters, ...submit.wait },
      ResultSelector: { 'Id.$': '$.Id', ...submit.counters },
      ResultPath: stepPaths(step.id).run,
      ...dataApiRetry(step.retry),
      ...submit.catchers,
      Next: step.singleton ? states.name('Register') : submit.firstPoll,
    },
    dataApiPermissions(call, step.target),
  );
  if (step.singleton) renderRegisterStatement(ctx, step, submit.firstPoll);
  return state;
}

/** A poll: DescribeStatement of the step's statement (long-polled with `wait`), kept through describeSelector. */
function renderDescribe(
  states: StepStates,
  step: StatementStep,
  poll: {
    readonly role: StateRole;
    readonly next: string;
    readonly catchers: { Catch?: Catcher[] };
    readonly comment?: string;
    readonly wait?: JsonObject;
  },
): string {
  const paths = stepPaths(step.id);
  return states.task(
    poll.role,
    DATA_API.describeStatement,
    {
      ...(poll.comment !== undefined ? { Comment: poll.comment } : {}),
      Parameters: { 'Id.$': paths.statementId, ...poll.wait },
      ResultSelector: describeSelector(step),
      ResultPath: paths.statement,
      ...dataApiRetry(step.retry),
      ...poll.catchers,
      Next: poll.next,
    },
    dataApiPermissions(DATA_API.describeStatement, step.target),
  );
}

function statusRules(step: StatementStep, exits: LoopExits): ChoiceRule[] {
  const status = `${stepPaths(step.id).statement}.Status`;
  return [
    { Variable: status, StringEquals: 'FINISHED', Next: exits.finished },
    { Variable: status, StringEquals: 'FAILED', Next: exits.failed },
    { Variable: status, StringEquals: 'ABORTED', Next: exits.aborted },
  ];
}

/** Execute → Wait → Describe → Status → Backoff | LastWait → Wait …; returns the submit state. */
function renderBackoffLoop(
  ctx: CompileContext,
  step: StatementStep,
  exits: LoopExits,
  catchers: { Catch?: Catcher[] },
): string {
  const states = ctx.scope.step(step.id);
  const paths = stepPaths(step.id);
  const name = states.name.bind(states);
  const { intervals, successor } = pollPlan(step.poll);
  const budget = step.timeoutSeconds;
  const firstWait = Math.min(intervals[0] as number, budget);
  const secondIndex = successor[0] as number;
  const run = paths.run;

  const wait = name('Wait');
  const submit = renderSubmit(ctx, step, {
    counters: {
      Interval: firstWait,
      Remaining: budget - firstWait,
      NextWait: intervals[secondIndex] as number,
      Poll: secondIndex,
    },
    firstPoll: wait,
    catchers,
  });

  states.add('Wait', { Type: 'Wait', SecondsPath: `${run}.Interval`, Next: name('Describe') });
  renderDescribe(states, step, { role: 'Describe', next: name('Status'), catchers });
  states.add('Status', {
    Type: 'Choice',
    Choices: [
      ...statusRules(step, exits),
      { Variable: `${run}.Remaining`, NumericLessThanEquals: 0, Next: exits.cancel },
      { Variable: `${run}.Remaining`, NumericLessThanPath: `${run}.NextWait`, Next: name('LastWait') },
    ],
    Default: name('Backoff'),
  });
  renderScheduleAdvance(states, step, wait);
  return submit;
}

/** Backoff and LastWait: the Pass states between two polls that advance the compile-time schedule. */
function renderScheduleAdvance(states: StepStates, step: StatementStep, wait: string): void {
  const { intervals, successor } = pollPlan(step.poll);
  const budget = step.timeoutSeconds;
  const paths = stepPaths(step.id);
  const run = paths.run;
  const index = `${run}.Poll`;
  states.add('Backoff', {
    Type: 'Pass',
    Comment: `Waits ${intervals.join(', ')}… seconds, then ${intervals.at(-1)} until the budget of ${budget} s is spent`,
    Parameters: {
      'Id.$': paths.statementId,
      'Interval.$': `${run}.NextWait`,
      'Remaining.$': mathAdd(`${run}.Remaining`, arrayItem(arrayOf(intervals.map((seconds) => -seconds)), index)),
      'NextWait.$': arrayItem(arrayOf(intervals), arrayItem(arrayOf(successor), index)),
      'Poll.$': arrayItem(arrayOf(successor), index),
    },
    ResultPath: run,
    Next: wait,
  });
  states.add('LastWait', {
    Type: 'Pass',
    Comment: 'The last wait is shortened so that the waits add up to the budget exactly',
    Parameters: {
      'Id.$': paths.statementId,
      'Interval.$': `${run}.Remaining`,
      Remaining: 0,
      'NextWait.$': `${run}.NextWait`,
      'Poll.$': index,
    },
    ResultPath: run,
    Next: wait,
  });
}

/**
 * Long polling: Execute → Describe → Status → Describe2 → Status2 → Describe3 → Status3 →
 * NextPolls → Describe …, each Describe waiting in the Data API (WaitTimeSeconds) until the
 * statement ends or its window passes. A Describe that answers a running status has waited its
 * whole window, so the budget is counted in windows without a clock; the counter is kept once per
 * round of LONG_POLL_ROUND polls (one Pass per round instead of one per poll keeps a 1 h statement
 * under 300 transitions and 24 h under 25,000 events), and each Status compares it with the
 * windows already spent in the round. See schedule.ts longPollPlan for the first window.
 */
function renderLongPollLoop(
  ctx: CompileContext,
  step: StatementStep,
  longPollSeconds: number,
  exits: LoopExits,
  catchers: { Catch?: Catcher[] },
): string {
  const states = ctx.scope.step(step.id);
  const paths = stepPaths(step.id);
  const name = states.name.bind(states);
  const plan = longPollPlan(longPollSeconds, step.timeoutSeconds, !step.singleton);
  const run = paths.run;
  const [first] = LONG_POLL_PAIRS;

  const submit = renderSubmit(ctx, step, {
    wait: plan.submitWait === undefined ? {} : { WaitTimeSeconds: plan.submitWait },
    counters: { Wait: plan.firstWait, Remaining: plan.remaining },
    firstPoll: name(first[0]),
    catchers,
  });

  LONG_POLL_PAIRS.forEach(([describe, status], index) => {
    const following = LONG_POLL_PAIRS[index + 1];
    renderDescribe(states, step, {
      role: describe,
      next: name(status),
      catchers,
      comment: `Answers when the statement ends, or after ${index === 0 ? 'its window' : `${plan.window} s`} with the status it has then`,
      wait: index === 0 ? { 'WaitTimeSeconds.$': `${run}.Wait` } : { WaitTimeSeconds: plan.window },
    });
    states.add(status, {
      Type: 'Choice',
      Choices: [
        ...statusRules(step, exits),
        { Variable: `${run}.Remaining`, NumericLessThanEquals: index * plan.window, Next: exits.cancel },
      ],
      Default: following === undefined ? name('NextPolls') : name(following[0]),
    });
  });
  states.add('NextPolls', {
    Type: 'Pass',
    Comment: `${LONG_POLL_ROUND} windows of ${plan.window} s spent: count them against the budget of ${step.timeoutSeconds} s`,
    Parameters: {
      'Id.$': paths.statementId,
      Wait: plan.window,
      'Remaining.$': mathAdd(`${run}.Remaining`, String(-LONG_POLL_ROUND * plan.window)),
    },
    ResultPath: run,
    Next: name(first[0]),
  });
  return submit;
}
