// AWS's cfn-lint (the Python package on PATH, as test/runtime/template.test.ts uses it). In CI
// (CI=true) a missing linter fails instead of silently skipping.
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
export const cfnLintVersion: string | undefined = version.status === 0 ? version.stdout.trim() : undefined;

it.runIf(process.env.CI === 'true')('cfn-lint is installed in CI', () => {
  expect(cfnLintVersion, 'cfn-lint must be on PATH in CI (pip package cfn-lint)').toBeDefined();
});

/** Errors and warnings of one template (informational checks off), as cfn-lint prints them. */
export function cfnLint(file: string, extraArgs: readonly string[] = []): { status: number | null; output: string } {
  const result = spawnSync('cfn-lint', [...extraArgs, '--', file], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
