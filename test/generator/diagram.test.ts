// Diagrams: the Mermaid text goes through Mermaid's own parser (the `mermaid` package in Node, with
// linkedom standing in for the DOM its sanitizer wants), for the examples and for random pipelines
// with hostile SQL and step ids that are Mermaid keywords. The DOT text is checked structurally.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { limitUsage } from '../../generator/emit/limits.ts';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { renderDot, renderMarkdown, renderMermaid, sqlFirstLine } from '../../generator/emit/diagram.ts';
import { renderDefinition } from '../../generator/emit/json.ts';
import type { Pipeline, StatementStep, Step } from '../../generator/load/model.ts';
import { SPEC_DEFAULTS } from '../../generator/load/defaults.ts';
import { cli, scratchRepo } from './cli-harness.ts';
import { pipelineFrom } from './helpers.ts';

type Mermaid = { parse(text: string): Promise<unknown> };
let mermaid: Mermaid;

beforeAll(async () => {
  const { parseHTML } = await import('linkedom');
  (globalThis as Record<string, unknown>).window = parseHTML('<!doctype html><html><body></body></html>').window;
  mermaid = (await import('mermaid')).default as unknown as Mermaid;
});

const root = join(import.meta.dirname, '../..');
const examples = readdirSync(join(root, 'examples/asl')).filter((file) => file.endsWith('.md'));

function mermaidBlock(markdown: string): string {
  const match = /```mermaid\n([\s\S]*?)```/.exec(markdown);
  if (!match) throw new Error('no mermaid block');
  return match[1] as string;
}

describe('Mermaid flowcharts', () => {
  it('a broken flowchart is rejected by the parser (the check below can fail)', async () => {
    await expect(mermaid.parse('flowchart TD\n  a["x] --> b\n')).rejects.toThrow(/Parse error/);
    await expect(mermaid.parse('flowchart TD\n  end --> b\n')).rejects.toThrow();
  });

  it.each(examples)('examples/asl/%s parses', async (file) => {
    const text = mermaidBlock(readFileSync(join(root, 'examples/asl', file), 'utf8'));
    await expect(mermaid.parse(text)).resolves.toMatchObject({ diagramType: 'flowchart-v2' });
  });

  it('draws parallel branches between a fork and a join, timeouts on the edges, singleton and callback marked', () => {
    const pipeline = pipelineFrom(`version: 1
pipeline: shapes
target: { cluster: c, database: d }
steps:
  - id: first
    sql: select 1
    timeout: 90s
  - id: fan
    parallel:
      - steps: [{ id: left, sql: "select 2", singleton: true, timeout: 2h }]
      - steps:
          - id: inner
            parallel:
              - steps: [{ id: deep, sql: "select 3", mode: callback, results: true }]
      - steps: [{ id: right, sql: "select 4" }]
`);
    const text = renderMermaid(pipeline);
    expect(text).toContain('  n_start --> s_first\n');
    expect(text).toContain('  s_first -->|"timeout 1m30s"| f_fan\n');
    for (const edge of [
      'f_fan --> s_left',
      'f_fan --> f_inner',
      'f_fan --> s_right',
      'f_inner --> s_deep',
      's_deep -->|"timeout 1h"| j_inner',
      's_right -->|"timeout 1h"| j_fan',
    ]) {
      expect(text).toContain(`  ${edge}\n`);
    }
    expect(text.match(/-->/g)).toHaveLength(11);
    expect(text).toContain('  s_left -->|"timeout 2h"| j_fan\n');
    expect(text).toContain('  j_inner --> j_fan\n');
    expect(text).toContain('  j_fan --> n_end\n');
    expect(text).toContain('s_deep[["deep<br/>select 3<br/>callback · results"]]');
    expect(text).toContain('s_left["left<br/>select 2<br/>poll · singleton"]');
    expect(text).toMatch(
      /subgraph p_fan \["fan: 3 branches in parallel"\][\s\S]*subgraph p_inner[\s\S]*end\n {2}end\n/,
    );
    expect(text).toContain('  class s_deep callback\n');
    expect(text).toContain('  class s_left singleton\n');
  });
});

// ---------------------------------------------------------------------------------------------
// Random pipelines, hostile text

const hostile = fc.string({
  unit: fc.constantFrom(
    ...'ab :;,.(){}[]<>"\'`#&|\\/-_*=%$!?@~^+\n\tλé中💥'.split(''),
    'end',
    'graph',
    '-->',
    '<br/>',
    '#quot;',
    ']]',
    '"]',
    '%%',
    '```',
  ),
  minLength: 1,
  maxLength: 40,
});
const keywordId = fc.constantFrom(
  'end',
  'graph',
  'subgraph',
  'style',
  'class',
  'classDef',
  'click',
  'default',
  'direction',
  'flowchart',
  'o',
  'x',
  'call',
  'href',
  'A_1',
  '_x',
);

function statement(
  id: string,
  sql: string,
  flags: { callback: boolean; singleton: boolean; results: boolean; batch: boolean },
): StatementStep {
  return {
    kind: 'statement',
    id,
    statement: flags.batch ? { kind: 'batch', sqls: [sql, sql] } : { kind: 'single', sql },
    parameters: [],
    ...(flags.results ? { results: SPEC_DEFAULTS.results } : {}),
    singleton: flags.singleton,
    timeoutSeconds: 61,
    poll: { initialSeconds: 1, maxSeconds: 4, factor: 2 },
    retry: { attempts: 1, intervalSeconds: 1, backoffRate: 2 },
    mode: flags.callback ? 'callback' : 'poll',
    target: { kind: 'cluster', cluster: 'c', database: 'd' },
    statementName: `sfn-redshift/p/${id}`,
    cleanup: 'cancel-on-stop',
  };
}

const flags = fc.record({
  callback: fc.boolean(),
  singleton: fc.boolean(),
  results: fc.boolean(),
  batch: fc.boolean(),
});
const statementArb: fc.Arbitrary<Step> = fc
  .tuple(keywordId, hostile, flags)
  .map(([id, sql, f]) => statement(id, sql, f));
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: statementArb },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        keywordId,
        fc.array(fc.array(statementArb, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 3 }),
      )
      .map(([id, branches]): Step => ({ kind: 'parallel', id, branches })),
  },
);
// Ids made unique after generation, by position (a counter inside an arbitrary would make a
// failing seed replay a different pipeline): the keyword plus its number in document order.
function numbered(steps: readonly Step[], next = { id: 0 }): Step[] {
  return steps.map((step): Step => {
    const id = `${step.id}${(next.id += 1)}`;
    if (step.kind === 'parallel')
      return { ...step, id, branches: step.branches.map((branch) => numbered(branch, next)) };
    return { ...step, id, statementName: `sfn-redshift/p/${id}` };
  });
}
const pipelineArb = fc
  .tuple(fc.array(stepArb, { minLength: 1, maxLength: 4 }), fc.option(hostile, { nil: undefined }))
  .map(
    ([steps, description]): Pipeline => ({
      file: 'p.yaml',
      name: 'hostile',
      ...(description !== undefined ? { description } : {}),
      stateTable: 't',
      runtimeFunctionArn: 'f',
      cleanup: 'cancel-on-stop',
      steps: numbered(steps),
    }),
  );

describe('labels', () => {
  it('escape %% so that SQL never reads as a Mermaid comment or directive', async () => {
    const pipeline = pipelineFrom(
      'version: 1\npipeline: pct\ntarget: { cluster: c, database: d }\nsteps:\n  - id: a\n    sql: "select \'%%{init: x}%%\' as s"\n',
    );
    const text = renderMermaid(pipeline);
    expect(text).not.toContain('%%');
    await mermaid.parse(text);
  });
});

/** The Markdown of `pipeline` with the smallest figures (the tests here look at its tables). */
function tinyMarkdown(pipeline: Parameters<typeof renderMarkdown>[0]): string {
  const budget = {
    states: 1,
    definitionBytes: 1,
    worstCase: { transitions: 1, events: 1, ends: 'succeeds' as const },
    stateSizes: [],
  };
  return renderMarkdown(pipeline, budget, { spec: 'p.yaml', definition: 'p.asl.json', policy: 'p.iam.json' });
}

describe('random pipelines', () => {
  it('always give a flowchart that Mermaid parses', async () => {
    await fc.assert(
      fc.asyncProperty(pipelineArb, async (pipeline) => {
        await mermaid.parse(renderMermaid(pipeline));
      }),
      { numRuns: 60 },
    );
  });

  it('escape a description of pipes, which would otherwise start a table (seed -1448601972: "| ")', () => {
    const steps = numbered([
      statement('a', 'select 1', { callback: false, singleton: false, results: false, batch: false }),
    ]);
    const pipeline: Pipeline = {
      file: 'p.yaml',
      name: 'hostile',
      description: '| a | b |\n|---|---|',
      stateTable: 't',
      runtimeFunctionArn: 'f',
      cleanup: 'cancel-on-stop',
      steps,
    };
    const markdown = tinyMarkdown(pipeline);
    expect(markdown).toContain('\\| a \\| b \\|\n\\|---\\|---\\|');
    expect(markdown.split('\n').filter((line) => line.startsWith('|---'))).toHaveLength(1);
  });

  it('always give a table whose rows have exactly six cells', () => {
    fc.assert(
      fc.property(pipelineArb, (pipeline) => {
        const markdown = tinyMarkdown(pipeline);
        const rows = markdown.split('\n').filter((line) => line.startsWith('| ') || line.startsWith('|---'));
        expect(rows.length).toBeGreaterThan(2);
        for (const row of rows) {
          // GFM splits cells at every `|` that is not backslash-escaped, code spans included.
          const cells = row.replace(/\\\|/g, '').split('|');
          expect(cells).toHaveLength(8);
        }
        // The description opens no HTML, code span, fence or table (a line of pipes).
        const description = markdown.slice(markdown.indexOf('# hostile\n') + 10, markdown.indexOf('\nSpec ['));
        expect(description).not.toMatch(/<|(?<!\\)[`|]/);
      }),
      { numRuns: 100 },
    );
  });

  it('always give balanced, well-quoted DOT', () => {
    fc.assert(
      fc.property(pipelineArb, (pipeline) => {
        const dot = renderDot(pipeline);
        // Strip quoted strings (with their escapes); what is left must be plain DOT syntax.
        const bare = dot.replace(/"(?:[^"\\]|\\.)*"/g, '""');
        expect(bare.replace(/""/g, '')).not.toMatch(/["\\]/);
        expect(bare.split('{').length).toBe(bare.split('}').length);
        for (const line of bare.split('\n').slice(1, -2))
          expect(line).toMatch(/^\s*(}|[A-Za-z_][\w ]*(\{|;|\[.*\];|->.*;)|[\w]+=.*;|subgraph \w+ \{)$/);
      }),
      { numRuns: 100 },
    );
  });
});

describe('sqlFirstLine', () => {
  it('takes the first non-blank line, shortened, and counts a batch', () => {
    const step = statement('s', '\n\n  select a,\n  b from t', {
      callback: false,
      singleton: false,
      results: false,
      batch: false,
    });
    expect(sqlFirstLine(step)).toBe('select a,');
    const long = statement('s', `select ${'x, '.repeat(40)}1`, {
      callback: false,
      singleton: false,
      results: false,
      batch: true,
    });
    expect(sqlFirstLine(long)).toMatch(/^select x, .{40,}… \(\+1 more\)$/);
    expect(sqlFirstLine(long).length).toBeLessThanOrEqual(60 + ' (+1 more)'.length);
  });
});

describe('sfn-redshift graph', () => {
  it('prints the Mermaid flowchart (default), DOT or the Markdown of one spec', async () => {
    const repo = scratchRepo();
    const mermaidRun = await cli(repo, 'graph', 'pipelines/nightly-sales.yaml');
    expect(mermaidRun.code).toBe(0);
    expect(mermaidRun.out).toMatch(/^flowchart TD\n/);
    await mermaid.parse(mermaidRun.out);
    const dot = await cli(repo, 'graph', 'pipelines/nightly-sales.yaml', '--format', 'dot');
    expect(dot.out).toMatch(/^digraph "nightly-sales" \{\n[\s\S]*\}$/);
    const markdown = await cli(repo, 'graph', 'pipelines/nightly-sales.yaml', '--format', 'markdown');
    const pipeline = pipelineFrom(
      readFileSync(join(repo, 'pipelines/nightly-sales.yaml'), 'utf8'),
      join(repo, 'pipelines/nightly-sales.yaml'),
    );
    const plan = compilePipeline(pipeline);
    expect(markdown.out).toContain(
      mermaidBlock(
        renderMarkdown(pipeline, limitUsage(plan, renderDefinition(plan.machine)), {
          spec: 'x',
          definition: 'y',
          policy: 'z',
        }),
      ).trimEnd(),
    );
  });

  it('wants exactly one pipeline and a known format', async () => {
    const repo = scratchRepo();
    const many = await cli(repo, 'graph');
    expect(many.code).toBe(2);
    expect(many.err).toMatch(/graph draws one pipeline; .*5 specs.*name one/);
    const bad = await cli(repo, 'graph', 'pipelines/mv-refresh.yaml', '--format', 'svg');
    expect(bad).toMatchObject({
      code: 2,
      err: expect.stringContaining("--format: 'svg' is not one of mermaid, dot, markdown"),
    });
  });
});
