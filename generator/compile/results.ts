import { resultTooLargeCause } from '../../runtime/src/contract.ts';
import type { ResultLimits, StatementStep } from '../load/model.ts';
import type { CompileContext } from './context.ts';
import { dataApiRetry } from './data-api.ts';
import { STEP_ERRORS } from './errors.ts';
import { DATA_API, dataApiPermissions } from './integrations.ts';
import { arrayItem, format, mathAdd } from './intrinsics.ts';
import { stepPaths } from './step-paths.ts';

const EMPTY_RESULT = { Records: [], ColumnMetadata: [], TotalNumRows: 0 };

/**
 * `results`: the first GetStatementResult page at `Result`. A single statement without a result set
 * gets an empty result; a batch fetches its last sub-statement that has one. Before fetching, the
 * result's ResultRows and ResultSize are compared with the step's limits (see renderResultCheck).
 */
export function renderResults(ctx: CompileContext, step: StatementStep, limits: ResultLimits, then: string): string {
  const states = ctx.scope.step(step.id);
  const paths = stepPaths(step.id);
  const name = states.name.bind(states);
  const ids = `${paths.statement}.ResultSetIds`;
  const isBatch = step.statement.kind === 'batch';

  states.task(
    'FetchResult',
    DATA_API.getStatementResult,
    {
      Parameters: { 'Id.$': isBatch ? `${paths.fetched}.Id` : paths.statementId },
      ResultPath: paths.result,
      ...dataApiRetry(step.retry),
      Next: then,
    },
    dataApiPermissions(DATA_API.getStatementResult, step.target),
  );
  states.add('NoResult', { Type: 'Pass', Result: EMPTY_RESULT, ResultPath: paths.result, Next: then });
  const check = renderResultCheck(ctx, step, limits, name('FetchResult'));
  states.add('HasResult', {
    Type: 'Choice',
    Choices: [
      isBatch
        ? { Variable: `${ids}[0]`, IsPresent: true, Next: check }
        : { Variable: `${paths.statement}.HasResultSet`, BooleanEquals: true, Next: check },
    ],
    Default: name('NoResult'),
  });
  return name('HasResult');
}

/** The last item of an array at `path` (which must not be empty). */
function last(path: string): string {
  return arrayItem(path, mathAdd(`States.ArrayLength(${path})`, '-1'));
}

/**
 * Step Functions holds a state in 256 KiB and fails the execution with States.DataLimitExceeded,
 * which no Catch handles, when a Task's output is larger ("Step Functions service quotas", "Error
 * handling"). So before fetching, the sizes DescribeStatement reports for the statement fetched
 * (a batch: its last sub-statement with a result set) are compared with the step's limits, and a
 * result over one fails the step with Redshift.ResultTooLarge, Cause the sizes and the limits.
 * ResultSize counts the data's bytes, which the page's JSON exceeds (field wrappers, column
 * metadata): the row limit bounds that overhead (SPEC_DEFAULTS.results says by how much).
 */
function renderResultCheck(ctx: CompileContext, step: StatementStep, limits: ResultLimits, fetch: string): string {
  const states = ctx.scope.step(step.id);
  const paths = stepPaths(step.id);
  const name = states.name.bind(states);
  const isBatch = step.statement.kind === 'batch';
  const sizes = isBatch ? paths.fetched : paths.statement;
  const [rows, bytes] = [`${sizes}.ResultRows`, `${sizes}.ResultSize`];
  states.add('TooLarge', {
    Type: 'Pass',
    Parameters: {
      Error: STEP_ERRORS.resultTooLarge,
      'Cause.$': format(resultTooLargeCause({ rows: '{}', bytes: '{}', source: 'described' }, limits), rows, bytes),
    },
    ResultPath: paths.error,
    Next: name('ResultTooLarge'),
  });
  states.add('ResultTooLarge', { Type: 'Fail', Error: STEP_ERRORS.resultTooLarge, CausePath: `${paths.error}.Cause` });
  const over = (path: string, limit: number) => ({ Variable: path, NumericGreaterThan: limit, Next: name('TooLarge') });
  const check = states.add('ResultSize', {
    Type: 'Choice',
    Comment: `A result over ${limits.maxRows} rows or ${limits.maxBytes} bytes would not fit the state`,
    Choices: [over(rows, limits.maxRows), over(bytes, limits.maxBytes)],
    Default: fetch,
  });
  if (!isBatch) return check;
  const described = paths.statement;
  return states.add('LastResult', {
    Type: 'Pass',
    Comment: 'The sub-statement fetched: the last one that returned rows',
    Parameters: {
      'Id.$': last(`${described}.ResultSetIds`),
      'ResultRows.$': last(`${described}.ResultSetRows`),
      'ResultSize.$': last(`${described}.ResultSetSizes`),
    },
    ResultPath: paths.fetched,
    Next: check,
  });
}
