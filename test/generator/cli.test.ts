import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, scratchRepo } from './cli-harness.ts';

describe('sfn-redshift generate', () => {
  it('writes <out>/<pipeline>.asl.json for every spec with a summary, byte-identical on re-run', async () => {
    const repo = scratchRepo();
    const first = await cli(repo, 'generate');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(
      /^ {2}data-quality +\d+ states +[\d.]+ KiB \([\d.]+% of 1 MiB\) +worst case +[\d,]+ history events \([\d.]+% of 25,000\) +state ≤ [\d.]+ KiB \([\d.]+% of 256 KiB\)$/m,
    );
    expect(first.out).toMatch(/^5 pipelines, \d+ states, written to asl\/$/m);
    const files = readdirSync(join(repo, 'asl')).sort();
    const perPipeline = (name: string) => [`${name}.asl.json`, `${name}.iam.json`, `${name}.md`];
    expect(files).toEqual(
      [
        ...['archive-callback', 'data-quality', 'mv-refresh', 'nightly-sales', 'serverless-orders'].flatMap(
          perPipeline,
        ),
        'index.ts',
        'runtime.template.yaml',
      ].sort(),
    );
    expect(first.out).toContain(
      'wrote asl/runtime.template.yaml (state table and runtime for singleton and callback steps)',
    );
    const before = files.map((file) => readFileSync(join(repo, 'asl', file)));
    expect(await cli(repo, 'generate')).toMatchObject({ code: 0 });
    const after = files.map((file) => readFileSync(join(repo, 'asl', file)));
    for (const [index, content] of after.entries()) expect(content.equals(before[index] as Buffer)).toBe(true);
    const text = before[0]?.toString() ?? '';
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toMatch(/^ {2}"Comment"/);
  });

  it('writes nothing when any spec is invalid, and reports every problem with exit 2', async () => {
    const repo = scratchRepo();
    writeFileSync(
      join(repo, 'pipelines', 'broken.yaml'),
      'version: 1\npipeline: broken\ntarget: { cluster: a, database: d }\nsteps:\n  - id: x\n    sql: select 1\n    timeout: soon\n  - id: x\n    sql: select 2\n',
    );
    const run = await cli(repo, 'generate', '--out', 'build/asl');
    expect(run.code).toBe(2);
    expect(run.err).toContain("pipelines/broken.yaml:7:14: steps[0].timeout: 'soon' is not a duration");
    expect(run.err).toContain('1 problem(s) found; nothing was written.');
    expect(existsSync(join(repo, 'build'))).toBe(false);
  });

  it('writes the runtime template only when a pipeline has a singleton or callback step', async () => {
    const repo = scratchRepo();
    for (const name of ['archive-callback', 'mv-refresh', 'nightly-sales'])
      rmSync(join(repo, 'pipelines', `${name}.yaml`));
    expect(await cli(repo, 'generate')).toMatchObject({ code: 0 });
    expect(
      readdirSync(join(repo, 'asl'))
        .filter((file) => !/\.(iam\.json|md|ts)$/.test(file))
        .sort(),
    ).toEqual(['data-quality.asl.json', 'serverless-orders.asl.json']);
  });

  it('rejects two specs with the same pipeline name', async () => {
    const repo = scratchRepo();
    writeFileSync(join(repo, 'pipelines', 'copy.yaml'), readFileSync(join(repo, 'pipelines', 'mv-refresh.yaml')));
    const run = await cli(repo, 'generate');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(
      /pipelines\/mv-refresh\.yaml:\d+:11: pipeline: pipeline name 'mv-refresh' is also used by pipelines\/copy\.yaml/,
    );
  });

  it('explains usage problems with exit 2', async () => {
    const repo = scratchRepo();
    expect(await cli(repo, 'generate', '--nope')).toMatchObject({
      code: 2,
      err: expect.stringContaining("Unknown option '--nope'"),
    });
    expect(await cli(repo, 'generate', 'missing.yaml')).toMatchObject({
      code: 2,
      err: expect.stringContaining('no such file or directory: missing.yaml'),
    });
    expect(await cli(repo, 'frobnicate')).toMatchObject({
      code: 2,
      err: expect.stringContaining("unknown command 'frobnicate'"),
    });
    rmSync(join(repo, 'pipelines'), { recursive: true });
    expect(await cli(repo, 'generate')).toMatchObject({
      code: 2,
      err: expect.stringContaining('no specs given and no pipelines/ directory here'),
    });
  });

  it('documents every command with --help', async () => {
    const repo = scratchRepo();
    for (const command of ['generate', 'check', 'validate']) {
      const help = await cli(repo, command, '--help');
      expect(help.code).toBe(0);
      expect(help.out).toContain(`Usage: sfn-redshift ${command} [specs…]`);
      expect(help.out).toContain('Exit codes: 0 ok, 1 drift or failed run, 2 invalid input or usage.');
    }
    const top = await cli(repo, '--help');
    expect(top.out).toMatch(/generate +Compile pipeline specs/);
  });
});

describe('sfn-redshift check', () => {
  it('passes when outputs are current, names stale and missing files with a short diff', async () => {
    const repo = scratchRepo();
    await cli(repo, 'generate');
    expect(await cli(repo, 'check')).toMatchObject({ code: 0, out: '5 pipelines, 17 files up to date in asl/' });

    rmSync(join(repo, 'asl', 'mv-refresh.asl.json'));
    const spec = join(repo, 'pipelines', 'nightly-sales.yaml');
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('timeout: 5m', 'timeout: 6m'));
    const run = await cli(repo, 'check');
    expect(run.code).toBe(1);
    expect(run.err).toContain('missing: asl/mv-refresh.asl.json');
    expect(run.err).toContain('stale: asl/nightly-sales.asl.json');
    expect(run.err).toMatch(/- +"Remaining": 298,/);
    expect(run.err).toMatch(/\+ +"Remaining": 358,/);
    expect(run.err).toContain('stale: asl/nightly-sales.md');
    expect(run.err).toContain("3 files out of date; run 'sfn-redshift generate' and commit the result.");
  });
});

describe('sfn-redshift validate', () => {
  it('checks without writing', async () => {
    const repo = scratchRepo();
    expect(await cli(repo, 'validate')).toMatchObject({ code: 0, out: '5 pipelines valid' });
    expect(existsSync(join(repo, 'asl'))).toBe(false);
    writeFileSync(join(repo, 'pipelines', 'bad.yaml'), 'version: 2\n');
    const run = await cli(repo, 'validate', 'pipelines/bad.yaml');
    expect(run.code).toBe(2);
    expect(run.err.split('\n')).toContain('pipelines/bad.yaml:1:10: version: 2 is not valid; must be 1');
  });
});
