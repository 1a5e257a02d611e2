// Fragments: `{StartAt, States}` spliced into a user's own machine, as a Parallel branch (errors
// catchable there by the contract's names) and inline after a state, run on the local stack; and
// how generate and check keep them.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { fragmentExits, renderFragment } from '../../generator/emit/fragment.ts';
import type { LocalStack } from '../../local/stack.ts';
import { startTestStack } from '../support/shared-postgres.ts';
import { cli, scratchRepo } from './cli-harness.ts';
import { pipelineFrom } from './helpers.ts';

type Fragment = { StartAt: string; States: Record<string, Record<string, unknown>> };

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack({
    initSql: "create table fragment_days (day date); insert into fragment_days values (date '2024-01-31');",
  });
});
afterAll(async () => {
  await stack?.stop();
});

const pipeline = (sql: string) =>
  pipelineFrom(`version: 1
pipeline: spliced
target: { cluster: analytics, database: dev, dbUser: etl }
defaults: { timeout: 1h, poll: { initial: 1s, max: 2s } }
steps:
  - id: count_days
    sql: "${sql}"
    parameters: { day: "$.day" }
    results: true
  - id: locked
    sql: "select 1"
    singleton: true
`);
const fragmentOf = (sql: string): Fragment =>
  JSON.parse(renderFragment(compilePipeline(pipeline(sql)).machine)) as Fragment;
const GOOD = 'select count(*) as n from fragment_days where day = :day::date';
const BAD = 'select count(*) from no_such_fragment_table where day = :day::date';

/** The user's machine: their own states around the pipeline, which runs as a Parallel branch. */
function asBranch(fragment: Fragment) {
  return {
    StartAt: 'Prepare',
    States: {
      Prepare: { Type: 'Pass', Result: '2024-01-31', ResultPath: '$.day', Next: 'Nightly' },
      Nightly: {
        Type: 'Parallel',
        Branches: [fragment],
        ResultSelector: { 'steps.$': '$[0].steps' },
        ResultPath: '$.nightly',
        Catch: [
          { ErrorEquals: ['Redshift.StatementFailed'], ResultPath: '$.failure', Next: 'Failed' },
          { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Other' },
        ],
        Next: 'Done',
      },
      Failed: { Type: 'Pass', Result: 'statement failed', ResultPath: '$.handled', End: true },
      Other: { Type: 'Pass', Result: 'something else', ResultPath: '$.handled', End: true },
      Done: { Type: 'Succeed' },
    },
  };
}

describe('a fragment in a user’s machine (local stack)', () => {
  it('has the states of the definition, no Comment or TimeoutSeconds, and the pipeline’s exits', () => {
    const machine = compilePipeline(pipeline(GOOD)).machine;
    const fragment = fragmentOf(GOOD);
    expect(Object.keys(fragment)).toEqual(['StartAt', 'States']);
    expect(fragment.StartAt).toBe(machine.StartAt);
    expect(Object.keys(fragment.States).sort()).toEqual(Object.keys(machine.States).sort());
    expect(fragmentExits(machine)).toEqual(['locked.Record']);
  });

  it('as a Parallel branch: records under the branch output, and Redshift.StatementFailed caught by name', async () => {
    const ok = await stack.execute(asBranch(fragmentOf(GOOD)), { keep: 1 }, { waitMs: 2 });
    expect(ok.status).toBe('SUCCEEDED');
    const output = ok.output as {
      keep: number;
      day: string;
      nightly: { steps: Record<string, { Status: string; Result?: { Records: unknown[][] } }> };
    };
    expect(output.keep).toBe(1);
    expect(output.nightly.steps.count_days?.Result?.Records).toEqual([[{ LongValue: 1 }]]);
    expect(output.nightly.steps.locked?.Status).toBe('FINISHED');

    const failed = await stack.execute(asBranch(fragmentOf(BAD)), {}, { waitMs: 2 });
    expect(failed.status).toBe('SUCCEEDED');
    expect(failed.output).toMatchObject({
      handled: 'statement failed',
      failure: { Error: 'Redshift.StatementFailed', Cause: expect.stringContaining('no_such_fragment_table') },
    });
  });

  it('inline after a state: its exits continue to the user’s next state; errors end the execution by name', async () => {
    const splice = (fragment: Fragment, exits: string[]) => ({
      StartAt: 'Prepare',
      States: {
        Prepare: { Type: 'Pass', Result: '2024-01-31', ResultPath: '$.day', Next: fragment.StartAt },
        ...Object.fromEntries(
          Object.entries(fragment.States).map(([name, state]) => {
            if (!exits.includes(name)) return [name, state];
            const { End, ...rest } = state;
            expect(End).toBe(true);
            return [name, { ...rest, Next: 'Report' }];
          }),
        ),
        Report: { Type: 'Pass', Parameters: { 'rows.$': '$.steps.count_days.Result.TotalNumRows' }, End: true },
      },
    });
    const exits = fragmentExits(compilePipeline(pipeline(GOOD)).machine);
    const ok = await stack.execute(splice(fragmentOf(GOOD), exits), {}, { waitMs: 2 });
    expect([ok.status, ok.output]).toEqual(['SUCCEEDED', { rows: 1 }]);
    const failed = await stack.execute(splice(fragmentOf(BAD), exits), {}, { waitMs: 2 });
    expect([failed.status, failed.error]).toEqual(['FAILED', 'Redshift.StatementFailed']);
  });
});

describe('generate --fragment and check', () => {
  it('writes fragments on request, keeps existing ones fresh, and check covers them', async () => {
    const repo = scratchRepo();
    expect((await cli(repo, 'generate')).code).toBe(0);
    expect(existsSync(join(repo, 'asl', 'nightly-sales.fragment.json'))).toBe(false);
    const written = await cli(repo, 'generate', '--fragment');
    expect(written.out).toContain('5 fragments');
    const fragment = readFileSync(join(repo, 'asl', 'nightly-sales.fragment.json'), 'utf8');
    const definition = JSON.parse(readFileSync(join(repo, 'asl', 'nightly-sales.asl.json'), 'utf8')) as Fragment;
    expect(JSON.parse(fragment)).toEqual({ StartAt: definition.StartAt, States: definition.States });
    // Only some fragments kept: generate without the flag refreshes those, check checks those.
    for (const name of ['archive-callback', 'data-quality', 'mv-refresh', 'serverless-orders'])
      rmSync(join(repo, 'asl', `${name}.fragment.json`));
    const spec = join(repo, 'pipelines', 'nightly-sales.yaml');
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('timeout: 5m', 'timeout: 6m'));
    const stale = await cli(repo, 'check');
    expect(stale.code).toBe(1);
    expect(stale.err).toContain('stale: asl/nightly-sales.fragment.json');
    expect(stale.err).not.toContain('data-quality.fragment.json');
    expect((await cli(repo, 'generate')).code).toBe(0);
    expect(readFileSync(join(repo, 'asl', 'nightly-sales.fragment.json'), 'utf8')).not.toBe(fragment);
    expect(await cli(repo, 'check')).toMatchObject({ code: 0, out: '5 pipelines, 18 files up to date in asl/' });
    const missing = await cli(repo, 'check', '--fragment');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('missing: asl/data-quality.fragment.json');
    expect(missing.err).toContain("4 files out of date; run 'sfn-redshift generate --fragment' and commit the result.");
  });
});
