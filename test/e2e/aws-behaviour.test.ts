// Where AWS behaves differently from a lenient emulator (issue 12): the local stack reproduces it,
// and the generated machines must still do the right thing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { startTestStack } from '../support/shared-postgres.ts';
import { run, spec, sql } from './helpers.ts';

let stack: LocalStack;
/** ExecuteStatement answers to lose (ambiguous failures: the statement was created, the caller gets a 500). */
const lose = new Set<string>();

beforeAll(async () => {
  stack = await startTestStack({
    initSql: 'create table submits (tag text);',
    loseDataApiAnswer: (operation, input) => {
      const tag = [...lose].find(
        (candidate) => operation === 'ExecuteStatement' && String(input.Sql).includes(candidate),
      );
      return tag !== undefined && lose.delete(tag);
    },
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
