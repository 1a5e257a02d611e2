/**
 * Names of the contract that generated machines, the runtime and users' own machines rely on:
 * the errors a step raises (catchable by name) and the prefix of every Data API StatementName.
 * Shared by the generator and the runtime, like the lock key.
 */
export const STEP_ERRORS = {
  statementFailed: 'Redshift.StatementFailed',
  statementAborted: 'Redshift.StatementAborted',
  statementTimeout: 'Redshift.StatementTimeout',
  concurrentExecution: 'ConcurrentExecution',
} as const;

/** Every statement a generated machine or the runtime submits is named `sfn-redshift/<pipeline>/<stepId>`. */
export const STATEMENT_NAME_PREFIX = 'sfn-redshift/';
