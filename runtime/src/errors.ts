import { type ResultLimits, resultTooLargeCause, STEP_ERRORS } from './contract.ts';

/**
 * Errors the runtime raises. Step Functions sees a thrown error's `name` as the Task's Error and
 * its `message` as the Cause (Lambda's errorType / errorMessage), so every name here is contract.
 */
export const ERROR_NAMES = {
  invalidRequest: 'InvalidRequest',
  invalidConfiguration: 'InvalidConfiguration',
  previousExecutionNotFound: 'PreviousExecutionNotFound',
  concurrentExecution: STEP_ERRORS.concurrentExecution,
  statementFailed: STEP_ERRORS.statementFailed,
  statementAborted: STEP_ERRORS.statementAborted,
  resultTooLarge: STEP_ERRORS.resultTooLarge,
} as const;

/** Prefix of Data API errors passed on (`RedshiftData.ValidationException`, …), as in poll mode. */
export const DATA_API_ERROR_PREFIX = 'RedshiftData.';

export class RuntimeError extends Error {
  constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

/** A malformed event. `field` is the event field at fault (dotted path for nested values). */
export class InvalidRequest extends RuntimeError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(ERROR_NAMES.invalidRequest, `${field}: ${message}`);
  }
}

/** The Lambda's environment is unusable (a deployment error, not the caller's). */
export class InvalidConfiguration extends RuntimeError {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(ERROR_NAMES.invalidConfiguration, `${variable}: ${message}`);
  }
}

export class PreviousExecutionNotFound extends RuntimeError {
  constructor(executionArn: string, stepId: string | undefined) {
    super(
      ERROR_NAMES.previousExecutionNotFound,
      stepId === undefined
        ? `no statement registered for execution ${executionArn}`
        : `no statement registered for step ${stepId} of execution ${executionArn}`,
    );
  }
}

/** The same SQL is still running on the target. The message (Cause) identifies the holder. */
export class ConcurrentExecution extends RuntimeError {
  constructor(readonly holder: string) {
    super(ERROR_NAMES.concurrentExecution, holder);
  }
}

/** A result over the step's `results` limits: refused before it could reach the state (256 KiB). */
export class ResultTooLarge extends RuntimeError {
  constructor(sizes: Parameters<typeof resultTooLargeCause>[0], limits: ResultLimits) {
    super(ERROR_NAMES.resultTooLarge, resultTooLargeCause(sizes, limits));
  }
}

export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
