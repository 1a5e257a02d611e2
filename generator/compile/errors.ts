/** Error names a generated step raises (contract): catchable by name in a surrounding machine. */
export { STEP_ERRORS } from '../../runtime/src/contract.ts';

/*
 * Names as Step Functions gives them: "ServiceName.ErrorName", both in PascalCase, always with the
 * Exception suffix even where the API reference's name lacks it (Step Functions developer guide,
 * "AWS SDK service integrations"). Every name is the API model's (SDK v3 clients) or one of the
 * errors common to all AWS APIs (ThrottlingException); test/generator/sdk-parameters.test.ts checks
 * each against the models. Only what is transient is retried, never a validation error.
 */

/**
 * Data API errors worth retrying: limits of concurrent statements, sessions and waiting requests,
 * throttling, and the model's server faults (InternalServer, DatabaseConnection, and
 * ExecuteStatement/BatchExecuteStatement's "environmental error"). A retried submit carries the same
 * ClientToken, so it cannot run the SQL twice.
 */
export const TRANSIENT_DATA_API_ERRORS = [
  'RedshiftData.ActiveStatementsExceededException',
  'RedshiftData.ActiveSessionsExceededException',
  'RedshiftData.ActiveWaitingRequestsExceededException',
  'RedshiftData.InternalServerException',
  'RedshiftData.DatabaseConnectionException',
  'RedshiftData.ExecuteStatementException',
  'RedshiftData.BatchExecuteStatementException',
  'RedshiftData.ThrottlingException',
] as const;

/** DynamoDB's throughput, request-rate and server errors (the model's RequestLimitExceeded gets the suffix). */
export const TRANSIENT_DYNAMODB_ERRORS = [
  'DynamoDB.ProvisionedThroughputExceededException',
  'DynamoDB.RequestLimitExceededException',
  'DynamoDB.ThrottlingException',
  'DynamoDB.InternalServerErrorException',
] as const;

/** Throttling, and SfnException: Step Functions' name for an error the SFN model does not list. */
export const TRANSIENT_SFN_ERRORS = ['Sfn.ThrottlingException', 'Sfn.SfnException'] as const;

/** A pipeline that cannot become a valid state machine (a compiler invariant, not a spec error). */
export class CompileError extends Error {
  override readonly name = 'CompileError';
  constructor(
    readonly code: 'duplicate-state-name' | 'state-name-too-long' | 'unsupported' | 'out-of-range',
    message: string,
  ) {
    super(message);
  }
}
