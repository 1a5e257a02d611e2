import type { StatementStep } from '../load/model.ts';
import type { Catcher, Transition } from './asl.ts';
import { next, type CompileContext } from './context.ts';
import { dataApiRetry, submitParameters } from './data-api.ts';
import { STEP_ERRORS } from './errors.ts';
import { DATA_API, dataApiPermissions } from './integrations.ts';
import { arrayItem, arrayOf, mathAdd } from './intrinsics.ts';
import type { StateRole } from './plan.ts';
import { renderResults } from './results.ts';
import { pollPlan } from './schedule.ts';
import { lockHeldCatchers, renderLockAcquisition, renderRegisterStatement, renderRelease, renderReleaseAndRaise } from './singleton.ts';
import { stepPaths } from './step-paths.ts';

/**
 * A statement in poll mode: submit → wait (capped exponential backoff, computed at compile time)
 * → describe → FINISHED | FAILED | ABORTED | budget spent (cancel, then fail) | wait again.
 * The budget is the sum of the waits, never a clock, so compressed time behaves the same.
 */
export function renderPollStatement(ctx: CompileContext, step: StatementStep, exit: Transition): string {
  const states = ctx.scope.step(step.id);
  const paths = stepPaths(step.id);
  const name = states.name.bind(states);
  const releaseOnError = step.singleton ? renderReleaseAndRaise(ctx, step) : undefined;
  const catchers: { Catch?: Catcher[] } = releaseOnError ? { Catch: lockHeldCatchers(step, releaseOnError) } : {};

  /** A contract error: a Fail state, or for a singleton step an error record released then raised. */
  const failure = (role: StateRole, error: string, causePath: string): string =>
    releaseOnError
      ? states.add(role, { Type: 'Pass', Parameters: { Error: error, 'Cause.$': causePath }, ResultPath: paths.error, Next: releaseOnError })
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
  const afterResults = step.results ? renderResults(ctx, step, record) : record;
  const finished = step.singleton ? renderRelease(ctx, step, next(afterResults)) : afterResults;

  const { intervals, successor } = pollPlan(step.poll);
  const budget = step.timeoutSeconds;
  const firstWait = Math.min(intervals[0] as number, budget);
  const secondIndex = successor[0] as number;
  const run = paths.run;

  const wait = name('Wait');
  const { call, parameters } = submitParameters(step);
  const submit = states.task('Execute', call, {
    Parameters: parameters,
    ResultSelector: { 'Id.$': '$.Id', Interval: firstWait, Remaining: budget - firstWait, NextWait: intervals[secondIndex] as number, Poll: secondIndex },
    ResultPath: run,
    ...dataApiRetry(step.retry),
    ...catchers,
    Next: step.singleton ? name('Register') : wait,
  }, dataApiPermissions(call, step.target));
  if (step.singleton) renderRegisterStatement(ctx, step, wait);

  states.add('Wait', { Type: 'Wait', SecondsPath: `${run}.Interval`, Next: name('Describe') });
  states.task('Describe', DATA_API.describeStatement, {
    Parameters: { 'Id.$': paths.statementId },
    ResultPath: paths.statement,
    ...dataApiRetry(step.retry),
    ...catchers,
    Next: name('Status'),
  }, dataApiPermissions(DATA_API.describeStatement, step.target));
  const status = `${paths.statement}.Status`;
  states.add('Status', {
    Type: 'Choice',
    Choices: [
      { Variable: status, StringEquals: 'FINISHED', Next: finished },
      { Variable: status, StringEquals: 'FAILED', Next: failure('Failed', STEP_ERRORS.statementFailed, `${paths.statement}.Error`) },
      { Variable: status, StringEquals: 'ABORTED', Next: failure('Aborted', STEP_ERRORS.statementAborted, paths.statementId) },
      { Variable: `${run}.Remaining`, NumericLessThanEquals: 0, Next: name('Cancel') },
      { Variable: `${run}.Remaining`, NumericLessThanPath: `${run}.NextWait`, Next: name('LastWait') },
    ],
    Default: name('Backoff'),
  });
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
    Parameters: { 'Id.$': paths.statementId, 'Interval.$': `${run}.Remaining`, Remaining: 0, 'NextWait.$': `${run}.NextWait`, 'Poll.$': index },
    ResultPath: run,
    Next: wait,
  });
  const timedOut = failure('TimedOut', STEP_ERRORS.statementTimeout, paths.statementId);
  states.task('Cancel', DATA_API.cancelStatement, {
    Comment: 'Budget spent: cancel the statement so that nothing keeps running',
    Parameters: { 'Id.$': paths.statementId },
    ResultPath: null,
    ...dataApiRetry(step.retry),
    Catch: [
      // It ended between the last poll and the cancel: nothing is left running.
      { ErrorEquals: ['RedshiftData.ValidationException', 'RedshiftData.ResourceNotFoundException'], ResultPath: null, Next: timedOut },
      ...(catchers.Catch ?? []),
    ],
    Next: timedOut,
  }, dataApiPermissions(DATA_API.cancelStatement, step.target));
  return step.singleton ? renderLockAcquisition(ctx, step, submit) : submit;
}
