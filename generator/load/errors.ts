/** Position of a problem in a spec file, 1-based as editors show it. */
export type SourceLocation = { readonly file: string; readonly line: number; readonly column: number };

export type SpecErrorCode =
  | 'yaml-syntax'
  | 'invalid-encoding'
  | 'empty-spec'
  | 'sql-file-outside'
  | 'sql-too-long'
  | 'unknown-field'
  | 'missing-field'
  | 'invalid-value'
  | 'duplicate-step-id'
  | 'duplicate-pipeline'
  | 'step-kind-conflict'
  | 'target-conflict'
  | 'invalid-duration'
  | 'invalid-placeholder'
  | 'invalid-parameter'
  | 'sql-file-not-found'
  | 'unsupported';

/** One problem in one spec: `file:line:col: field: message`. */
export class SpecError extends Error {
  override readonly name = 'SpecError';
  readonly code: SpecErrorCode;
  readonly location: SourceLocation;
  readonly field: string;
  readonly detail: string;
  constructor(code: SpecErrorCode, location: SourceLocation, field: string, detail: string) {
    // A hostile spec yields hundreds of thousands of these, and no one reads their stack traces:
    // capturing them was most of the time and garbage.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`${location.file}:${location.line}:${location.column}: ${field ? `${field}: ` : ''}${detail}`);
    Error.stackTraceLimit = stackTraceLimit;
    this.code = code;
    this.location = location;
    this.field = field;
    this.detail = detail;
  }
}

/** Every problem found in a set of specs; thrown so that nothing is written. */
export class SpecErrors extends Error {
  override readonly name = 'SpecErrors';
  constructor(readonly errors: readonly SpecError[]) {
    super(errors.map((error) => error.message).join('\n'));
  }
}

export function compareErrors(a: SpecError, b: SpecError): number {
  return (
    a.location.file.localeCompare(b.location.file) ||
    a.location.line - b.location.line ||
    a.location.column - b.location.column ||
    a.message.localeCompare(b.message)
  );
}
