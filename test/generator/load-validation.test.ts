import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../generator/load/load.ts';
import type { SpecErrorCode } from '../../generator/load/errors.ts';

const VALID_HEAD = `version: 1
pipeline: demo
target:
  cluster: analytics
  database: dev
`;

type Expected = { code: SpecErrorCode; line: number; column: number; contains: string };
type Case = { name: string; yaml: string; expected: Expected[] };

const cases: Case[] = [
  {
    name: 'YAML syntax error',
    yaml: `version: 1\npipeline: [demo\n`,
    expected: [{ code: 'yaml-syntax', line: 3, column: 1, contains: 'YAML syntax' }],
  },
  {
    name: 'missing top-level field points at the document root',
    yaml: `version: 1\npipeline: demo\ntarget: { cluster: a, database: dev }\n`,
    expected: [{ code: 'missing-field', line: 1, column: 1, contains: "missing required field 'steps'" }],
  },
  {
    name: 'unknown top-level field points at its key and lists valid fields',
    yaml: `${VALID_HEAD}colour: blue\nsteps:\n  - id: a\n    sql: select 1\n`,
    expected: [
      {
        code: 'unknown-field',
        line: 6,
        column: 1,
        contains: "unknown field 'colour'; valid fields here: version, pipeline",
      },
    ],
  },
  {
    name: 'unknown step field',
    yaml: `${VALID_HEAD}steps:\n  - id: a\n    sql: select 1\n    retries: 3\n`,
    expected: [
      {
        code: 'unknown-field',
        line: 9,
        column: 5,
        contains:
          "steps[0].retries: unknown field 'retries'; valid fields here: id, description, sql, sqlFile, sqls, parallel",
      },
    ],
  },
  {
    name: 'bad enum value points at the value',
    yaml: `${VALID_HEAD}mode: sometimes\nsteps:\n  - id: a\n    sql: select 1\n`,
    expected: [
      {
        code: 'invalid-value',
        line: 6,
        column: 7,
        contains: "mode: 'sometimes' is not valid; must be one of: poll, callback",
      },
    ],
  },
  {
    name: 'bad pipeline name',
    yaml: `version: 1\npipeline: "nightly sales"\ntarget: { cluster: a, database: dev }\nsteps:\n  - id: a\n    sql: select 1\n`,
    expected: [
      {
        code: 'invalid-value',
        line: 2,
        column: 11,
        contains: "pipeline: 'nightly sales' is not valid (Pipeline name: 1-64 letters, digits or hyphens",
      },
    ],
  },
  {
    name: 'bad step id',
    yaml: `${VALID_HEAD}steps:\n  - id: 1load\n    sql: select 1\n`,
    expected: [{ code: 'invalid-value', line: 7, column: 9, contains: "steps[0].id: '1load' is not valid" }],
  },
  {
    name: 'bad duration',
    yaml: `${VALID_HEAD}steps:\n  - id: a\n    sql: select 1\n    timeout: 90x\n`,
    expected: [
      {
        code: 'invalid-duration',
        line: 9,
        column: 14,
        contains:
          "steps[0].timeout: '90x' is not a duration; use 30s, 5m, 2h, a combination such as 1h30m, or a whole number of seconds",
      },
    ],
  },
  {
    name: 'timeout above the Data API limit',
    yaml: `${VALID_HEAD}defaults:\n  timeout: 25h\nsteps:\n  - id: a\n    sql: select 1\n`,
    expected: [
      {
        code: 'invalid-duration',
        line: 7,
        column: 12,
        contains: 'defaults.timeout: 25h is too long; the Data API ends every statement after 24h',
      },
    ],
  },
  {
    name: 'two step kinds on one step point at the step',
    yaml: `${VALID_HEAD}steps:\n  - id: a\n    sql: select 1\n    sqls: [select 2]\n`,
    expected: [
      {
        code: 'step-kind-conflict',
        line: 7,
        column: 5,
        contains: "step 'a' has sql and sqls; give exactly one of sql, sqlFile, sqls or parallel",
      },
    ],
  },
  {
    name: 'no step kind',
    yaml: `${VALID_HEAD}steps:\n  - id: a\n    results: true\n`,
    expected: [{ code: 'step-kind-conflict', line: 7, column: 5, contains: "step 'a' has no SQL" }],
  },
  {
    name: 'statement-only field on a parallel step',
    yaml: `${VALID_HEAD}steps:\n  - id: p\n    singleton: true\n    parallel:\n      - steps:\n          - id: a\n            sql: select 1\n`,
    expected: [
      {
        code: 'step-kind-conflict',
        line: 8,
        column: 5,
        contains: "'singleton' belongs on the steps inside the branches",
      },
    ],
  },
  {
    name: 'duplicate step id inside a parallel branch',
    yaml: `${VALID_HEAD}steps:\n  - id: a\n    sql: select 1\n  - id: p\n    parallel:\n      - steps:\n          - id: a\n            sql: select 2\n`,
    expected: [{ code: 'duplicate-step-id', line: 12, column: 13, contains: "step id 'a' is already used on line 7" }],
  },
  {
    name: 'cluster and workgroup both',
    yaml: `version: 1\npipeline: demo\ntarget:\n  cluster: a\n  workgroup: b\n  database: dev\nsteps:\n  - id: a\n    sql: select 1\n`,
    expected: [
      {
        code: 'target-conflict',
        line: 3,
        column: 1,
        contains: 'target: the pipeline target names both cluster and workgroup',
      },
    ],
  },
  {
    name: 'neither cluster nor workgroup',
    yaml: `version: 1\npipeline: demo\ntarget:\n  database: dev\nsteps:\n  - id: a\n    sql: select 1\n`,
    expected: [{ code: 'missing-field', line: 3, column: 1, contains: 'names neither cluster nor workgroup' }],
  },
  {
    name: 'dbUser with a workgroup',
    yaml: `version: 1\npipeline: demo\ntarget:\n  workgroup: wg\n  database: dev\n  dbUser: etl\nsteps:\n  - id: a\n    sql: select 1\n`,
    expected: [
      {
        code: 'target-conflict',
        line: 6,
        column: 3,
        contains: 'target.dbUser: dbUser works only with a provisioned cluster',
      },
    ],
  },
  {
    name: 'dbUser with a workgroup after a step override switches the target kind',
    yaml: `version: 1\npipeline: demo\ntarget:\n  cluster: c\n  database: dev\n  secretArn: arn:aws:secretsmanager:eu-west-1:1:secret:x\nsteps:\n  - id: a\n    sql: select 1\n    target: { dbUser: etl, secretArn: arn:aws:secretsmanager:eu-west-1:1:secret:y }\n`,
    expected: [
      {
        code: 'target-conflict',
        line: 10,
        column: 28,
        contains: 'steps[0].target.secretArn: give either dbUser or secretArn, not both',
      },
    ],
  },
  {
    name: 'malformed placeholder',
    yaml: `version: 1\npipeline: demo\ntarget:\n  cluster: analytics\n  database: \${Db\nsteps:\n  - id: a\n    sql: select 1\n`,
    expected: [
      { code: 'invalid-placeholder', line: 5, column: 13, contains: "target.database: malformed placeholder '${Db'" },
    ],
  },
  {
    name: 'parameter not used by the SQL, and SQL parameter not declared',
    yaml: `${VALID_HEAD}steps:\n  - id: a\n    sql: "select * from t where d = :day and x = ':not_a_param' and y::int = 1"\n    parameters: { run_date: "$.runDate" }\n`,
    expected: [
      {
        code: 'invalid-parameter',
        line: 8,
        column: 5,
        contains: "the SQL uses :day but the step has no parameter 'day'",
      },
      { code: 'invalid-parameter', line: 9, column: 19, contains: "parameter 'run_date' is not used by the SQL" },
    ],
  },
  {
    name: 'bad JSONPath parameter',
    yaml: `${VALID_HEAD}steps:\n  - id: a\n    sql: select :d\n    parameters: { d: "$.a b" }\n`,
    expected: [{ code: 'invalid-parameter', line: 9, column: 22, contains: "'$.a b' is not a supported JSONPath" }],
  },
  {
    name: 'poll max below initial',
    yaml: `${VALID_HEAD}steps:\n  - id: a\n    sql: select 1\n    poll: { initial: 10s, max: 5s }\n`,
    expected: [
      { code: 'invalid-value', line: 9, column: 5, contains: 'steps[0].poll: max (5s) is shorter than initial (10s)' },
    ],
  },
  {
    name: 'long poll above the Data API maximum (WaitTimeSeconds 1–30)',
    yaml: `${VALID_HEAD}defaults:\n  poll:\n    longPoll: 45s\nsteps:\n  - id: a\n    sql: select 1\n    poll: { longPoll: 1m }\n`,
    expected: [
      {
        code: 'invalid-duration',
        line: 8,
        column: 15,
        contains:
          'defaults.poll.longPoll: 45s is too long; a Data API call waits at most 30s (WaitTimeSeconds 1–30), so use 1s to 30s',
      },
      { code: 'invalid-duration', line: 12, column: 23, contains: 'steps[0].poll.longPoll: 1m is too long' },
    ],
  },
  {
    name: 'long poll that is not a duration',
    yaml: `${VALID_HEAD}steps:\n  - id: a\n    sql: select 1\n    poll: { longPoll: soon }\n`,
    expected: [
      { code: 'invalid-duration', line: 9, column: 23, contains: "steps[0].poll.longPoll: 'soon' is not a duration" },
    ],
  },
  {
    // 0 and 0s say the same (issue 15 item 5): Step Functions takes positive whole seconds.
    name: 'long poll of zero',
    yaml: `${VALID_HEAD}steps:\n  - id: b\n    sql: select 1\n    poll: { longPoll: 0 }\n  - id: c\n    sql: select 1\n    poll: { longPoll: 0s }\n`,
    expected: [
      {
        code: 'invalid-duration',
        line: 9,
        column: 23,
        contains: "steps[0].poll.longPoll: '0' is zero; a duration must be at least 1s",
      },
      {
        code: 'invalid-duration',
        line: 12,
        column: 23,
        contains: "steps[1].poll.longPoll: '0s' is zero; a duration must be at least 1s",
      },
    ],
  },
  {
    name: 'several problems are all reported, in file order',
    yaml: `${VALID_HEAD}mode: fast\nsteps:\n  - id: a\n    sql: select 1\n    timeout: soon\n  - id: b\n    sqls: []\n`,
    expected: [
      { code: 'invalid-value', line: 6, column: 7, contains: "mode: 'fast'" },
      { code: 'invalid-duration', line: 10, column: 14, contains: 'steps[0].timeout' },
      { code: 'invalid-value', line: 12, column: 5, contains: 'steps[1].sqls: must have at least 1 item' },
    ],
  },
];

describe('spec validation', () => {
  it.each(cases)('$name', ({ yaml, expected }) => {
    const { pipeline, errors } = loadPipeline({
      path: '/specs/demo.yaml',
      displayName: 'pipelines/demo.yaml',
      text: yaml,
    });
    expect(pipeline).toBeUndefined();
    expect(
      errors.map((error) => ({ code: error.code, line: error.location.line, column: error.location.column })),
    ).toEqual(expected.map(({ code, line, column }) => ({ code, line, column })));
    errors.forEach((error, index) => {
      expect(error.message).toContain(`pipelines/demo.yaml:${error.location.line}:${error.location.column}: `);
      expect(error.message).toContain((expected[index] as Expected).contains);
    });
  });

  it('reports an sqlFile that does not exist, relative to the spec', () => {
    const directory = mkdtempSync(join(tmpdir(), 'spec-'));
    const yaml = `${VALID_HEAD}steps:\n  - id: a\n    sqlFile: sql/missing.sql\n`;
    const { errors } = loadPipeline({ path: join(directory, 'demo.yaml'), displayName: 'demo.yaml', text: yaml });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.code).toBe('sql-file-not-found');
    expect(errors[0]?.message).toMatch(
      /^demo\.yaml:8:14: steps\[0\]\.sqlFile: cannot read 'sql\/missing\.sql' \(looked for .*sql\/missing\.sql\)/,
    );
  });

  it('normalizes: defaults filled, durations in seconds, SQL files read, targets merged', () => {
    const directory = mkdtempSync(join(tmpdir(), 'spec-'));
    mkdirSync(join(directory, 'sql'));
    writeFileSync(join(directory, 'sql', 'load.sql'), '  insert into t\n  select 1\n');
    const yaml = `version: 1
pipeline: demo
target: { cluster: analytics, database: dev, dbUser: etl }
defaults: { timeout: 2h, poll: { initial: 10s, longPoll: 30s } }
steps:
  - id: a
    sqlFile: sql/load.sql
  - id: b
    sql: select :n
    parameters: { n: 42 }
    timeout: 1h30m
    poll: { max: 2m, factor: 1.5, longPoll: 20s }
    retry: { attempts: 0 }
    target: { workgroup: wg, secretArn: "arn:aws:secretsmanager:eu-west-1:1:secret:s" }
`;
    const { pipeline, errors } = loadPipeline({ path: join(directory, 'demo.yaml'), text: yaml });
    expect(errors).toEqual([]);
    expect(pipeline?.steps).toEqual([
      {
        kind: 'statement',
        id: 'a',
        statement: { kind: 'single', sql: 'insert into t\n  select 1' },
        parameters: [],
        singleton: false,
        timeoutSeconds: 7200,
        poll: { initialSeconds: 10, maxSeconds: 60, factor: 2, longPollSeconds: 30 },
        retry: { attempts: 3, intervalSeconds: 5, backoffRate: 2 },
        mode: 'poll',
        target: { kind: 'cluster', cluster: 'analytics', database: 'dev', dbUser: 'etl' },
        statementName: 'sfn-redshift/demo/a',
        cleanup: 'cancel-on-stop',
      },
      {
        kind: 'statement',
        id: 'b',
        statement: { kind: 'single', sql: 'select :n' },
        parameters: [{ name: 'n', value: { kind: 'literal', value: '42' } }],
        singleton: false,
        timeoutSeconds: 5400,
        poll: { initialSeconds: 10, maxSeconds: 120, factor: 1.5, longPollSeconds: 20 },
        retry: { attempts: 0, intervalSeconds: 5, backoffRate: 2 },
        mode: 'poll',
        target: {
          kind: 'workgroup',
          workgroup: 'wg',
          database: 'dev',
          secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:s',
        },
        statementName: 'sfn-redshift/demo/b',
        cleanup: 'cancel-on-stop',
      },
    ]);
    expect(pipeline?.stateTable).toBe('${StateTableName}');
  });
});

// Step Functions service quotas: a state's input or output is at most 256 KiB of UTF-8 JSON; over
// it the execution fails States.DataLimitExceeded, which no Catch handles. `results` limits keep a
// fetched page under it and fail Redshift.ResultTooLarge instead.
describe('results limits (Step Functions 256 KiB state quota)', () => {
  const load = (yaml: string) =>
    loadPipeline({ path: '/specs/demo.yaml', displayName: 'pipelines/demo.yaml', text: `${VALID_HEAD}${yaml}` });
  const limitsOf = (yaml: string) =>
    load(yaml).pipeline?.steps.map((step) => (step.kind === 'statement' ? step.results : undefined));

  it('true takes the defaults (100 rows, 64KB); an object overrides each limit; false or absent fetches nothing', () => {
    const steps = `steps:
  - { id: a, sql: select 1, results: true }
  - { id: b, sql: select 1, results: { maxRows: 5 } }
  - { id: c, sql: select 1, results: { maxBytes: 1000 } }
  - { id: d, sql: select 1, results: { maxBytes: 2KiB, maxRows: 3 } }
  - { id: e, sql: select 1, results: false }
  - { id: f, sql: select 1 }
`;
    expect(limitsOf(steps)).toEqual([
      { maxRows: 100, maxBytes: 65_536 },
      { maxRows: 5, maxBytes: 65_536 },
      { maxRows: 100, maxBytes: 1000 },
      { maxRows: 3, maxBytes: 2048 },
      undefined,
      undefined,
    ]);
  });

  it('defaults.results sets the limits of every fetching step, without making other steps fetch', () => {
    const yaml = `defaults:
  results: { maxRows: 10, maxBytes: 16KB }
steps:
  - { id: a, sql: select 1, results: true }
  - { id: b, sql: select 1, results: { maxRows: 20 } }
  - { id: c, sql: select 1 }
  - id: p
    parallel:
      - steps: [{ id: d, sql: select 1, results: true }]
`;
    expect(limitsOf(yaml)).toEqual([
      { maxRows: 10, maxBytes: 16_384 },
      { maxRows: 20, maxBytes: 16_384 },
      undefined,
      undefined,
    ]);
    const parallel = load(yaml).pipeline?.steps[3];
    expect(parallel?.kind === 'parallel' && parallel.branches[0]?.[0]).toMatchObject({ results: { maxRows: 10 } });
  });

  it.each([
    ['results: { maxRows: 0 }', 9, 'steps[0].results.maxRows: 0 is not valid; must be at least 1'],
    ['results: { maxRows: -3 }', 9, 'steps[0].results.maxRows: -3 is not valid; must be at least 1'],
    ['results: { maxRows: 1.5 }', 9, 'steps[0].results.maxRows: 1.5 is not valid; must be integer'],
    [
      'results: { maxRows: 20000 }',
      9,
      `steps[0].results.maxRows: 20,000 rows can never fit: a row takes at least 18 bytes of JSON ('[{"IsNull":true}],') and a state holds 256 KiB (Step Functions quota), so use 1 to 14,506`,
    ],
    ['results: { maxBytes: 0KB }', 9, "steps[0].results.maxBytes: '0KB' is zero; use 1 to 255KB (261,120 bytes)"],
    [
      'results: { maxBytes: 0 }',
      9,
      'steps[0].results.maxBytes: 0 is not a byte size; use a whole number of bytes (1 or more)',
    ],
    ['results: { maxBytes: -5 }', 9, 'steps[0].results.maxBytes: -5 is not a byte size'],
    [
      'results: { maxBytes: 12 GB }',
      9,
      "steps[0].results.maxBytes: '12 GB' is not a byte size; use a whole number of bytes (1 or more) or a size such as 512B, 64KB, 64KiB",
    ],
    [
      'results: { maxBytes: 1MB }',
      9,
      "steps[0].results.maxBytes: '1MB' can never fit: a state holds at most 256 KiB (Step Functions quota) and the step record around the result needs some of it, so use 1 to 255KB (261,120 bytes)",
    ],
    [
      'results: { maxBytes: 262144 }',
      9,
      'steps[0].results.maxBytes: 262,144 bytes can never fit: a state holds at most 256 KiB',
    ],
    ['results: { rows: 4 }', 9, "steps[0].results.rows: unknown field 'rows'; valid fields here: maxRows, maxBytes"],
    ['results: yes please', 9, "steps[0].results: 'yes please' is not valid; must be boolean or object"],
  ])('%s is refused at its line and column', (field, line, message) => {
    const { pipeline, errors } = load(`steps:\n  - id: a\n    sql: select 1\n    ${field}\n`);
    expect(pipeline).toBeUndefined();
    expect(errors.map((error) => error.message)).toEqual([expect.stringContaining(message)]);
    expect(errors[0]?.location.line).toBe(line);
    expect(errors[0]?.message).toMatch(/^pipelines\/demo\.yaml:9:\d+: /);
  });

  it("defaults.results is checked like a step's and names its own field", () => {
    const { errors } = load(
      'defaults:\n  results: { maxRows: 100000, maxBytes: 300KB }\nsteps:\n  - { id: a, sql: select 1 }\n',
    );
    expect(errors.map((error) => `${error.location.line}: ${error.field}`)).toEqual([
      '7: defaults.results.maxRows',
      '7: defaults.results.maxBytes',
    ]);
  });

  it('a parallel step takes no results (they belong on the steps of its branches)', () => {
    const { errors } = load(
      'steps:\n  - id: p\n    results: true\n    parallel:\n      - steps: [{ id: a, sql: select 1 }]\n',
    );
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringContaining("steps[0].results: 'results' belongs on the steps inside the branches"),
    ]);
  });
});
