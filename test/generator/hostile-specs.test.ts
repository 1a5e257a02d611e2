// Issue 15 items 3–7 and 10: hostile but fair specs. Each row: the files of a scratch repo, the
// command, then the exit code, the one line that names the problem, and what is on disk afterwards.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './cli-harness.ts';

const HEAD = 'version: 1\npipeline: p\ntarget: { cluster: a, database: d }\n';
const step = (lines: string) => `${HEAD}steps:\n  - id: s\n${lines}`;
const latin1 = (text: string) => Buffer.from(text, 'latin1');

type Row = {
  readonly item: string;
  readonly files: Record<string, string | Buffer | { symlink: string }>;
  readonly args?: readonly string[];
  readonly code: number;
  /** The problem's line on stderr (exit 2), or a line of stdout (exit 0). */
  readonly line: RegExp;
  /** Number of problem lines (one error per problem). */
  readonly problems?: number;
};

const rows: Row[] = [
  // 3: invalid UTF-8 is refused with file, line and column, never turned into U+FFFD
  {
    item: '3 Latin-1 byte in a spec',
    files: { 'pipelines/p.yaml': latin1(step('    sql: "select \'café\'"\n')) },
    code: 2,
    line: /^pipelines\/p\.yaml:6:22: byte 0xe9 is not UTF-8 \(Latin-1 or Windows-1252 text\?\); save the file as UTF-8$/,
  },
  {
    item: '3 Latin-1 byte in a sqlFile',
    files: { 'pipelines/p.yaml': step('    sqlFile: q.sql\n'), 'pipelines/q.sql': latin1('select 1;\n-- résumé\n') },
    code: 2,
    line: /^pipelines\/p\.yaml:6:14: steps\[0\]\.sqlFile: q\.sql:2:5: byte 0xe9 is not UTF-8/,
  },
  // 4: the Data API's 100,000 characters per statement, in both modes, sql, sqls and sqlFile
  {
    item: '4 a 100,001-character sql (callback mode)',
    files: { 'pipelines/p.yaml': `${HEAD}mode: callback\nsteps:\n  - id: s\n    sql: "${'x'.repeat(100_001)}"\n` },
    code: 2,
    line: /^pipelines\/p\.yaml:7:10: steps\[0\]\.sql: 100,001 characters is too long; must have at most 100,000 \(One SQL statement/,
  },
  {
    item: '4 a 100,001-character statement of a batch',
    files: { 'pipelines/p.yaml': step(`    sqls: ["select 1", "${'x'.repeat(100_001)}"]\n`) },
    code: 2,
    line: /^pipelines\/p\.yaml:6:24: steps\[0\]\.sqls\[1\]: 100,001 characters is too long; must have at most 100,000/,
  },
  {
    item: '4 a 153k-character sqlFile',
    files: {
      'pipelines/p.yaml': step('    sqlFile: big.sql\n'),
      'pipelines/big.sql': `select '${'x'.repeat(153_000)}'`,
    },
    code: 2,
    line: /^pipelines\/p\.yaml:6:14: steps\[0\]\.sqlFile: 'big\.sql' holds 153,009 characters; the Data API takes at most 100,000 per statement/,
  },
  {
    item: '4 100,000 characters exactly is fine',
    files: { 'pipelines/p.yaml': step(`    sql: "${'x'.repeat(100_000)}"\n`) },
    args: ['validate'],
    code: 0,
    line: /^1 pipeline valid$/,
  },
  // 5: values Step Functions refuses are refused at validation time
  {
    item: '5 retry.interval 0s (ASL IntervalSeconds is positive)',
    files: { 'pipelines/p.yaml': step('    sql: select 1\n    retry: { interval: 0s }\n') },
    code: 2,
    line: /^pipelines\/p\.yaml:7:24: steps\[0\]\.retry\.interval: '0s' is zero; a duration must be at least 1s/,
  },
  {
    item: '5 timeout 0s and timeout 0 say the same',
    files: {
      'pipelines/p.yaml': `${HEAD}defaults: { timeout: 0 }\nsteps:\n  - id: s\n    sql: select 1\n    timeout: 0s\n`,
    },
    code: 2,
    line: /^pipelines\/p\.yaml:4:22: defaults\.timeout: '0' is zero; a duration must be at least 1s/,
    problems: 2,
  },
  {
    item: '5 a retry interval beyond 24h',
    files: { 'pipelines/p.yaml': step('    sql: select 1\n    retry: { interval: 100000h }\n') },
    code: 2,
    line: /^pipelines\/p\.yaml:7:24: steps\[0\]\.retry\.interval: 100000h is too long; .*ASL IntervalSeconds.*, so use 1s to 24h$/,
  },
  {
    item: '5 a poll wait beyond 24h',
    files: { 'pipelines/p.yaml': step('    sql: select 1\n    poll: { initial: 5s, max: 30h }\n') },
    code: 2,
    line: /^pipelines\/p\.yaml:7:31: steps\[0\]\.poll\.max: 30h is too long; .*Wait \(ASL Seconds\).*, so use 1s to 24h$/,
  },
  {
    item: '5 longPoll beyond WaitTimeSeconds 30',
    files: { 'pipelines/p.yaml': step('    sql: select 1\n    poll: { longPoll: 31s }\n') },
    code: 2,
    line: /^pipelines\/p\.yaml:7:23: steps\[0\]\.poll\.longPoll: 31s is too long; a Data API call waits at most 30s/,
  },
  // 6: sqlFile stays inside the project
  {
    item: '6 sqlFile: /etc/passwd',
    files: { 'package.json': '{}', 'pipelines/p.yaml': step('    sqlFile: /etc/passwd\n') },
    code: 2,
    line: /^pipelines\/p\.yaml:6:14: steps\[0\]\.sqlFile: '\/etc\/passwd' resolves to \/etc\/passwd, outside the project \/.+ \(the nearest directory above the spec with package\.json or \.git\); .*--allow-sql-outside$/,
  },
  {
    item: '6 sqlFile: ../../x',
    files: {
      'repo/package.json': '{}',
      'repo/pipelines/p.yaml': step('    sqlFile: ../../x.sql\n'),
      'x.sql': 'select 1',
    },
    args: ['generate', 'repo/pipelines', '--out', 'repo/asl'],
    code: 2,
    line: /^repo\/pipelines\/p\.yaml:6:14: steps\[0\]\.sqlFile: '\.\.\/\.\.\/x\.sql' resolves to \/.+\/x\.sql, outside the project/,
  },
  {
    item: '6 a symlink out of the project',
    files: {
      'repo/package.json': '{}',
      'repo/pipelines/p.yaml': step('    sqlFile: q.sql\n'),
      'repo/pipelines/q.sql': { symlink: '../../x.sql' },
      'x.sql': 'select 1',
    },
    args: ['generate', 'repo/pipelines', '--out', 'repo/asl'],
    code: 2,
    line: /steps\[0\]\.sqlFile: 'q\.sql' resolves to \/.+\/x\.sql, outside the project/,
  },
  {
    item: '6 --allow-sql-outside lets it in',
    files: {
      'repo/package.json': '{}',
      'repo/pipelines/p.yaml': step('    sqlFile: ../../x.sql\n'),
      'x.sql': 'select 1',
    },
    args: ['generate', 'repo/pipelines', '--out', 'repo/asl', '--allow-sql-outside'],
    code: 0,
    line: /^1 pipeline, \d+ states, written to repo\/asl\/$/,
  },
  // 7: symlinked spec directories are followed, loops visited once
  {
    item: '7 a symlinked directory of specs is read',
    files: {
      'elsewhere/p.yaml': step('    sql: select 1\n'),
      'pipelines/linked': { symlink: '../elsewhere' },
      'pipelines/loop': { symlink: '.' },
    },
    args: ['validate'],
    code: 0,
    line: /^1 pipeline valid$/,
  },
  // 10: smaller
  {
    item: '10 a duplicate key names the key',
    files: { 'pipelines/p.yaml': step('    sql: select 1\n    sql: select 2\n') },
    code: 2,
    line: /^pipelines\/p\.yaml:7:5: YAML syntax: duplicate key 'sql'; each key may appear once in a mapping$/,
  },
  {
    item: '10 a YAML syntax error says what is valid',
    files: { 'pipelines/p.yaml': step('    sql: a: b\n') },
    code: 2,
    line: /^pipelines\/p\.yaml:6:10: YAML syntax: Nested mappings are not allowed in compact mappings; put a nested mapping on its own lines, or quote a value that holds ': '$/,
  },
  {
    item: '10 an empty file',
    files: { 'pipelines/p.yaml': '# nothing yet\n' },
    code: 2,
    line: /^pipelines\/p\.yaml:1:1: empty spec; a spec holds version: 1, pipeline, target and steps/,
  },
  {
    item: '10 .inf shown as written',
    files: { 'pipelines/p.yaml': step('    sql: select 1\n    retry: { factor: .inf }\n') },
    code: 2,
    line: /^pipelines\/p\.yaml:7:22: steps\[0\]\.retry\.factor: \.inf is not valid/,
  },
  {
    item: '10 .nan shown as written',
    files: { 'pipelines/p.yaml': step('    sql: select 1\n    timeout: .nan\n') },
    code: 2,
    line: /^pipelines\/p\.yaml:7:14: steps\[0\]\.timeout: \.nan is not a duration/,
  },
  {
    item: '10 the << merge key is supported',
    files: {
      'pipelines/p.yaml': `${HEAD}defaults: &d { timeout: 5m }\nsteps:\n  - id: s\n    <<: *d\n    sql: select 1\n`,
    },
    args: ['validate'],
    code: 0,
    line: /^1 pipeline valid$/,
  },
  {
    item: '10 pipeline names that differ only in case',
    files: {
      'pipelines/a.yaml': step('    sql: select 1\n'),
      'pipelines/b.yaml': step('    sql: select 1\n').replace('pipeline: p', 'pipeline: P'),
    },
    code: 2,
    line: /^pipelines\/b\.yaml:2:11: pipeline: pipeline name 'P' differs from 'p' \(pipelines\/a\.yaml\) only in case/,
  },
];

function scratch(files: Row['files']): string {
  const directory = mkdtempSync(join(tmpdir(), 'sfn-redshift-hostile-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(directory, path)), { recursive: true });
    if (typeof content === 'object' && !Buffer.isBuffer(content)) symlinkSync(content.symlink, join(directory, path));
    else writeFileSync(join(directory, path), content);
  }
  return directory;
}

describe('hostile specs', () => {
  it.each(rows)('item $item', async ({ files, args = ['generate'], code, line, problems = 1 }) => {
    const repo = scratch(files);
    const before = readdirSync(repo, { recursive: true }).sort();
    const run = await cli(repo, ...args);
    expect({ code: run.code, err: run.code === 0 ? '' : run.err }).toMatchObject({ code });
    if (code === 0) {
      expect(run.out.split('\n')).toContainEqual(expect.stringMatching(line));
      return;
    }
    const lines = run.err.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(line));
    expect(lines.at(-1)).toBe(`${problems} problem(s) found; nothing was written.`);
    expect(lines).toHaveLength(problems + 1);
    expect(readdirSync(repo, { recursive: true }).sort()).toEqual(before);
  });

  it('item 3: valid UTF-8 (BOM, multi-byte, astral) still loads, and the SQL arrives intact', async () => {
    const repo = scratch({ 'pipelines/p.yaml': `\uFEFF${step('    sql: "select \'café 🚀\'"\n')}` });
    expect(await cli(repo, 'generate')).toMatchObject({ code: 0 });
    expect(readFileSync(join(repo, 'asl', 'p.asl.json'), 'utf8')).toContain("select 'café 🚀'");
  });

  it('item 4: every problem is counted, the first 50 are printed, then "… and N more"', async () => {
    const junk = Array.from({ length: 5000 }, (_, index) => `junk_${index}: ${index}\n`).join('');
    const repo = scratch({ 'pipelines/p.yaml': `${step('    sql: select 1\n')}${junk}` });
    const run = await cli(repo, 'validate');
    expect(run.code).toBe(2);
    const lines = run.err.split('\n');
    expect(lines).toHaveLength(52);
    expect(lines[0]).toMatch(/^pipelines\/p\.yaml:7:1: junk_0: unknown field 'junk_0'/);
    expect(lines[50]).toBe('… and 4,950 more');
    expect(lines[51]).toBe('5000 problem(s) found; nothing was written.');
  });

  it('item 10: $${Esc} is an escape, not a substitution key of the typed module', async () => {
    const repo = scratch({ 'pipelines/p.yaml': step("    sql: \"select '$${Esc}', '${Real}'\"\n") });
    expect(await cli(repo, 'generate')).toMatchObject({ code: 0 });
    const module = readFileSync(join(repo, 'asl', 'index.ts'), 'utf8');
    expect(module).toContain("'Real'");
    expect(module).not.toContain("'Esc'");
    expect(existsSync(join(repo, 'asl', 'p.asl.json'))).toBe(true);
  });
});

describe('check: item 8, a diff never floods the terminal', () => {
  // Any control character but the newlines between lines.
  const controlBytes = /(?!\n)\p{Cc}/u;
  const cases = [
    { name: 'a 100 MB one-line file', content: () => `${'x'.repeat(50_000_000)}\x1b[2J${'y'.repeat(50_000_000)}` },
    {
      name: 'control bytes in a short change',
      content: (old: string) => old.replace('"Comment"', '"Comm\x1b[31ment\x07"'),
    },
    { name: 'every line changed', content: (old: string) => old.replace(/"/g, "'") },
  ];
  it.each(cases)('$name: escaped, at most a few KB, exit 1, the file left as it was', async ({ content }) => {
    const repo = scratch({ 'pipelines/p.yaml': step('    sql: select 1\n') });
    expect(await cli(repo, 'generate')).toMatchObject({ code: 0 });
    const file = join(repo, 'asl', 'p.asl.json');
    const stale = content(readFileSync(file, 'utf8'));
    writeFileSync(file, stale);
    const run = await cli(repo, 'check');
    expect(run.code).toBe(1);
    expect(run.err.split('\n')[0]).toBe('stale: asl/p.asl.json');
    expect(run.err).not.toMatch(controlBytes);
    expect(Buffer.byteLength(run.err)).toBeLessThan(6 * 1024);
    expect(run.err).toMatch(/^1 file out of date; run 'sfn-redshift generate' and commit the result\.$/m);
    expect(readFileSync(file, 'utf8') === stale).toBe(true);
  });

  it('the 100 MB line says how many bytes it left out, and escapes what it shows', async () => {
    const { shortDiff, MAX_DIFF_BYTES } = await import('../../generator/emit/diff.ts');
    const lines = shortDiff(`${'\x1b'.repeat(10)}${'x'.repeat(10_000)}\n`, 'y\n');
    expect(lines[0]).toBe('@@ line 1 @@');
    expect(lines[1]).toMatch(/^- (\\x1b){10}x+… [\d,]+ more bytes$/);
    const shownBytes = lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
    expect(shownBytes).toBeLessThan(MAX_DIFF_BYTES + 100);
    const left = Number(/… ([\d,]+) more bytes/.exec(lines[1] as string)?.[1]?.replace(/,/g, ''));
    const shownX = ((lines[1] as string).replace(/\\x1b/g, '').match(/x/g) ?? []).length;
    expect(left).toBe(10_000 - shownX + Buffer.byteLength('+ y') + 1);
  });
});

describe('item 5: the machine TimeoutSeconds stays within ASL', () => {
  it('retries that back off for years are refused with the reason, exit 2, nothing written', async () => {
    const repo = scratch({
      'pipelines/p.yaml': step('    sql: select 1\n    retry: { attempts: 10, interval: 24h, factor: 10 }\n'),
    });
    const run = await cli(repo, 'generate');
    expect(run.code).toBe(2);
    expect(run.err.split('\n')[0]).toMatch(
      /^error: pipelines\/p\.yaml: the machine's TimeoutSeconds would be [\d,]+ \(every step's timeout plus its retry schedule.*above the 99,999,999 Step Functions accepts; lower retry\.attempts, retry\.interval or retry\.factor$/,
    );
    expect(existsSync(join(repo, 'asl'))).toBe(false);
  });
});

describe('item 10: one error per problem', () => {
  const T = 'target: { cluster: a, database: d }\n';
  it.each([
    [
      'a target that is a number',
      `version: 1\npipeline: p\ntarget: 5\nsteps:\n  - id: s\n    sql: select 1\n`,
      '/x.yaml:3:9: target: 5 is not valid; must be object',
    ],
    [
      'an empty step',
      `version: 1\npipeline: p\n${T}steps:\n  - {}\n`,
      "/x.yaml:5:5: steps[0]: missing required field 'id'",
    ],
    ['steps: (null)', `version: 1\npipeline: p\n${T}steps:\n`, '/x.yaml:4:7: steps: null is not valid; must be array'],
    [
      'a timeout that is a mapping',
      `version: 1\npipeline: p\n${T}steps:\n  - id: s\n    sql: select 1\n    timeout: {a: 1}\n`,
      '/x.yaml:7:14: steps[0].timeout: {"a":1} is not a duration',
    ],
    [
      'a parameter that is a list',
      `version: 1\npipeline: p\n${T}steps:\n  - id: s\n    sql: select :x\n    parameters: { x: [1] }\n`,
      '/x.yaml:7:22: steps[0].parameters.x: [1] is not valid; must be string or number or boolean',
    ],
    ['a document that is a list', '- a\n- b\n', '/x.yaml:1:1: ["a","b"] is not valid; must be object'],
  ])('%s', async (_name, text, message) => {
    const { loadPipeline } = await import('../../generator/load/load.ts');
    const { errors } = loadPipeline({ path: '/x.yaml', text });
    expect(errors.map((error) => error.message)).toEqual([expect.stringContaining(message)]);
  });
});
