// `results` limits end to end, in poll and callback mode, on the local stack (PostgreSQL behind the
// local Data API, dynalite, the executor, the runtime Lambda in-process). Step Functions holds a
// state in 256 KiB and ends the execution with States.DataLimitExceeded when a Task's output is
// larger, an error "that can't be caught by the States.ALL error type" (Step Functions developer
// guide, "Step Functions service quotas" and "Error handling"; local/executor/data-limit.ts does the
// same). A result over a step's limits must instead fail the step with Redshift.ResultTooLarge,
// which a surrounding machine catches by name. The sizes are DescribeStatement's ResultRows and
// ResultSize ("the size in bytes of the returned results", Redshift Data API Reference).
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateMachine } from '../../generator/compile/asl.ts';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { loadPipeline } from '../../generator/load/load.ts';
import type { ExecutionResult } from '../../local/executor/index.ts';
import type { LocalStack } from '../../local/stack.ts';
import { handler, setLogSink } from '../../runtime/src/index.ts';
import { startTestStack } from '../support/shared-postgres.ts';

const RUNTIME_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:sfn-redshift-runtime';
let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({
    redshiftEventTarget: RUNTIME_ARN,
    initSql: `create table wide (n int, w text);
      insert into wide select n, repeat('x', 1000) from generate_series(1, 300) as n;`,
  });
  Object.assign(process.env, stack.lambdaEnvironment, { REDSHIFT_CLUSTER_ID: 'analytics', REDSHIFT_DATABASE: 'dev' });
  setLogSink(() => undefined);
  stack.registerFunction(RUNTIME_ARN, (event, context) => handler(event, context));
});

afterAll(async () => {
  await stack?.stop();
});

type Mode = 'poll' | 'callback';
const MODES: Mode[] = ['poll', 'callback'];

function machineOf(mode: Mode, steps: string): StateMachine {
  const yaml = `version: 1
pipeline: limits
mode: ${mode}
target: { cluster: analytics, database: dev, dbUser: etl }
defaults: { poll: { initial: 1s, max: 1s } }
steps:
${steps}`;
  const { pipeline, errors } = loadPipeline({ path: 'limits.yaml', text: yaml });
  if (!pipeline) throw new Error(errors.map((error) => error.message).join('\n'));
  return compilePipeline(pipeline).machine;
}

/** The generated machine as a branch of a surrounding one that catches Redshift.ResultTooLarge by name. */
function guarded(machine: StateMachine) {
  return {
    StartAt: 'Guard',
    States: {
      Guard: {
        Type: 'Parallel',
        Branches: [{ StartAt: machine.StartAt, States: machine.States }],
        Catch: [{ ErrorEquals: ['Redshift.ResultTooLarge'], ResultPath: '$.caught', Next: 'Caught' }],
        End: true,
      },
      Caught: { Type: 'Pass', End: true },
    },
  };
}

function run(definition: unknown): Promise<ExecutionResult> {
  return stack.execute(definition, {}, { waitMs: 5, substitutions: { RuntimeFunctionArn: RUNTIME_ARN } });
}

type Caught = { caught?: { Error: string; Cause: string } };
type Result = { Records: unknown[]; TotalNumRows: number };
const resultOf = (result: ExecutionResult, step: string) =>
  (result.output as { steps: Record<string, { Result: Result }> }).steps[step]?.Result;
const entered = (result: ExecutionResult) =>
  result.history.filter((event) => event.type.endsWith('StateEntered')).map((event) => event.stateName);

async function lockItems(): Promise<number> {
  const { Items = [] } = await stack.clients.dynamodb.send(
    new ScanCommand({ TableName: stack.stateTableName, ConsistentRead: true }),
  );
  return Items.filter((item) => item.sk?.S === 'lock').length;
}

describe.each(MODES)('results limits, %s mode', (mode) => {
  it('a result over maxRows fails Redshift.ResultTooLarge, caught by name in a surrounding machine', async () => {
    const result = await run(
      guarded(machineOf(mode, '  - id: rows\n    sql: select n from wide where n <= 6\n    results: { maxRows: 5 }\n')),
    );
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as Caught).caught).toEqual({
      Error: 'Redshift.ResultTooLarge',
      Cause:
        'the result has rows 6 and bytes 6 (DescribeStatement ResultRows and ResultSize), over the results limits maxRows 5 and maxBytes 65536',
    });
  });

  it('a result over maxBytes (ResultSize) fails Redshift.ResultTooLarge before it is fetched', async () => {
    const result = await run(
      machineOf(mode, '  - id: bytes\n    sql: select w from wide where n <= 2\n    results: { maxBytes: 1999 }\n'),
    );
    expect([result.status, result.error]).toEqual(['FAILED', 'Redshift.ResultTooLarge']);
    expect(result.cause).toBe(
      'the result has rows 2 and bytes 2000 (DescribeStatement ResultRows and ResultSize), over the results limits maxRows 100 and maxBytes 1999',
    );
    // Poll mode never fetches it; callback mode's runtime refuses it before fetching.
    expect(entered(result)).toContain('bytes.TooLarge');
    expect(entered(result).includes('bytes.FetchResult')).toBe(mode === 'callback');
  });

  it('the default limits (100 rows, 64KB) turn a 300 KB result into Redshift.ResultTooLarge, not States.DataLimitExceeded', async () => {
    const result = await run(machineOf(mode, '  - id: big\n    sql: select w from wide\n    results: true\n'));
    expect([result.status, result.error]).toEqual(['FAILED', 'Redshift.ResultTooLarge']);
    expect(result.cause).toContain('the result has rows 300 and bytes 300000');
  });

  it('a singleton step over a limit fails Redshift.ResultTooLarge with its lock released', async () => {
    const result = await run(
      machineOf(
        mode,
        `  - id: locked\n    sql: select n, '${mode}' as m from wide where n <= 3\n    singleton: true\n    results: { maxRows: 2 }\n`,
      ),
    );
    expect([result.status, result.error]).toEqual(['FAILED', 'Redshift.ResultTooLarge']);
    expect(await lockItems()).toBe(0);
  });

  it('a result just within the limits lands in the record', async () => {
    // Poll mode compares DescribeStatement's figures: 3 rows of 1000 bytes is exactly 3 rows, 3000 bytes.
    // Callback mode measures the Result's JSON exactly: its size, taken from a run with room to spare.
    const sql = 'select w from wide where n <= 3';
    const roomy = await run(
      machineOf(mode, `  - id: fits\n    sql: ${sql}\n    results: { maxRows: 3, maxBytes: 8000 }\n`),
    );
    const json = Buffer.byteLength(JSON.stringify(resultOf(roomy, 'fits')), 'utf8');
    const exact = mode === 'poll' ? 3000 : json;
    const result = await run(
      machineOf(mode, `  - id: fits\n    sql: ${sql}\n    results: { maxRows: 3, maxBytes: ${exact} }\n`),
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(resultOf(result, 'fits')?.TotalNumRows).toBe(3);
    expect(resultOf(result, 'fits')?.Records).toHaveLength(3);
    expect(resultOf(result, 'fits')).toEqual(resultOf(roomy, 'fits'));
    const over = await run(
      machineOf(mode, `  - id: fits\n    sql: ${sql}\n    results: { maxRows: 3, maxBytes: ${exact - 1} }\n`),
    );
    expect([over.status, over.error]).toEqual(['FAILED', 'Redshift.ResultTooLarge']);
    expect(over.cause).toBe(
      mode === 'poll'
        ? 'the result has rows 3 and bytes 3000 (DescribeStatement ResultRows and ResultSize), over the results limits maxRows 3 and maxBytes 2999'
        : `the result has rows 3 and bytes ${json} (the fetched page as JSON), over the results limits maxRows 3 and maxBytes ${json - 1}`,
    );
  });

  it('a batch is judged by the sub-statement it fetches: its last with a result set', async () => {
    const fits = await run(
      machineOf(mode, '  - id: batch\n    sqls: [select n from wide, select 1 as one]\n    results: { maxRows: 1 }\n'),
    );
    expect(fits.status).toBe('SUCCEEDED');
    expect(resultOf(fits, 'batch')?.Records).toEqual([[{ LongValue: 1 }]]);
    const over = await run(
      machineOf(
        mode,
        '  - id: batch\n    sqls: [select 1 as one, select n from wide where n <= 2]\n    results: { maxRows: 1 }\n',
      ),
    );
    expect([over.status, over.error]).toEqual(['FAILED', 'Redshift.ResultTooLarge']);
    expect(over.cause).toContain('the result has rows 2 and bytes 2 ');
  });
});

// What each mode can know: poll mode sees only DescribeStatement's ResultRows and ResultSize (the
// data's bytes), callback mode's runtime measures the page's JSON. At the largest limits a result
// of 260 KB of data passes poll mode's check, and its page's JSON (the data plus a wrapper per field
// and the column metadata) is over 256 KiB: Step Functions ends the execution with
// States.DataLimitExceeded, as it would on AWS. The defaults keep far from that (defaults.ts).
describe('at the largest limits (14506 rows, 255KB)', () => {
  const steps =
    '  - id: edge\n    sql: select w from wide where n <= 260\n    results: { maxRows: 14506, maxBytes: 255KB }\n';

  it('poll mode: the page passes the ResultSize check and is over 256 KiB: States.DataLimitExceeded', async () => {
    const result = await run(guarded(machineOf('poll', steps)));
    expect([result.status, result.error]).toEqual(['FAILED', 'States.DataLimitExceeded']);
  });

  it('callback mode: the runtime measures the page and fails Redshift.ResultTooLarge, which a Catch handles', async () => {
    const result = await run(guarded(machineOf('callback', steps)));
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as Caught).caught?.Cause).toMatch(
      /^the result has rows 260 and bytes \d+ \(the fetched page as JSON\), over the results limits maxRows 14506 and maxBytes 261120$/,
    );
  });
});
