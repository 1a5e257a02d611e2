/**
 * Where a step keeps its working data while it runs: under its own record path `$.steps.<id>`,
 * which the final record then replaces. Nothing else of the state is touched.
 */
export type StepPaths = {
  readonly record: string;
  readonly run: string;
  readonly statementId: string;
  readonly statement: string;
  readonly result: string;
  /** `results` of a batch: the Id, ResultRows and ResultSize of the sub-statement fetched. */
  readonly fetched: string;
  readonly lock: string;
  readonly holder: string;
  readonly holderStatus: string;
  readonly error: string;
};

export function stepPaths(stepId: string): StepPaths {
  const record = `$.steps.${stepId}`;
  return {
    record,
    run: `${record}.Run`,
    statementId: `${record}.Run.Id`,
    statement: `${record}.Statement`,
    result: `${record}.Result`,
    fetched: `${record}.Fetched`,
    lock: `${record}.Lock`,
    holder: `${record}.Holder`,
    holderStatus: `${record}.HolderStatus`,
    error: `${record}.Error`,
  };
}
