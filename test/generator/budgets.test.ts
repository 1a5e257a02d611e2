// Budgets: the worst-case arithmetic (its parts are compared with counts observed on the local
// stack in test/e2e/budget.test.ts), its agreement with the poll schedule and with brute force
// over every scenario, its self-check against the compiled machine, and what generate does at
// 80 % and 100 % of Step Functions' limits.
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { StateMachine } from '../../generator/compile/asl.ts';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import type { PipelinePlan } from '../../generator/compile/plan.ts';
import { pollWaits } from '../../generator/compile/schedule.ts';
import { limitFindings } from '../../generator/cli/limits-report.ts';
import {
  CostModelError,
  executionCost,
  limitLevel as level,
  maxPolls,
  pollTransitions,
  worstCaseCost,
  type StepScenario,
} from '../../generator/emit/limits.ts';
import { percent } from '../../generator/emit/numbers.ts';
import type { StatementStep, Step } from '../../generator/load/model.ts';
import { cli } from './cli-harness.ts';
import { pipelineFrom } from './helpers.ts';
import { numberSteps } from './arbitrary-pipelines.ts';

const one = (body: string, head = '') =>
  pipelineFrom(
    `version: 1\npipeline: one\n${head}target: { cluster: c, database: d, dbUser: u }\nsteps:\n  - id: s\n${body}`,
  );

describe('poll loop arithmetic', () => {
  it('walks the same waits as the schedule: one poll per wait, LastWait only at the end', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 600 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.integer({ min: 1, max: 86_400 }),
        (initial, extra, factor, budget) => {
          const poll = { initialSeconds: initial, maxSeconds: initial + extra, factor };
          const between = pollTransitions({ poll, timeoutSeconds: budget });
          expect(between.length + 1).toBe(pollWaits(poll, budget).length);
          expect(between.slice(0, -1)).not.toContain('LastWait');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('prices the defaults as README says: 1 h ≈ 260 transitions, 24 h under 16,000 history events', () => {
    const hour = one('    sql: select 1\n');
    expect(maxPolls(hour.steps[0] as StatementStep)).toBe(63);
    // Times out at the 63rd poll: Execute, 63 × (Wait, Describe, Status), 62 × Backoff|LastWait, Cancel, TimedOut.
    expect(worstCaseCost(compilePipeline(hour))).toEqual({
      transitions: 254,
      events: 5 + 63 * 9 + 62 * 2 + 5 + 1 + 2,
      ends: 'fails',
    });
    const day = one('    sql: select 1\n    timeout: 24h\n');
    const worst = worstCaseCost(compilePipeline(day));
    expect(worst.events).toBe(15_884);
    expect(worst.events).toBeLessThan(16_000);
  });

  it('prices long polling (poll.longPoll: 30s): 1 h within 300 transitions, 24 h under 25,000 history events', () => {
    const hour = one('    sql: select 1\n    poll: { longPoll: 30s }\n');
    // The submit waits the first 30 s, then 119 Describe calls of 30 s.
    expect(maxPolls(hour.steps[0] as StatementStep)).toBe(119);
    // Execute, 119 × (Describe, Status), 39 × NextPolls, Cancel, TimedOut.
    expect(worstCaseCost(compilePipeline(hour))).toEqual({
      transitions: 1 + 119 * 2 + 39 + 2,
      events: 5 + 119 * 7 + 39 * 2 + 5 + 1 + 2,
      ends: 'fails',
    });
    expect(worstCaseCost(compilePipeline(hour)).transitions).toBeLessThanOrEqual(300);
    const day = one('    sql: select 1\n    timeout: 24h\n    poll: { longPoll: 30s }\n');
    expect(worstCaseCost(compilePipeline(day)).events).toBe(5 + 2879 * 7 + 959 * 2 + 5 + 1 + 2);
    expect(worstCaseCost(compilePipeline(day)).events).toBeLessThan(25_000);
  });

  it('a callback statement costs the same whatever its timeout', () => {
    const cost = (timeout: string) => {
      const pipeline = one(`    sql: select 1\n    timeout: ${timeout}\n`, 'mode: callback\n');
      return worstCaseCost(compilePipeline(pipeline));
    };
    // Timeout: Execute (6, with TaskSubmitted), Cancel (5: the runtime looks, then cancels), Settled (2), TimedOut (1), and the execution's 2.
    expect(cost('1m')).toEqual({ transitions: 4, events: 16, ends: 'fails' });
    expect(cost('24h')).toEqual(cost('1m'));
  });
});

// ---------------------------------------------------------------------------------------------

const stepOptions = (step: StatementStep): StepScenario[] => [
  { outcome: { kind: 'finished', polls: step.mode === 'callback' ? 1 : maxPolls(step) }, lock: 'takeover' },
  { outcome: { kind: 'timeout' }, lock: 'takeover' },
  { outcome: { kind: 'failed', polls: step.mode === 'callback' ? 1 : maxPolls(step) }, lock: 'takeover' },
];

function statementSteps(steps: readonly Step[]): StatementStep[] {
  return steps.flatMap((step) => (step.kind === 'parallel' ? step.branches.flatMap(statementSteps) : [step]));
}

/** The most expensive execution over every combination of step outcomes. */
function bruteForce(plan: PipelinePlan): number {
  const steps = statementSteps(plan.pipeline.steps);
  let best = 0;
  const choose = (index: number, chosen: Map<string, StepScenario>): void => {
    if (index === steps.length) {
      best = Math.max(best, executionCost(plan, (step) => chosen.get(step.id) as StepScenario).events);
      return;
    }
    const step = steps[index] as StatementStep;
    for (const option of stepOptions(step)) choose(index + 1, new Map(chosen).set(step.id, option));
  };
  choose(0, new Map());
  return best;
}

const statementArb = fc
  .record({
    sql: fc.constantFrom('select 1', 'insert into t values (1)'),
    batch: fc.boolean(),
    results: fc.boolean(),
    singleton: fc.boolean(),
    callback: fc.boolean(),
    timeout: fc.integer({ min: 1, max: 400 }),
    longPoll: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
  })
  .map(({ sql, batch, results, singleton, callback, timeout, longPoll }) => ({
    ...(batch ? { sqls: [sql, 'select 2'] } : { sql }),
    ...(results ? { results } : {}),
    ...(singleton ? { singleton } : {}),
    ...(callback ? { mode: 'callback' } : {}),
    timeout,
    poll: { initial: 1, max: 30, ...(longPoll === undefined ? {} : { longPoll }) },
  }));
const stepArb = fc.oneof(
  { weight: 3, arbitrary: statementArb.map((step): Record<string, unknown> => step) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.array(statementArb, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 2 })
      .map((branches): Record<string, unknown> => ({ parallel: branches.map((steps) => ({ steps })) })),
  },
);

describe('the worst case', () => {
  it('is the most expensive of every combination of outcomes (brute force), for random pipelines', () => {
    fc.assert(
      fc.property(
        fc.array(stepArb, { minLength: 1, maxLength: 3 }).map((generated) => numberSteps(generated)),
        (steps) => {
          const pipeline = pipelineFrom(
            stringify({ version: 1, pipeline: 'p', target: { cluster: 'c', database: 'd' }, steps }),
          );
          if (statementSteps(pipeline.steps).length > 5) return;
          const plan = compilePipeline(pipeline);
          expect(worstCaseCost(plan).events).toBe(bruteForce(plan));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('fails loudly when the machine is not what the model expects', () => {
    const pipeline = one('    sql: select 1\n    results: true\n');
    const plan = compilePipeline(pipeline);
    const { machine } = plan;
    const { 's.HasResult': removed, ...rest } = machine.States;
    expect(removed).toBeDefined();
    expect(() => worstCaseCost({ ...plan, machine: { ...machine, States: rest } })).toThrow(CostModelError);
    const rewired = {
      ...machine,
      States: { ...machine.States, 's.Execute': { ...machine.States['s.Execute'], Next: 's.Record' } },
    } as StateMachine;
    expect(() => worstCaseCost({ ...plan, machine: rewired })).toThrow(/no transition from 's.Execute' to 's.Wait'/);
  });
});

describe('limits', () => {
  it('warn at 80 % and are over at 100 %', () => {
    expect([level(19_999, 25_000), level(20_000, 25_000), level(24_999, 25_000), level(25_000, 25_000)]).toEqual([
      'ok',
      'warn',
      'warn',
      'over',
    ]);
    expect([percent(1, 3), percent(20_911, 25_000), percent(90_000, 25_000)]).toEqual(['33%', '84%', '360%']);
    const findings = limitFindings('p', {
      states: 3,
      definitionBytes: 900_000,
      worstCase: { transitions: 1, events: 26_000, ends: 'fails' },
      stateSizes: [],
    });
    expect(findings.map((finding) => [finding.limit, finding.level])).toEqual([
      ['definition', 'warn'],
      ['history', 'over'],
    ]);
    expect(findings[1]?.message).toContain('26,000 history events in the worst case, 104% of');
  });

  function repo(files: Record<string, string>): string {
    const directory = mkdtempSync(join(tmpdir(), 'sfn-redshift-budget-'));
    mkdirSync(join(directory, 'pipelines'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, 'pipelines', name), text);
    return directory;
  }
  const spec = (name: string, timeout: string, poll: string) =>
    `version: 1\npipeline: ${name}\ntarget: { cluster: c, database: d, dbUser: u }\nsteps:\n  - id: long\n    sql: select 1\n    timeout: ${timeout}\n    poll: ${poll}\n`;

  it('generate warns near the history limit and writes', async () => {
    // 1,900 polls of 30 s: 5 + 1,900 × 9 + 1,899 × 2 (Backoff) + 6 (Cancel, TimedOut) + 2 = 20,911.
    const directory = repo({ 'near.yaml': spec('near', '15h50m', '{ initial: 30s, max: 30s }') });
    const run = await cli(directory, 'generate');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/near +\d+ states .* worst case 20,911 history events \(84% of 25,000\)/);
    expect(run.err).toContain('warning: near: one execution may write 20,911 history events in the worst case, 84% of');
    expect(existsSync(join(directory, 'asl', 'near.asl.json'))).toBe(true);
  });

  it('generate refuses a pipeline over a limit unless --allow-over-budget, and writes nothing', async () => {
    const directory = repo({
      'fine.yaml': spec('fine', '1h', '{ initial: 5s, max: 60s }'),
      'over.yaml': spec('over', '24h', '{ initial: 5s, max: 5s }'),
    });
    const refused = await cli(directory, 'generate');
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(
      /^error: over: one execution may write 190,091 history events in the worst case, 760% of Step Functions' 25,000 limit; raise poll.max/m,
    );
    expect(refused.err).toContain(
      '1 limit of Step Functions reached; nothing was written. --allow-over-budget writes the outputs anyway.',
    );
    expect(existsSync(join(directory, 'asl'))).toBe(false);
    const allowed = await cli(directory, 'generate', '--allow-over-budget');
    expect(allowed.code).toBe(0);
    expect(allowed.err).toMatch(/^warning: over: one execution may write 190,091/m);
    expect(existsSync(join(directory, 'asl', 'over.asl.json'))).toBe(true);
    // check compares files only: what was allowed once stays up to date.
    expect(await cli(directory, 'check')).toMatchObject({ code: 0 });
  });

  it('generate refuses a definition over 1 MiB', async () => {
    const sql = `select '${'x'.repeat(1500)}' as padding`;
    const steps = Array.from({ length: 260 }, (_, index) => `  - id: s${index}\n    sql: "${sql}"\n`).join('');
    const directory = repo({
      'huge.yaml': `version: 1\npipeline: huge\ntarget: { cluster: c, database: d }\nsteps:\n${steps}`,
    });
    const run = await cli(directory, 'generate');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^error: huge: the definition is [\d,]+ bytes, \d{3}% of Step Functions' 1 MiB limit/m);
  });
});

describe('the diagram’s budget line', () => {
  it('flags a limit that is near or over', async () => {
    const { renderMarkdown } = await import('../../generator/emit/diagram.ts');
    const pipeline = one('    sql: select 1\n');
    const line = (events: number, definitionBytes: number) =>
      renderMarkdown(
        pipeline,
        { states: 4, definitionBytes, worstCase: { transitions: 1, events, ends: 'fails' }, stateSizes: [] },
        { spec: 's', definition: 'd', policy: 'p' },
      )
        .split('\n')
        .find((text) => text.startsWith('**Budget**'));
    expect(line(100, 1000)).toBe(
      '**Budget** (Step Functions limits): 4 states; definition 1000 B, 0.1% of 1 MiB; worst case per execution 100 history events, 0.4% of 25,000, and 1 state transitions, with every statement running for its whole timeout; largest state or Task answer 0 B (step ``), 0.0% of 256 KiB, besides the execution input.',
    );
    expect(line(21_000, 1_100_000)).toContain(
      '1074.2 KiB, 105% of 1 MiB (**over the limit**); worst case per execution 21,000 history events, 84% of 25,000 (**near the limit**)',
    );
  });
});
