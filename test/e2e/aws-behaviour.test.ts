// Where AWS behaves differently from a lenient emulator (issue 12): the local stack reproduces it,
// and the generated machines must still do the right thing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { startTestStack } from '../support/shared-postgres.ts';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { largestStateSize, STATE_LIMIT_BYTES, stepStateSizes } from '../../generator/emit/state-size.ts';
import { pipelineFrom, run, spec, sql } from './helpers.ts';

let stack: LocalStack;
/** ExecuteStatement answers to lose (ambiguous failures: the statement was created, the caller gets a 500). */
const lose = new Set<string>();
/** While true, DescribeStatement answers leave out their optional `Error` member. */
let omitErrorText = false;

beforeAll(async () => {
  stack = await startTestStack({
    initSql: 'create table submits (tag text);',
    loseDataApiAnswer: (operation, input) => {
      const tag = [...lose].find(
        (candidate) => operation === 'ExecuteStatement' && String(input.Sql).includes(candidate),
      );
      return tag !== undefined && lose.delete(tag);
    },
    omitDataApiMembers: (operation) => (omitErrorText && operation === 'DescribeStatement' ? ['Error'] : []),
  });
});
afterAll(async () => {
  await stack?.stop();
});

describe('idempotent submit (ClientToken)', () => {
  it('a submit retried after a lost answer (HTTP 500) runs the SQL once: the retry names the same ClientToken', async () => {
    lose.add('once-only');
    const result = await run(
      stack,
      spec('idem', '  - id: insert_once\n    sql: "insert into submits values (\'once-only\')"\n'),
      { retryIntervalMs: 1 },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(lose.size).toBe(0);
    const retried = result.history.filter((event) => event.type === 'TaskFailed');
    expect(retried.map((event) => event.error)).toEqual(['RedshiftData.InternalServerException']);
    expect(await sql(stack, "select count(*)::int as n from submits where tag = 'once-only'")).toEqual([{ n: 1 }]);
  });

  it('a new execution of the same pipeline submits anew (its execution id is in the token)', async () => {
    const pipeline = spec('idem2', '  - id: insert_twice\n    sql: "insert into submits values (\'per-run\')"\n');
    expect((await run(stack, pipeline)).status).toBe('SUCCEEDED');
    expect((await run(stack, pipeline)).status).toBe('SUCCEEDED');
    expect(await sql(stack, "select count(*)::int as n from submits where tag = 'per-run'")).toEqual([{ n: 2 }]);
  });
});

// Step Functions' payload quota: 256 KiB per state input/output and per connector output ("Step
// Functions service quotas"); over it States.DataLimitExceeded, which States.ALL does not catch.
describe('the 256 KiB state limit', () => {
  it('a 95 KB statement with a 170 KB execution input succeeds: DescribeStatement keeps no SQL text in the state', async () => {
    const padding = `-- ${'x'.repeat(95_000)}`;
    const result = await run(stack, spec('big-sql', `  - id: big\n    sql: "select 1 ${padding}"\n`), {
      input: { payload: 'y'.repeat(170_000) },
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ steps: { big: { Status: 'FINISHED' } } });
  });

  it('an execution input that leaves just the reported worst case free never takes a state over 256 KiB', async () => {
    const pipeline = pipelineFrom(
      spec(
        'fits',
        [
          '  - id: wide',
          '    sql: "select repeat(\'w\', 20000) as w, 42 as n"',
          '    results: { maxRows: 5, maxBytes: 24KB }',
          '  - id: lock',
          '    sql: select 2',
          '    singleton: true',
          '  - id: batch',
          '    sqls: ["select 3", "select 4 as four"]',
          '    results: { maxBytes: 1KB }',
          // A Parallel's output holds the records before it twice (compile/parallel.ts).
          '  - id: fan',
          '    parallel:',
          '      - steps: [{ id: left, sql: select 5 }]',
          '      - steps: [{ id: right, sql: "select repeat(\'r\', 3000) as r", results: { maxBytes: 4KB } }]',
          '',
        ].join('\n'),
      ),
    );
    const worst = largestStateSize(stepStateSizes(compilePipeline(pipeline)));
    const padding = STATE_LIMIT_BYTES - worst.stateBytes - Buffer.byteLength('{"padding":""}');
    const result = await run(stack, pipeline, { input: { padding: 'p'.repeat(padding) } });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({
      steps: { wide: { Result: { TotalNumRows: 1 } }, right: { Result: { TotalNumRows: 1 } } },
    });
  });
});

// DescribeStatement's `Error` is optional in the Data API model, and a Fail state whose CausePath
// points at an absent field raises States.Runtime, which no Catch sees ("Fail" state, Step
// Functions developer guide): the local Data API leaves it out here, the step still fails by name.
describe('FAILED without an error text', () => {
  const failing = (id: string, extra = '') => `  - id: ${id}\n    sqls: ["select 1", "select 1/0"]\n${extra}`;

  it.each([
    ['plain', ''],
    ['singleton', '    singleton: true\n'],
  ])('a %s batch fails Redshift.StatementFailed and says that the Data API gave no text', async (kind, extra) => {
    omitErrorText = true;
    try {
      const result = await run(stack, spec(`untold-${kind}`, failing('untold', extra)));
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('Redshift.StatementFailed');
      expect(result.cause).toMatch(/^Statement [0-9a-f-]{36} FAILED; the Data API gave no error text$/);
    } finally {
      omitErrorText = false;
    }
  });

  it("with the text, the Cause is Redshift's error", async () => {
    const result = await run(stack, spec('told', failing('told')));
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Redshift.StatementFailed');
    expect(result.cause).toMatch(/division by zero/);
  });
});
