// The worst-case state and Task answer of each step against Step Functions' 256 KiB ("Step
// Functions service quotas": input or output of a task, state or execution; over it
// States.DataLimitExceeded, which no Catch sees).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { StateMachine } from '../../generator/compile/asl.ts';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import {
  largestStateSize,
  STATE_LIMIT_BYTES,
  stepStateSizes,
  type StepStateSize,
} from '../../generator/emit/state-size.ts';
import { cli } from './cli-harness.ts';
import { pipelineSpecs } from './arbitrary-pipelines.ts';
import { pipelineFrom } from './helpers.ts';

const aslDirectory = join(import.meta.dirname, '../../examples/asl');

const HEAD = 'version: 1\npipeline: sizes\ntarget: { cluster: c, database: d, dbUser: u }\n';
const sizesOf = (steps: string) => stepStateSizes(compilePipeline(pipelineFrom(`${HEAD}steps:\n${steps}`)));
function byStep(steps: string): (id: string) => StepStateSize {
  const all = sizesOf(steps);
  return (id) => all.find((size) => size.stepId === id) ?? expect.fail(`no size for step ${id}`);
}

describe('worst-case state size per step', () => {
  it('counts the records of earlier steps, a Result at its byte limit', () => {
    const sizes = byStep(
      '  - id: a\n    sql: select 1\n    results: { maxRows: 10, maxBytes: 40KB }\n  - id: b\n    sql: select 2\n',
    );
    expect(sizes('b').stateBytes - sizes('a').stateBytes).toBeGreaterThan(0);
    // b carries a's record with its 40 KB Result.
    expect(sizes('b').stateBytes).toBeGreaterThan(40_000);
    expect(sizes('a').answerBytes).toBe(40 * 1024);
  });

  it('lets parallel branches start from the same records and adds all of theirs after the parallel', () => {
    const sizes = byStep(
      [
        '  - id: p',
        '    parallel:',
        '      - steps: [{ id: x, sql: select 1, results: { maxBytes: 30KB } }]',
        '      - steps: [{ id: y, sql: select 2 }]',
        '  - id: after',
        '    sql: select 3',
        '',
      ].join('\n'),
    );
    expect(sizes('y').stateBytes).toBeLessThan(30_000);
    // The Parallel's output: the first branch's whole state beside every branch's records.
    expect(sizes('p').stateBytes).toBeGreaterThan(2 * 30 * 1024);
    expect(sizes('after').stateBytes).toBeGreaterThan(30_000 + (sizes('y').stateBytes - 6 * 1024));
  });

  it('counts the SQL text in the DescribeStatement answer of a poll step, not of a callback step', () => {
    const sql = `select 1 -- ${'x'.repeat(50_000)}`;
    const poll = byStep(`  - id: long\n    sql: "${sql}"\n`)('long');
    const callback = byStep(`  - id: long\n    sql: "${sql}"\n    mode: callback\n`)('long');
    expect(poll.answerBytes).toBeGreaterThan(50_000);
    expect(callback.answerBytes).toBe(0);
    expect(largestStateSize([poll]).bytes).toBe(poll.answerBytes);
  });
});

describe('generate and the 256 KiB limit', () => {
  function repo(text: string): string {
    const directory = mkdtempSync(join(tmpdir(), 'sfn-redshift-state-'));
    mkdirSync(join(directory, 'pipelines'));
    writeFileSync(join(directory, 'pipelines', 'p.yaml'), text);
    return directory;
  }
  const batchOf = (count: number, characters: number) =>
    `${HEAD}steps:\n  - id: big\n    sqls:\n${Array.from({ length: count }, (_, index) => `      - "select ${index} -- ${'x'.repeat(characters)}"\n`).join('')}`;

  it('refuses a batch whose DescribeStatement answer (its SQL texts) cannot fit, naming the step', async () => {
    const run = await cli(repo(batchOf(3, 95_000)), 'generate');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(
      /^error: sizes: step 'big' may receive a [\d,]+-byte answer \(DescribeStatement returns the SQL text\), 1\d\d% of Step Functions' 256 KiB limit; move long SQL into a stored procedure/m,
    );
  });

  it('warns from 80 % and writes; the table shows the largest state', async () => {
    const run = await cli(repo(batchOf(3, 70_000)), 'generate');
    expect(run.code).toBe(0);
    expect(run.err).toMatch(/^warning: sizes: step 'big' may receive a [\d,]+-byte answer/m);
    expect(run.out).toMatch(/state ≤ \d+\.\d KiB \(\d+% of 256 KiB\)/);
    expect(STATE_LIMIT_BYTES).toBe(262_144);
  });
});

// Step Functions counts a Task's answer against 256 KiB before ResultSelector, and the state after
// it: every Data API answer the machines keep passes through a ResultSelector, except
// GetStatementResult's page, which is the record's `Result` of the contract (bounded by `results`),
// and the reaper's ListStatements pages (bounded by their page size).
describe('every Data API Task keeps only what the machine reads', () => {
  const KEPT_WHOLE = new Set(['getStatementResult', 'listStatements']);

  function unselected(definition: StateMachine): string[] {
    const found: string[] = [];
    const visit = (states: StateMachine['States']) => {
      for (const [name, state] of Object.entries(states)) {
        if (state.Type === 'Parallel') for (const branch of state.Branches) visit(branch.States);
        if (state.Type !== 'Task') continue;
        const api = /^arn:aws:states:::aws-sdk:redshiftdata:(\w+)$/.exec(state.Resource)?.[1];
        if (api === undefined || KEPT_WHOLE.has(api)) continue;
        if (state.ResultPath !== null && state.ResultSelector === undefined) found.push(`${name} (${api})`);
      }
    };
    visit(definition.States);
    return found;
  }

  it.each(readdirSync(aslDirectory).filter((file) => file.endsWith('.asl.json')))('examples/asl/%s', (file) => {
    expect(unselected(JSON.parse(readFileSync(join(aslDirectory, file), 'utf8')) as StateMachine)).toEqual([]);
  });

  it('random pipelines (both modes, long polling, batches, results, singletons)', () => {
    fc.assert(
      fc.property(pipelineSpecs, (spec) => {
        expect(unselected(compilePipeline(pipelineFrom(stringify(spec))).machine)).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});
