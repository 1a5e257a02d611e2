// getStatementResult with `maxRows`/`maxBytes` (what callback-mode steps with `results` send): a
// result over a limit is refused with Redshift.ResultTooLarge instead of reaching the machine,
// where a Lambda Payload over Step Functions' 256 KiB state quota would end the execution with
// States.DataLimitExceeded, which no Catch handles (Step Functions developer guide, "Step Functions
// service quotas" and "Error handling"). DescribeStatement's ResultRows and ResultSize ("the size
// in bytes of the returned results", Redshift Data API Reference) are checked before fetching; the
// page's JSON, as the machine receives it, after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionArn, startRuntimeHarness, type RuntimeHarness } from './harness.ts';

type Answer = Record<string, unknown>;
let h: RuntimeHarness;

beforeAll(async () => {
  h = await startRuntimeHarness({
    initSql: `create table words (n int, w text);
      insert into words select n, repeat('x', 100) from generate_series(1, 5) as n;`,
  });
});
afterAll(async () => {
  await h?.stop();
});

/** Runs a statement for a fresh execution's step and waits for it to end. */
async function ran(sql: string | string[], stepId = 'check'): Promise<{ run: string; id: string }> {
  const run = executionArn(`limits-${Math.random().toString(36).slice(2)}`);
  const answer = (await h.invoke({
    action: Array.isArray(sql) ? 'batchExecuteStatement' : 'executeStatement',
    ...(Array.isArray(sql) ? { sqls: sql } : { sqlStatement: sql }),
    executionArn: run,
    stepId,
  })) as Answer;
  const id = answer.Id as string;
  expect(await h.settled(id)).toBe('FINISHED');
  return { run, id };
}

const fetchEvent = (run: string, limits: { maxRows: number; maxBytes: number }) => ({
  action: 'getStatementResult',
  statementId: 'LATEST',
  executionArn: run,
  stepId: 'check',
  format: 'stepFunctions',
  ...limits,
});

describe('getStatementResult with results limits', () => {
  it('refuses more rows than maxRows before fetching (ResultRows), and answers at exactly maxRows', async () => {
    const { run } = await ran('select n from words order by n');
    const error = await h.invokeError(fetchEvent(run, { maxRows: 4, maxBytes: 65_536 }));
    expect(error.name).toBe('Redshift.ResultTooLarge');
    expect(error.message).toBe(
      'the result has rows 5 and bytes 5 (DescribeStatement ResultRows and ResultSize), over the results limits maxRows 4 and maxBytes 65536',
    );
    const page = (await h.invoke(fetchEvent(run, { maxRows: 5, maxBytes: 65_536 }))) as Answer;
    expect(page.TotalNumRows).toBe(5);
    expect(page.Records).toHaveLength(5);
  });

  it('refuses a ResultSize over maxBytes before fetching', async () => {
    const { run } = await ran('select w from words');
    const error = await h.invokeError(fetchEvent(run, { maxRows: 100, maxBytes: 499 }));
    expect(error.name).toBe('Redshift.ResultTooLarge');
    expect(error.message).toContain(
      'the result has rows 5 and bytes 500 (DescribeStatement ResultRows and ResultSize)',
    );
  });

  it('measures the page exactly as the machine receives it: its JSON bytes (UTF-8) against maxBytes', async () => {
    const { run } = await ran("select 'é' as accent, 1 as n");
    const page = (await h.invoke({
      ...fetchEvent(run, { maxRows: 1, maxBytes: 1 }),
      maxRows: undefined,
      maxBytes: undefined,
    })) as Answer;
    const bytes = Buffer.byteLength(JSON.stringify(page), 'utf8');
    // ResultSize counts the data (3 bytes: 'é' and '1'); the JSON carries the wrappers and ColumnMetadata.
    expect(bytes).toBeGreaterThan(200);
    expect(await h.invoke(fetchEvent(run, { maxRows: 1, maxBytes: bytes }))).toEqual(page);
    const error = await h.invokeError(fetchEvent(run, { maxRows: 1, maxBytes: bytes - 1 }));
    expect(error.name).toBe('Redshift.ResultTooLarge');
    expect(error.message).toBe(
      `the result has rows 1 and bytes ${bytes} (the fetched page as JSON), over the results limits maxRows 1 and maxBytes ${bytes - 1}`,
    );
  });

  it("a batch is judged by the sub-statement it fetches (the last with a result set), not the batch's totals", async () => {
    const small = await ran(['select n from words', 'select 1 as one']);
    const page = (await h.invoke(fetchEvent(small.run, { maxRows: 1, maxBytes: 65_536 }))) as Answer;
    expect(page.Records).toEqual([[{ LongValue: 1 }]]);
    const large = await ran(['select 1 as one', 'select n from words']);
    const error = await h.invokeError(fetchEvent(large.run, { maxRows: 1, maxBytes: 65_536 }));
    expect(error.message).toContain('the result has rows 5 ');
  });

  it('without limits a result is answered whatever its size (the original function, runtime README)', async () => {
    const { id } = await ran('select w from words');
    const page = (await h.invoke({ action: 'getStatementResult', statementId: id })) as Answer;
    expect(page.Records).toHaveLength(5);
  });

  it.each([
    [{ maxRows: 5 }, 'maxBytes: give maxRows and maxBytes together'],
    [{ maxRows: 0, maxBytes: 10 }, 'maxRows: must be a whole number from 1 to 262144, got number 0'],
    [{ maxRows: 1, maxBytes: '64KB' }, 'maxBytes: must be a whole number from 1 to 262144, got string "64KB"'],
    [{ maxRows: 1, maxBytes: 262_145 }, 'maxBytes: must be a whole number from 1 to 262144, got number 262145'],
  ])('refuses malformed limits %j as InvalidRequest', async (limits, message) => {
    const error = await h.invokeError({
      action: 'getStatementResult',
      statementId: 'LATEST',
      executionArn: executionArn(),
      ...limits,
    });
    expect(error.name).toBe('InvalidRequest');
    expect(error.message).toBe(message);
  });
});
