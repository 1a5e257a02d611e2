// Generated callback-mode machines run end to end: the runtime Lambda (in-process, real SDK
// clients) submits through the local Data API on PostgreSQL, completion events reach it as from
// EventBridge, and it answers the task token through the local Step Functions API.
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { loadPipeline } from '../../generator/load/load.ts';
import type { LocalStack } from '../../local/stack.ts';
import { startTestStack } from '../support/shared-postgres.ts';
import { handler, setLogSink } from '../../runtime/src/index.ts';

const RUNTIME_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:sfn-redshift-runtime';
let stack: LocalStack;
let db: pg.Client;
/** Step ids whose completion events are lost (EventBridge delivers them best-effort). */
const lostEvents = new Set<string>();
/** Told when the runtime's submit of a step (and its own look right after) is over. */
const submitted = new Map<string, () => void>();
const submitOf = (stepId: string) => new Promise<void>((resolve) => submitted.set(stepId, resolve));

beforeAll(async () => {
  stack = await startTestStack({
    redshiftEventTarget: RUNTIME_ARN,
    dropRedshiftEvent: (event) =>
      [...lostEvents].some((stepId) => `${event.detail.statementName ?? ''}/`.startsWith(`sfn-redshift/cb/${stepId}/`)),
  });
  Object.assign(process.env, stack.lambdaEnvironment, { REDSHIFT_CLUSTER_ID: 'analytics', REDSHIFT_DATABASE: 'dev' });
  setLogSink((line) => {
    const record = JSON.parse(line) as { stepId?: string; outcome?: string };
    if (record.stepId !== undefined && record.outcome === 'submitted') submitted.get(record.stepId)?.();
  });
  stack.registerFunction(RUNTIME_ARN, (event, context) => handler(event, context));
  db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  await stack?.stop();
});

function machineOf(yaml: string) {
  const { pipeline, errors } = loadPipeline({ path: 'callback.yaml', text: yaml });
  if (!pipeline) throw new Error(errors.map((error) => error.message).join('\n'));
  return compilePipeline(pipeline).machine;
}

const spec = (mode: 'poll' | 'callback', body: string) => `version: 1
pipeline: cb
mode: ${mode}
target: { cluster: analytics, database: dev, dbUser: etl }
defaults: { poll: { initial: 1s, max: 1s } }
steps:
${body}`;

/** The StatementId on the (only) lock item, waiting up to `waitMs` for one to appear. */
async function lockStatementId(waitMs = 5000): Promise<string | undefined> {
  const deadline = Date.now() + waitMs;
  do {
    const { Items = [] } = await stack.clients.dynamodb.send(
      new ScanCommand({ TableName: stack.stateTableName, ConsistentRead: true }),
    );
    const id = Items.find((item) => item.sk?.S === 'lock')?.StatementId?.S;
    if (id !== undefined) return id;
    await new Promise((resolve) => setTimeout(resolve, 10));
  } while (Date.now() < deadline);
  return undefined;
}

function run(yaml: string, input: unknown = {}) {
  return stack.execute(machineOf(yaml), input, { waitMs: 5, substitutions: { RuntimeFunctionArn: RUNTIME_ARN } });
}

describe('callback mode, end to end', () => {
  it('gives the same step record as poll mode, results included, and keeps the input', async () => {
    const body = `  - id: numbers\n    sql: "select n, 'n' || n as label from generate_series(1, :upto) n"\n    parameters: { upto: "$.upto" }\n    results: true\n`;
    const callback = await run(spec('callback', body), { upto: 3, keep: { nested: true } });
    const poll = await run(spec('poll', body), { upto: 3, keep: { nested: true } });
    expect([callback.status, poll.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const record = (callback.output as { steps: { numbers: Record<string, unknown> } }).steps.numbers;
    const pollRecord = (poll.output as { steps: { numbers: Record<string, unknown> } }).steps.numbers;
    expect(record).toMatchObject({ Status: 'FINISHED', ResultRows: 3, HasResultSet: true });
    expect(record.Id).toMatch(/^[0-9a-f-]{36}$/);
    expect({ ...record, Id: 'x' }).toEqual({ ...pollRecord, Id: 'x' });
    expect((record.Result as { Records: unknown[] }).Records[0]).toEqual([{ LongValue: 1 }, { StringValue: 'n1' }]);
    expect(callback.output).toMatchObject({ upto: 3, keep: { nested: true } });
  });

  it('costs one state per statement: 6 history events, 1 transition', async () => {
    const result = await run(spec('callback', `  - id: one\n    sql: select 1\n`));
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({
      steps: { one: { Id: expect.any(String), Status: 'FINISHED', ResultRows: 1, HasResultSet: true } },
    });
    expect(result.stateTransitions).toBe(1);
    // ExecutionStarted, TaskStateEntered, TaskScheduled, TaskStarted, TaskSubmitted, TaskSucceeded, TaskStateExited, ExecutionSucceeded.
    expect(result.historyEventCount).toBe(8);
  });

  it('fails Redshift.StatementFailed with PostgreSQL’s message', async () => {
    const result = await run(spec('callback', `  - id: broken\n    sql: select * from no_such_table\n`));
    expect([result.status, result.error]).toEqual(['FAILED', 'Redshift.StatementFailed']);
    expect(result.cause).toContain('relation "no_such_table" does not exist');
  });

  it('cancels the statement in PostgreSQL when the budget is spent, then fails Redshift.StatementTimeout', async () => {
    const result = await run(
      spec('callback', `  - id: sleepy\n    sql: select pg_sleep(30) as slept_in_callback\n    timeout: 1s\n`),
    );
    expect([result.status, result.error]).toEqual(['FAILED', 'Redshift.StatementTimeout']);
    expect(result.cause).toMatch(/^[0-9a-f-]{36}$/);
    const { rows } = await db.query(
      "select count(*)::int as n from pg_stat_activity where query like '%slept_in_callback%' and pid <> pg_backend_pid() and datname = current_database()",
    );
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('a lost completion event: on the timeout the runtime finds the statement FINISHED and the step succeeds with its record', async () => {
    lostEvents.add('unheard');
    lostEvents.add('unheard_failure');
    // Each statement ends only after the runtime's own look right after submit (a gate held until
    // the runtime logged the submit), so only the lost event could have told.
    const gated = async <T>(stepId: string, key: number, execution: (gate: string) => Promise<T>): Promise<T> => {
      await db.query('select pg_advisory_lock($1)', [key]);
      const done = submitOf(stepId);
      const result = execution(`(select pg_advisory_xact_lock_shared(${key}))`);
      await done;
      await db.query('select pg_advisory_unlock($1)', [key]);
      return result;
    };
    const finished = await gated('unheard', 7101, (gate) =>
      run(spec('callback', `  - id: unheard\n    sql: select 1 as n from ${gate} g\n    timeout: 2s\n`), {
        keep: true,
      }),
    );
    expect([finished.status, finished.error]).toEqual(['SUCCEEDED', undefined]);
    expect(finished.output).toEqual({
      keep: true,
      steps: {
        unheard: {
          Id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          Status: 'FINISHED',
          ResultRows: 1,
          HasResultSet: true,
        },
      },
    });
    expect(finished.history.some((event) => event.type === 'TaskTimedOut')).toBe(true);

    const failed = await gated('unheard_failure', 7102, (gate) =>
      run(
        spec(
          'callback',
          `  - id: unheard_failure\n    sql: select 1 / (count(*) - 1) from ${gate} g\n    timeout: 2s\n`,
        ),
      ),
    );
    expect([failed.status, failed.error]).toEqual(['FAILED', 'Redshift.StatementFailed']);
    expect(failed.cause).toContain('division by zero');
  });

  it('singleton: of two concurrent runs one fails ConcurrentExecution naming the holder’s statement', async () => {
    const yaml = spec(
      'callback',
      `  - id: only_one\n    sql: select pg_sleep(0.5) as single_cb\n    singleton: true\n`,
    );
    const first = run(yaml);
    const holder = await lockStatementId();
    const second = await run(yaml);
    expect([second.status, second.error, second.cause]).toEqual(['FAILED', 'ConcurrentExecution', holder]);
    const winner = await first;
    expect(winner.status).toBe('SUCCEEDED');
    expect((winner.output as { steps: { only_one: { Id: string } } }).steps.only_one.Id).toBe(holder);
    expect(await lockStatementId(0)).toBeUndefined();
    const again = await run(yaml);
    expect(again.status).toBe('SUCCEEDED');
  });
});
