// The machines the benchmark compares: ours (compiled from a one-step spec, poll or callback mode)
// and the baselines in test/bench/baselines/ (plain ASL written from the public designs' descriptions).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import type { PipelinePlan } from '../../generator/compile/plan.ts';
import type { StateMachine } from '../../generator/compile/asl.ts';
import { loadPipeline } from '../../generator/load/load.ts';
import type { Pipeline } from '../../generator/load/model.ts';

export type DesignId = 'poll' | 'long-poll' | 'callback' | 'a' | 'b' | 'b-heartbeat';

export const DESIGNS: Readonly<Record<DesignId, { label: string; file?: string }>> = {
  poll: { label: 'ours, poll mode (defaults)' },
  'long-poll': { label: 'ours, poll mode, longPoll 30s' },
  callback: { label: 'ours, callback mode' },
  a: { label: 'baseline (a): fixed 10 s poll loop', file: 'a-fixed-poll.asl.json' },
  b: { label: 'baseline (b): seed Lambda callback', file: 'b-seed-callback.asl.json' },
  'b-heartbeat': { label: 'baseline (b) + documented heartbeat catch', file: 'b-seed-callback-heartbeat.asl.json' },
};

/** The spec's poll setting of the long-polling design. */
export const LONG_POLL_SPEC = '{ longPoll: 30s }';
export const LONG_POLL_SECONDS = 30;

export const BASELINE_DIRECTORY = join('test', 'bench', 'baselines');

export const RUNTIME_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:sfn-redshift-runtime';

/** The runtime's default target (environment), as a deployed seed function would have. */
export const RUNTIME_TARGET_ENV = {
  REDSHIFT_CLUSTER_ID: 'analytics',
  REDSHIFT_DATABASE: 'dev',
  REDSHIFT_DB_USER: 'etl',
} as const;

/** `${Name}` values for every machine of the benchmark. */
export const SUBSTITUTIONS: Readonly<Record<string, string>> = {
  ClusterId: 'analytics',
  Database: 'dev',
  DbUser: 'etl',
  FunctionArn: RUNTIME_ARN,
  RuntimeFunctionArn: RUNTIME_ARN,
};

export function loadBaseline(root: string, design: 'a' | 'b' | 'b-heartbeat'): Record<string, unknown> {
  const file = DESIGNS[design].file as string;
  return JSON.parse(readFileSync(join(root, BASELINE_DIRECTORY, file), 'utf8')) as Record<string, unknown>;
}

export function pipelineOf(yaml: string, path = 'bench/inline.yaml'): Pipeline {
  const { pipeline, errors } = loadPipeline({ path, text: yaml });
  if (!pipeline) throw new Error(errors.map((error) => error.message).join('\n'));
  return pipeline;
}

export type OurOptions = {
  mode: 'poll' | 'callback';
  /** Spec duration (e.g. `24h`); the default (1h) when absent. */
  timeout?: string;
  /** Spec poll schedule, e.g. `{ initial: 1s, max: 12s, factor: 2 }`; the defaults when absent. */
  poll?: string;
  /** The statement; default: the simulated one, its advisory-lock key from the execution input's `key`. */
  sql?: string;
  singleton?: boolean;
};

/** Our one-step pipeline: the statement's SQL takes the advisory-lock key from `$.key`. */
export function ourSpec(options: OurOptions): string {
  const defaults = [
    options.timeout !== undefined ? `timeout: ${options.timeout}` : '',
    options.poll !== undefined ? `poll: ${options.poll}` : '',
  ]
    .filter((part) => part !== '')
    .join(', ');
  return [
    'version: 1',
    `pipeline: bench-${options.mode}`,
    `mode: ${options.mode}`,
    'target: { cluster: analytics, database: dev, dbUser: etl }',
    ...(defaults !== '' ? [`defaults: { ${defaults} }`] : []),
    'steps:',
    '  - id: statement',
    `    sql: "${options.sql ?? 'select pg_advisory_xact_lock(:key)'}"`,
    ...(options.sql === undefined ? ['    parameters: { key: "$.key" }'] : []),
    ...(options.singleton ? ['    singleton: true'] : []),
    '',
  ].join('\n');
}

export function ourPlan(options: OurOptions): PipelinePlan {
  return compilePipeline(pipelineOf(ourSpec(options)));
}

export function ourMachine(options: OurOptions): StateMachine {
  return ourPlan(options).machine;
}
