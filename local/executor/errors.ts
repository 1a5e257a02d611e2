// How Step Functions names the errors of each integration. A Task handler throws a TaskFailure:
// aws-local-stepfunctions then fails the state with Error = its name and Cause = its message.
import { TaskFailure } from './registry.ts';

export { TaskFailure };

/** Step Functions always appends "Exception" to service error names (S3 `NoSuchKey` → `S3.NoSuchKeyException`). */
export function withExceptionSuffix(name: string): string {
  return name.endsWith('Exception') ? name : `${name}Exception`;
}

type ServiceError = Error & { $fault?: unknown; $metadata?: unknown };

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && ('$fault' in error || '$metadata' in error);
}

export type ErrorNaming = {
  /** `DynamoDb` (aws-sdk), `DynamoDB` (optimized), `RedshiftData`, `Sfn`. */
  prefix: string;
  /** The SDK's base service exception class: errors of exactly this class are unmodeled. */
  baseException: abstract new (
    ...args: never[]
  ) => Error;
  /** The name Step Functions gives unmodeled service errors (the Java client's base exception). */
  unmodeled: string;
};

/**
 * Names an SDK error as a Step Functions service integration does:
 * - a modeled service error → `<prefix>.<Name>` with the Exception suffix
 *   (`DynamoDB.ConditionalCheckFailedException`, `Sfn.ExecutionDoesNotExistException`);
 * - an unmodeled service error (e.g. DynamoDB's `ValidationException`) → `<prefix>.<unmodeled>`
 *   (`DynamoDb.DynamoDbException`, `DynamoDB.AmazonDynamoDBException`);
 * - a client-side failure (no answer from the endpoint) → `<prefix>.SdkClientException`.
 * Cause = the error's message.
 */
export function serviceTaskFailure(error: unknown, naming: ErrorNaming): TaskFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (isServiceError(error)) {
    const modeled = error.constructor !== naming.baseException;
    const name = modeled ? withExceptionSuffix(error.name) : naming.unmodeled;
    return new TaskFailure(`${naming.prefix}.${name}`, message);
  }
  return new TaskFailure(`${naming.prefix}.SdkClientException`, message);
}

/**
 * A Lambda function error as Step Functions reports it: Error = the error's name (Lambda's
 * errorType), Cause = the JSON `{"errorType","errorMessage","trace"}` the Node.js runtime writes.
 */
export function lambdaTaskFailure(error: unknown): TaskFailure {
  if (error instanceof Error) {
    const errorType = error.name || 'Error';
    const trace = (error.stack ?? `${errorType}: ${error.message}`).split('\n');
    return new TaskFailure(errorType, JSON.stringify({ errorType, errorMessage: error.message, trace }));
  }
  const errorMessage = typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
  return new TaskFailure('Error', JSON.stringify({ errorType: 'Error', errorMessage, trace: [] }));
}
