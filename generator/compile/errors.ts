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

/**
 * DescribeExecution (the lock's holder check). The SFN API model lists no throttling or server
 * error: Step Functions answers API throttling with `ThrottlingException` "Rate exceeded" (quotas
 * related to API action throttling) and server faults with 5xx codes, and an AWS SDK integration
 * names every error outside the model after the SDK's base exception, `Sfn.SfnException`
 * (Step Functions developer guide, "AWS SDK service integrations": `<ServiceName>.<ErrorName>`;
 * `Sfn.ThrottlingException` never occurs). That one name also covers errors that are not transient
 * (AccessDeniedException: a role without states:DescribeExecution, which the generated policy
 * grants); no Retrier can tell them apart by name, and failing a step on a throttled read is worse
 * than a few bounded retries of a read-only call before the same error. Of the model's own errors
 * only KmsThrottlingException (an execution encrypted with a customer-managed key) is transient.
 */
export const TRANSIENT_SFN_ERRORS = ['Sfn.SfnException', 'Sfn.KmsThrottlingException'] as const;

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
