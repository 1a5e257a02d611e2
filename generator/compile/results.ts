import type { StatementStep } from '../load/model.ts';
import type { CompileContext } from './context.ts';
import { dataApiRetry } from './data-api.ts';
import { DATA_API, dataApiPermissions } from './integrations.ts';
import { arrayItem, mathAdd } from './intrinsics.ts';
import { stepPaths } from './step-paths.ts';

const EMPTY_RESULT = { Records: [], ColumnMetadata: [], TotalNumRows: 0 };

/**
 * `results: true`: the first GetStatementResult page at `Result`. A single statement without a
 * result set gets an empty result; a batch fetches its last sub-statement that has one (the
 * Describe's ResultSelector keeps their ids at `ResultSetIds`).
 */
export function renderResults(ctx: CompileContext, step: StatementStep, then: string): string {
  const states = ctx.scope.step(step.id);
  const paths = stepPaths(step.id);
  const name = states.name.bind(states);
  const ids = `${paths.statement}.ResultSetIds`;
  const isBatch = step.statement.kind === 'batch';

  states.task(
    'FetchResult',
    DATA_API.getStatementResult,
    {
      Parameters: { 'Id.$': isBatch ? arrayItem(ids, mathAdd(`States.ArrayLength(${ids})`, '-1')) : paths.statementId },
      ResultPath: paths.result,
      ...dataApiRetry(step.retry),
      Next: then,
    },
    dataApiPermissions(DATA_API.getStatementResult, step.target),
  );
  states.add('NoResult', { Type: 'Pass', Result: EMPTY_RESULT, ResultPath: paths.result, Next: then });
  return states.add('HasResult', {
    Type: 'Choice',
    Choices: [
      isBatch
        ? { Variable: `${ids}[0]`, IsPresent: true, Next: name('FetchResult') }
        : { Variable: `${paths.statement}.HasResultSet`, BooleanEquals: true, Next: name('FetchResult') },
    ],
    Default: name('NoResult'),
  });
}
