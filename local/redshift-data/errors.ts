// Data API errors as the AWS JSON 1.1 protocol returns them: {"__type": name, "message": …}.
// Every client-side error of the real service answers HTTP 400 (ResourceNotFoundException too,
// although the Smithy model says 404); server-side ones answer 500.

export class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly httpStatus: number = 400,
    readonly fields: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = type;
  }
}

export const validation = (message: string): ApiError => new ApiError('ValidationException', message);

export const statementNotFound = (id: string): ApiError =>
  new ApiError('ResourceNotFoundException', 'Query does not exist.', 400, { ResourceId: id });

export const activeStatementsExceeded = (limit: number): ApiError =>
  new ApiError('ActiveStatementsExceededException', `Active statements exceeded the allowed quota (${limit}).`);

export const internalError = (message: string): ApiError => new ApiError('InternalServerException', message, 500);
