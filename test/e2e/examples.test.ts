// The example pipelines (examples/pipelines/*.yaml): every one compiles into a machine the local
// executor accepts, and the warehouse ones run against seeded tables (fixtures/warehouse.sql).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { runSubstitutions } from '../../local/run-pipeline.ts';
import type { LocalStack } from '../../local/stack.ts';
import { startTestStack } from '../support/shared-postgres.ts';
import { loadPipelines } from '../../generator/load/load.ts';
import type { Pipeline } from '../../generator/load/model.ts';
import { run, sql } from './helpers.ts';

const EXAMPLES = join(import.meta.dirname, '../../examples/pipelines');
const files = readdirSync(EXAMPLES)
  .filter((name) => name.endsWith('.yaml'))
  .sort();
const pipelines = new Map<string, Pipeline>(
  loadPipelines(files.map((name) => ({ path: join(EXAMPLES, name), displayName: name }))).map((pipeline) => [
    pipeline.name,
    pipeline,
  ]),
);

function example(name: string): Pipeline {
  const pipeline = pipelines.get(name);
  if (!pipeline) throw new Error(`no example pipeline ${name}`);
  return pipeline;
}

type Records = Record<
  string,
  { Status: string; ResultRows: number; Result?: { Records: Record<string, unknown>[][] } }
>;
const stepsOf = (output: unknown) => (output as { steps: Records }).steps;

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({ initSql: readFileSync(join(import.meta.dirname, 'fixtures/warehouse.sql'), 'utf8') });
});

afterAll(async () => {
  await stack?.stop();
});

describe('the example pipelines', () => {
  it('all compile into machines the local executor accepts (ASL validation, resources, parameter names)', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
    expect([...pipelines.keys()].sort()).toEqual(files.map((name) => name.replace(/\.yaml$/, '')).sort());
    for (const pipeline of pipelines.values()) {
      const machine = compilePipeline(pipeline).machine;
      const substitutions = runSubstitutions(machine, stack.stateTableName);
      expect(() => stack.executor.prepare(machine, { substitutions }), pipeline.name).not.toThrow();
    }
  });

  it("nightly-sales stages, loads dimensions in parallel, replaces the day's facts and counts them", async () => {
    const result = await run(stack, example('nightly-sales'), { input: { runDate: '2024-03-01' } });
    expect([result.status, result.error, result.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    const steps = stepsOf(result.output);
    expect(Object.keys(steps).sort()).toEqual([
      'count_facts',
      'facts',
      'load_customers',
      'load_products',
      'stage_orders',
    ]);
    for (const record of Object.values(steps)) expect(record.Status).toBe('FINISHED');
    expect(steps.load_customers?.ResultRows).toBe(3);
    expect(steps.load_products?.ResultRows).toBe(2);
    expect(steps.count_facts?.Result?.Records).toEqual([[{ LongValue: 4 }]]);
    // The warehouse after the run: the stale fact row replaced, customer 1 renamed, products added.
    expect(
      await sql(
        stack,
        "select order_id, amount::text from fact_sales where sale_date = '2024-03-01' order by order_id",
      ),
    ).toEqual([
      { order_id: 1, amount: '20.00' },
      { order_id: 2, amount: '35.50' },
      { order_id: 3, amount: '12.25' },
      { order_id: 4, amount: '5.00' },
    ]);
    expect(await sql(stack, 'select customer_id, name, segment from dim_customer order by customer_id')).toEqual([
      { customer_id: 1, name: 'Ada', segment: 'retail' },
      { customer_id: 2, name: 'Grace', segment: 'business' },
      { customer_id: 3, name: 'Edsger', segment: 'retail' },
    ]);
    expect(await sql(stack, 'select count(*)::int as n from dim_product')).toEqual([{ n: 3 }]);
    expect(result.steps.map((step) => [step.stepId, step.phase])).toEqual(
      expect.arrayContaining([
        ['stage_orders', 'succeeded'],
        ['load_customers', 'succeeded'],
        ['load_products', 'succeeded'],
        ['facts', 'succeeded'],
        ['count_facts', 'succeeded'],
      ]),
    );

    // data-quality, after the load: one orphan fact row (customer 99), freshness newest first.
    for (const attempt of [1, 2]) {
      const quality = await run(stack, example('data-quality'), { input: { runDate: '2024-03-01' } });
      expect([attempt, quality.status, quality.error, quality.cause]).toEqual([
        attempt,
        'SUCCEEDED',
        undefined,
        undefined,
      ]);
      const checks = stepsOf(quality.output);
      expect(checks.null_keys?.Result?.Records).toEqual([[{ LongValue: 1 }]]);
      const freshness = checks.freshness?.Result?.Records ?? [];
      expect(freshness.map((row) => row[0])).toEqual([
        { StringValue: 'orders' },
        { StringValue: 'customers' },
        { StringValue: 'products' },
      ]);
      expect(freshness.every((row) => typeof row[2]?.LongValue === 'number')).toBe(true);
    }
  });

  it('mv-refresh refreshes the materialized view as a singleton and releases its lock', async () => {
    await sql(stack, "insert into fact_sales values (100, '2024-03-02', 1, 10, 10.00)");
    const result = await run(stack, example('mv-refresh'));
    expect([result.status, result.error]).toEqual(['SUCCEEDED', undefined]);
    expect(stepsOf(result.output).refresh_mv_sales?.Status).toBe('FINISHED');
    expect(
      await sql(stack, "select orders::int, revenue::text from mv_daily_sales where sale_date = '2024-03-02'"),
    ).toEqual([{ orders: 1, revenue: '10.00' }]);
  });
});
