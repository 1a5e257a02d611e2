// `sfn-redshift run`: in-process through runCli with a captured Io, and as the real binary in a
// child process (exit codes, Ctrl-C, nothing left running).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../generator/cli/main.ts';
import type { LocalStack } from '../../local/stack.ts';
import { startTestStack } from '../support/shared-postgres.ts';
import { sql } from './helpers.ts';

const ROOT = join(import.meta.dirname, '../..');

type CliRun = { code: number; out: string[]; err: string[] };

async function cli(
  cwd: string,
  argv: string[],
  options: { signal?: AbortSignal; onOut?: (line: string) => void } = {},
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    cwd,
    out: (line) => {
      out.push(line);
      options.onOut?.(line);
    },
    err: (line) => err.push(line),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { code, out, err };
}

const SPEC = `version: 1
pipeline: cli-demo
target: { cluster: "\${ClusterId}", database: dev, dbUser: etl }
defaults: { poll: { initial: 1s, max: 1s } }
steps:
  - id: fill
    sql: "insert into cli_items select g, :label from generate_series(1, :count::int) g"
    parameters: { label: "$.label", count: "$.count" }
  - id: total
    sql: select count(*) as n, min(label) as label from cli_items
    results: true
`;

const FAILING = `version: 1
pipeline: cli-broken
target: { cluster: local, database: dev }
steps:
  - id: broken
    sql: select * from cli_missing_table
`;

const CALLBACK_FAILING = `version: 1
pipeline: cli-callback
mode: callback
target: { cluster: local, database: dev }
steps:
  - id: broken_cb
    sql: select * from cli_missing_table
`;

const SLEEPING = `version: 1
pipeline: cli-sleep
target: { cluster: local, database: dev }
defaults: { poll: { initial: 1s, max: 1s } }
steps:
  - id: sleepy
    sql: select pg_sleep(60) as cli_interrupt_probe
`;

function scratch(files: Record<string, string>): string {
  const directory = mkdtempSync(join(tmpdir(), 'sfn-redshift-run-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(directory, name), content);
  return directory;
}

const cwd = scratch({
  'demo.yaml': SPEC,
  'broken.yaml': FAILING,
  'sleep.yaml': SLEEPING,
  'callback.yaml': CALLBACK_FAILING,
  'timeout.yaml': SLEEPING.replace('cli-sleep', 'cli-timeout').replace('cli_interrupt_probe', 'cli_timeout_probe'),
  'seed.sql': 'create table cli_items (id int, label varchar(20));',
  'input.json': '{"label": "from-file", "count": 3, "nested": {"kept": [1, 2]}}',
  'invalid.yaml':
    'version: 1\npipeline: bad\ntarget: { cluster: a, database: d }\nsteps:\n  - id: x\n    sql: select 1\n    timeout: soon\n',
  'placeholder.yaml':
    'version: 1\npipeline: ph\ntarget: { cluster: local, database: "${Env}" }\nsteps:\n  - id: x\n    sql: select 1\n',
});

describe('sfn-redshift run (in-process)', () => {
  let server: LocalStack;

  beforeAll(async () => {
    // Its PostgreSQL serves the --database-url runs, so that the tests can look inside afterwards.
    server = await startTestStack();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('runs a spec with --init-sql, --input @file and --wait-ms, printing progress and the output', async () => {
    const result = await cli(cwd, [
      'run',
      'demo.yaml',
      '--init-sql',
      'seed.sql',
      '--input',
      '@input.json',
      '--wait-ms',
      '5',
    ]);
    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.out[0]).toMatch(/^local stack ready in \d+\.\ds \(PostgreSQL on 127\.0\.0\.1:\d+\/postgres\)$/);
    expect(result.out).toContainEqual(expect.stringMatching(/^ {2}fill +SUBMITTED +\d+\.\ds$/));
    expect(result.out).toContainEqual(expect.stringMatching(/^ {2}fill +FINISHED +\d+\.\ds {2}3 rows$/));
    expect(result.out).toContainEqual(expect.stringMatching(/^ {2}total +FINISHED +\d+\.\ds {2}1 row$/));
    // fill is reported before total starts
    const firstTotal = result.out.findIndex((line) => line.startsWith('  total'));
    const lastFill = result.out.findLastIndex((line) => line.startsWith('  fill'));
    expect(lastFill).toBeLessThan(firstTotal);
    // one line per change: no status is repeated for a step
    const progressLines = result.out
      .filter((line) => line.startsWith('  '))
      .map((line) => line.replace(/ +\d+\.\ds.*$/, ''));
    expect(progressLines).toEqual([...new Set(progressLines)]);
    const summary = result.out.findIndex((line) => line.startsWith('SUCCEEDED in '));
    expect(result.out[summary]).toMatch(/^SUCCEEDED in \d+\.\ds \(\d+ state transitions, \d+ history events\)$/);
    const output = JSON.parse(result.out.slice(summary + 1).join('\n')) as Record<string, unknown>;
    expect(output).toMatchObject({
      label: 'from-file',
      count: 3,
      nested: { kept: [1, 2] },
      steps: {
        fill: { Status: 'FINISHED', ResultRows: 3, HasResultSet: false },
        total: { Status: 'FINISHED', Result: { Records: [[{ LongValue: 3 }, { StringValue: 'from-file' }]] } },
      },
    });
  });

  it('uses --database-url instead of starting PostgreSQL, and leaves that server running', async () => {
    await sql(server, 'create table cli_items (id int, label varchar(20))');
    const result = await cli(cwd, [
      'run',
      'demo.yaml',
      '--database-url',
      server.databaseUrl,
      '--input',
      '{"label": "inline", "count": 2}',
      '--wait-ms',
      '5',
    ]);
    expect(result.code).toBe(0);
    const { port, pathname } = new URL(server.databaseUrl);
    expect(result.out[0]).toContain(`PostgreSQL on 127.0.0.1:${port}${pathname}`);
    expect(await sql(server, 'select id, label from cli_items order by id')).toEqual([
      { id: 1, label: 'inline' },
      { id: 2, label: 'inline' },
    ]);
  });

  it('exits 1 on a failed execution, with the error and cause', async () => {
    const result = await cli(cwd, ['run', 'broken.yaml', '--wait-ms', '5']);
    expect(result.code).toBe(1);
    expect(result.out).toContainEqual(
      expect.stringMatching(/^ {2}broken +FAILED +\d+\.\ds {2}Redshift\.StatementFailed$/),
    );
    expect(result.out).toContainEqual(expect.stringMatching(/^FAILED in /));
    expect(result.err).toEqual([
      'error: Redshift.StatementFailed',
      expect.stringMatching(/^cause: .*relation "cli_missing_table" does not exist/),
    ]);
  });

  it('exits 2 when the init SQL fails, naming its file, line and column (issue 15 item 9)', async () => {
    writeFileSync(join(cwd, 'broken-seed.sql'), 'create table ok (n int);\n-- seed\n  create table (;');
    const result = await cli(cwd, ['run', 'demo.yaml', '--init-sql', 'broken-seed.sql']);
    expect(result.code).toBe(2);
    expect(result.err).toEqual(['broken-seed.sql:3:16: the init SQL failed: syntax error at or near "("']);
    expect(result.out).toEqual([]);
  });

  it('exits 2 on an invalid spec, naming file, line and column, before starting anything', async () => {
    // Nothing started: no "local stack ready" line (out is empty) and the refusal comes first.
    const result = await cli(cwd, ['run', 'invalid.yaml']);
    expect(result.code).toBe(2);
    expect(result.err).toEqual([
      expect.stringContaining("invalid.yaml:7:14: steps[0].timeout: 'soon' is not a duration"),
      '1 problem(s) found; nothing was run.',
    ]);
    expect(result.out).toEqual([]);
  });

  it.each([
    [['run'], 'name the spec file to run'],
    [['run', 'demo.yaml', 'broken.yaml'], 'run takes exactly one spec file'],
    [['run', 'nope.yaml'], 'no such spec file: nope.yaml'],
    [
      ['run', 'demo.yaml', '--input', '{oops'],
      "--input is not valid JSON: Expected property name or '}' in JSON at position 1",
    ],
    [['run', 'demo.yaml', '--input', '[1]'], '--input must be a JSON object (each step adds its record under "steps")'],
    [['run', 'demo.yaml', '--input', '@missing.json'], '--input: cannot read missing.json'],
    [
      ['run', 'demo.yaml', '--wait-ms', 'fast'],
      "--wait-ms must be a whole number of milliseconds (0 or more), got 'fast'",
    ],
    [
      ['run', 'demo.yaml', '--substitutions', '{"Env": 1}'],
      '--substitutions must be a JSON object whose values are strings',
    ],
    [['run', 'demo.yaml', '--init-sql', 'missing.sql'], '--init-sql: cannot read missing.sql'],
    // Issue 15 item 9: Node turns a timer beyond 2^31 - 1 ms into 1 ms; a URL that is none is said so.
    [
      ['run', 'demo.yaml', '--wait-ms', '3000000000'],
      '--wait-ms must be at most 2147483647 (about 24.8 days, the longest timer Node keeps), got 3000000000',
    ],
    [
      ['run', 'demo.yaml', '--database-url', 'notaurl'],
      "--database-url 'notaurl' is not a URL; use postgres://user:password@host:port/database",
    ],
    [
      ['run', 'demo.yaml', '--database-url', 'mysql://h/db'],
      "--database-url 'mysql://h/db' is not a PostgreSQL URL (mysql:); use postgres://user:password@host:port/database",
    ],
    [['run', '--clear-cache', 'demo.yaml'], '--clear-cache takes no spec file'],
    [
      ['run', 'demo.yaml', '--timeout', 'soon'],
      "--timeout 'soon' is not a duration; use 30s, 5m, 2h, 1h30m or a whole number of seconds (more than 0)",
    ],
    [
      ['run', 'demo.yaml', '--timeout', '0'],
      "--timeout '0' is not a duration; use 30s, 5m, 2h, 1h30m or a whole number of seconds (more than 0)",
    ],
  ])('exits 2 on bad usage: %j', async (argv, message) => {
    const result = await cli(cwd, argv);
    expect(result.code).toBe(2);
    expect(result.err[0]).toBe(`sfn-redshift run: ${message}`);
  });

  it('exits 2 naming a placeholder without a value, and runs once --substitutions gives it', async () => {
    const missing = await cli(cwd, ['run', 'placeholder.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.err).toEqual([
      'placeholder.yaml: no value for ${Env}; pass it as a substitution with --substitutions \'{"Name": "value"}\'',
    ]);
    const given = await cli(cwd, ['run', 'placeholder.yaml', '--substitutions', '{"Env": "prod"}', '--wait-ms', '0']);
    expect(given.code).toBe(0);
    expect(given.out.join('\n')).toContain('"Status": "FINISHED"');
  });

  it('documents time compression in --help', async () => {
    const result = await cli(cwd, ['run', '--help']);
    expect(result.code).toBe(0);
    const help = result.out.join('\n');
    expect(help).toMatch(
      /--wait-ms N +Compress time: every Wait, retry interval and long poll lasts N ms \(default: real waits\)/,
    );
    expect(help).toContain('Waits are real by default');
    expect(help).toContain('130');
    expect(help).toMatch(/--timeout D +Stop the execution after D of real time/);
    expect(help).toContain('TIMED_OUT with States.Timeout');
    expect((await cli(cwd, ['--help'])).out.join('\n')).toMatch(/^ {2}run {8}Run one pipeline on a local stack/m);
  });

  it('on interruption aborts the execution, cancels its statement, stops what it started and exits 130', async () => {
    const controller = new AbortController();
    const result = await cli(cwd, ['run', 'sleep.yaml', '--database-url', server.databaseUrl, '--wait-ms', '20'], {
      signal: controller.signal,
      onOut: (line) => {
        if (/^ {2}sleepy +STARTED/.test(line)) controller.abort();
      },
    });
    expect(result.code).toBe(130);
    expect(result.err[0]).toBe('interrupted: stopping the execution and the local stack…');
    expect(result.out).toContainEqual(expect.stringMatching(/^ABORTED in /));
    expect(result.out).toContainEqual(expect.stringMatching(/^ {2}sleepy +STOPPED/));
    // The cleanup rule's reaper cancelled it before the stack stopped (the Data API still answered).
    expect(result.out).toContainEqual(
      expect.stringMatching(/^cleanup after ABORTED: reaper SUCCEEDED, sleepy ABORTED$/),
    );
    const active = await sql(
      server,
      "select pid from pg_stat_activity where state = 'active' and query like '%cli_interrupt_probe%' and pid <> pg_backend_pid() and datname = current_database()",
    );
    expect(active).toEqual([]);
  });

  it('--timeout stops the execution in real time (TIMED_OUT, States.Timeout, exit 1) and the reaper cancels its statement', async () => {
    // Step Functions' execution TimeoutSeconds ends an execution TIMED_OUT with States.Timeout
    // (https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html); the
    // "Step Functions Execution Status Change" event starts the reaper, which cancels the statement.
    const result = await cli(cwd, [
      'run',
      'timeout.yaml',
      '--database-url',
      server.databaseUrl,
      '--wait-ms',
      '20',
      '--timeout',
      '2s',
    ]);
    expect(result.code).toBe(1);
    expect(result.out).toContainEqual(expect.stringMatching(/^ {2}sleepy +STARTED/));
    expect(result.out).toContainEqual(expect.stringMatching(/^TIMED_OUT in /));
    expect(result.out).toContainEqual(expect.stringMatching(/^ {2}sleepy +STOPPED/));
    expect(result.out).toContainEqual('cleanup after TIMED_OUT: reaper SUCCEEDED, sleepy ABORTED');
    expect(result.err).toEqual([
      '--timeout 2s elapsed: the execution was stopped (TIMED_OUT, States.Timeout)',
      'error: States.Timeout',
    ]);
    const active = await sql(
      server,
      "select pid from pg_stat_activity where state = 'active' and query like '%cli_timeout_probe%' and pid <> pg_backend_pid() and datname = current_database()",
    );
    expect(active).toEqual([]);
  });
});

describe('sfn-redshift run (the binary)', () => {
  type Child = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

  function binary(
    args: string[],
    onStdout?: (text: string, kill: (signal: NodeJS.Signals) => void) => void,
  ): Promise<Child> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(ROOT, 'bin/sfn-redshift.mjs'), ...args], {
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        onStdout?.(stdout, (signal) => child.kill(signal));
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
  }

  /** The private server's port, as `run` announced it. */
  function postgresPort(stdout: string): string {
    const port = /PostgreSQL on 127\.0\.0\.1:(\d+)\//.exec(stdout)?.[1];
    if (port === undefined) throw new Error(`no PostgreSQL port in:\n${stdout}`);
    return port;
  }

  /** Processes whose command line mentions the port: a postgres left behind would. */
  function processesOnPort(port: string): string[] {
    const found: string[] = [];
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
        if (cmdline.includes(`port=${port}`)) found.push(`${pid}: ${cmdline}`);
      } catch {
        // gone meanwhile
      }
    }
    return found;
  }

  function refused(port: string): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
  }

  it('exits 0 on success and 1 on a failed execution, leaving no PostgreSQL behind', async () => {
    const ok = await binary([
      'run',
      'demo.yaml',
      '--init-sql',
      'seed.sql',
      '--input',
      '{"label": "x", "count": 1}',
      '--wait-ms',
      '5',
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('SUCCEEDED in ');
    const failed = await binary(['run', 'broken.yaml', '--wait-ms', '5']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('error: Redshift.StatementFailed');
    // A callback step: the runtime Lambda runs in the CLI's process.
    const callback = await binary(['run', 'callback.yaml', '--wait-ms', '5']);
    expect(callback.code).toBe(1);
    expect(callback.stdout).toMatch(/^ {2}broken_cb +FAILED +\d+\.\ds {2}Redshift\.StatementFailed$/m);
    expect(callback.stderr).toMatch(
      /^error: Redshift\.StatementFailed\ncause: .*relation "cli_missing_table" does not exist/m,
    );
    for (const run of [ok, failed, callback]) {
      const port = postgresPort(run.stdout);
      expect(processesOnPort(port)).toEqual([]);
      expect(await refused(port)).toBe(true);
    }
  });

  it('exits 130 on SIGINT while a statement runs, and stops PostgreSQL', async () => {
    let sent = false;
    const interrupted = await binary(['run', 'sleep.yaml', '--wait-ms', '20'], (stdout, kill) => {
      if (!sent && /sleepy +STARTED/.test(stdout)) {
        sent = true;
        kill('SIGINT');
      }
    });
    expect(sent).toBe(true);
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toContain('SIGINT: stopping the execution and the local stack…');
    const port = postgresPort(interrupted.stdout);
    expect(processesOnPort(port)).toEqual([]);
    expect(await refused(port)).toBe(true);
  });
});
