/** Error names a generated step raises (contract): catchable by name in a surrounding machine. */
export { STEP_ERRORS } from '../../runtime/src/contract.ts';

/** Data API errors that are worth retrying; validation errors never are. */
export const TRANSIENT_DATA_API_ERRORS = [
  'RedshiftData.ActiveStatementsExceededException',
  'RedshiftData.ActiveSessionsExceededException',
  'RedshiftData.ActiveWaitingRequestsExceededException',
  'RedshiftData.InternalServerException',
  'RedshiftData.ThrottlingException',
] as const;

export const TRANSIENT_DYNAMODB_ERRORS = [
  'DynamoDB.ProvisionedThroughputExceededException',
  'DynamoDB.RequestLimitExceeded',
  'DynamoDB.RequestLimitExceededException',
  'DynamoDB.ThrottlingException',
  'DynamoDB.InternalServerErrorException',
] as const;

export const TRANSIENT_SFN_ERRORS = ['Sfn.ThrottlingException', 'Sfn.SfnException'] as const;

/** A pipeline that cannot become a valid state machine (a compiler invariant, not a spec error). */
export class CompileError extends Error {
  override readonly name = 'CompileError';
  constructor(
    readonly code: 'duplicate-state-name' | 'state-name-too-long' | 'unsupported',
    message: string,
  ) {
    super(message);
  }
}
