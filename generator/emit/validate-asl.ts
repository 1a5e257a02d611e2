import { createRequire } from 'node:module';

type AslValidator = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };

const validator = createRequire(import.meta.url)('asl-validator') as AslValidator;

/** asl-validator with path and ARN checks; '' when valid, else its error text. */
export function aslProblems(definition: unknown): string {
  // asl-validator mutates its input.
  const result = validator(structuredClone(definition), { checkPaths: true, checkArn: true });
  return result.isValid ? '' : result.errorsText('\n') || 'invalid';
}
