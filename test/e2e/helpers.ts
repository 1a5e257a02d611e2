// Shared pieces of the end-to-end tests: generated poll-mode machines from inline YAML, run with
// runPipeline on one local stack per test file, SQL straight on the stack's PostgreSQL.
import { DescribeStatementCommand, ExecuteStatementCommand } from '@aws-sdk/client-redshift-data';
import pg from 'pg';
import { runPipeline, type PipelineRun, type RunPipelineOptions } from '../../local/run-pipeline.ts';
import type { LocalStack } from '../../local/stack.ts';
import type { Pipeline } from '../../generator/load/model.ts';
import { pipelineFrom } from '../generator/helpers.ts';

export { pipelineFrom };

/** Wait states and retry intervals in the e2e suite last this long unless a test says otherwise. */
export const WAIT_MS = 10;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A spec's usual head: a cluster target through `${ClusterId}` and fast polls (1 s, then 2 s). */
export function spec(pipeline: string, steps: string): string {
  return `version: 1
pipeline: ${pipeline}
target: { cluster: "\${ClusterId}", database: dev, dbUser: etl }
defaults:
  poll: { initial: 1s, max: 2s }
  retry: { attempts: 2, interval: 1s }
steps:
${steps}`;
}

export function run(
  stack: LocalStack,
  pipeline: Pipeline | string,
  options: Omit<RunPipelineOptions, 'stack'> = {},
): Promise<PipelineRun> {
  return runPipeline(typeof pipeline === 'string' ? pipelineFrom(pipeline) : pipeline, {
    waitMs: WAIT_MS,
    ...options,
    stack,
  });
}

export async function sql<Row extends Record<string, unknown> = Record<string, unknown>>(
  stack: LocalStack,
  text: string,
  values: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * A gate for statements: the test holds a PostgreSQL advisory lock in its own session, and a
 * statement that calls `pg_advisory_xact_lock_shared(key)` blocks until `open()`. Deterministic,
 * unlike racing sleeps.
 */
export async function closedGate(
  stack: LocalStack,
  key: number,
): Promise<{ sql: string; open(): Promise<void>; close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('select pg_advisory_lock($1)', [key]);
  // Every open() waits for the one unlock: a close() after any of them cannot cut it short.
  let opening: Promise<void> | undefined;
  return {
    sql: `(select pg_advisory_xact_lock_shared(${key}))`,
    open() {
      opening ??= client.query('select pg_advisory_unlock($1)', [key]).then(() => undefined);
      return opening;
    },
    async close() {
      await client.end();
    },
  };
}

/** Submits a statement directly through the Data API client and waits for it to reach `until`. */
export async function statement(
  stack: LocalStack,
  text: string,
  until: readonly string[] = ['FINISHED', 'FAILED', 'ABORTED'],
): Promise<string> {
  const { Id } = await stack.clients.redshiftData.send(
    new ExecuteStatementCommand({ ClusterIdentifier: 'local', Database: 'dev', DbUser: 'etl', Sql: text }),
  );
  if (Id === undefined) throw new Error('ExecuteStatement answered no Id');
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const { Status } = await stack.clients.redshiftData.send(new DescribeStatementCommand({ Id }));
    if (Status !== undefined && until.includes(Status)) return Id;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`statement ${Id} did not reach ${until.join('|')}`);
}

/** Names of the states entered, in order (every nesting level). */
export function statesEntered(result: PipelineRun): string[] {
  return result.history.filter((event) => event.type.endsWith('StateEntered')).map((event) => event.stateName ?? '');
}
