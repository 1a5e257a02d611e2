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
  /** `results` would exceed the step's row or byte limit; Cause: the sizes and the limits. */
  resultTooLarge: 'Redshift.ResultTooLarge',
} as const;

/** The `results` limits of a step: most rows, and most bytes of the Result's JSON in the step record. */
export type ResultLimits = { readonly maxRows: number; readonly maxBytes: number };

/** Where the sizes of a Redshift.ResultTooLarge come from: DescribeStatement before fetching, or the fetched page. */
const SIZE_SOURCES = {
  described: 'DescribeStatement ResultRows and ResultSize',
  page: 'the fetched page as JSON',
} as const;

/**
 * The Cause of Redshift.ResultTooLarge, the same words in both modes. Poll-mode machines build it
 * with States.Format, passing `{}` for the sizes (so no quote or brace may appear in the text).
 */
export function resultTooLargeCause(
  sizes: {
    readonly rows: string | number;
    readonly bytes: string | number;
    readonly source: keyof typeof SIZE_SOURCES;
  },
  limits: ResultLimits,
): string {
  return `the result has rows ${sizes.rows} and bytes ${sizes.bytes} (${SIZE_SOURCES[sizes.source]}), over the results limits maxRows ${limits.maxRows} and maxBytes ${limits.maxBytes}`;
}

/** Data API statement statuses: still running (lock holders, the reaper) and terminal (completion). */
export const RUNNING_STATUSES = ['SUBMITTED', 'PICKED', 'STARTED'] as const;
export const TERMINAL_STATUSES = ['FINISHED', 'FAILED', 'ABORTED'] as const;

/** Whether a status (as the Data API or an event reports it) is terminal. */
export function isTerminalStatus(status: string | undefined): boolean {
  return (TERMINAL_STATUSES as readonly (string | undefined)[]).includes(status);
}

/** Every statement a generated machine or the runtime submits is named `sfn-redshift/<pipeline>/<stepId>`. */
export const STATEMENT_NAME_PREFIX = 'sfn-redshift/';

/** The Data API's limit on StatementName. */
export const STATEMENT_NAME_MAX = 500;

const EXECUTION_ARN = /^arn:[a-z-]+:states:[a-z0-9-]*:\d*:execution:([^:/]{1,80}):([^:/]{1,80})$/;
const STATEMENT_NAME = /^sfn-redshift\/([A-Za-z0-9-]{1,64})\/([^/]+)(?:\/([^/]+))?$/;

/**
 * The StatementName suffix that identifies an execution: `<stateMachineName>:<executionName>`
 * (each at most 80 characters and free of `:` and `/`, so at most 161 characters, unique per
 * account and region). Generated machines write it as
 * `States.Format('…/{}:{}', $$.StateMachine.Name, $$.Execution.Name)`.
 */
export function executionSuffix(executionArn: string): string | undefined {
  const match = EXECUTION_ARN.exec(executionArn);
  return match ? `${match[1]}:${match[2]}` : undefined;
}

export type StatementNameParts = { pipeline: string; stepId: string; execution?: string };

/** `sfn-redshift/<pipeline>/<stepId>[/<execution suffix>]`, or undefined for any other name. */
export function parseStatementName(name: string): StatementNameParts | undefined {
  const match = STATEMENT_NAME.exec(name);
  if (!match) return undefined;
  const [, pipeline = '', stepId = '', execution] = match;
  return execution === undefined ? { pipeline, stepId } : { pipeline, stepId, execution };
}

/** Appends the execution's suffix to one of our names that has none (when it still fits). */
export function withExecutionSuffix(name: string, executionArn: string | undefined): string {
  const parts = parseStatementName(name);
  const suffix = executionArn === undefined ? undefined : executionSuffix(executionArn);
  if (parts === undefined || parts.execution !== undefined || suffix === undefined) return name;
  const named = `${name}/${suffix}`;
  return named.length <= STATEMENT_NAME_MAX ? named : name;
}
