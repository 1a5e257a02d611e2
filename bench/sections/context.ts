// What every section of the benchmark shares: the local stack with the runtime bundle registered
// as the Lambda function, the simulator, options, and a way to run one execution.
import { randomUUID } from 'node:crypto';
import type { ExecuteOptions, ExecutionResult, LocalStack } from '../../local/stack.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../local/executor/aws.ts';
import type { Simulator } from '../lib/simulator.ts';
import { SUBSTITUTIONS } from '../lib/designs.ts';

export type BenchOptions = {
  quick: boolean;
  /** Repository root. */
  root: string;
  /** Where the bench's bundles live (node_modules/.cache/sfn-redshift-bench). */
  outdir: string;
  log: (line: string) => void;
};

export type RuntimeModule = {
  handler: (event: unknown, context?: unknown) => Promise<unknown>;
  setLogSink: (sink: (line: string) => void) => unknown;
};

export type BenchContext = BenchOptions & {
  stack: LocalStack;
  simulator: Simulator;
  runtime: RuntimeModule;
  runtimeBundle: { outfile: string; bytes: number };
};

export const MACHINE_NAME = 'BenchMachine';

export function executionName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`.slice(0, 80);
}

export function executionArnOf(name: string): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${MACHINE_NAME}:${name}`;
}

/** Runs a definition on the stack under a known execution name (so its ARN is known up front). */
export function execute(
  ctx: BenchContext,
  definition: unknown,
  input: unknown,
  name: string,
  options: ExecuteOptions = {},
): Promise<ExecutionResult> {
  return ctx.stack.execute(definition, input, {
    ...options,
    name,
    stateMachineName: MACHINE_NAME,
    substitutions: { ...SUBSTITUTIONS, ...options.substitutions },
  });
}
