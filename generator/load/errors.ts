/** Position of a problem in a spec file, 1-based as editors show it. */
export type SourceLocation = { readonly file: string; readonly line: number; readonly column: number };

export type SpecErrorCode =
  | 'yaml-syntax'
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
  constructor(
    readonly code: SpecErrorCode,
    readonly location: SourceLocation,
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${location.file}:${location.line}:${location.column}: ${field ? `${field}: ` : ''}${detail}`);
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
