// The CLI's output directory as a whole: stray outputs of no current spec, --prune, the same limits
// in validate as in generate, the package's own version, and results independent of the cwd.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, scratchRepo } from './cli-harness.ts';

const ROOT = join(import.meta.dirname, '../..');
const ownVersion = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('stray outputs', () => {
  it('check names the outputs of a deleted pipeline and an unneeded runtime template, exit 1', async () => {
    const repo = scratchRepo();
    expect(await cli(repo, 'generate', '--fragment')).toMatchObject({ code: 0 });
    writeFileSync(join(repo, 'asl', 'README.md'), '# our notes\n');
    writeFileSync(join(repo, 'asl', 'notes.json'), '{}\n');
    for (const name of ['archive-callback', 'mv-refresh', 'nightly-sales'])
      rmSync(join(repo, 'pipelines', `${name}.yaml`));
    const run = await cli(repo, 'check');
    expect(run.code).toBe(1);
    const strays = run.err.split('\n').filter((line) => line.startsWith('stray: '));
    expect(strays).toEqual(
      [
        ...['archive-callback', 'mv-refresh', 'nightly-sales'].flatMap((name) => [
          `${name}.asl.json`,
          `${name}.fragment.json`,
          `${name}.iam.json`,
          `${name}.md`,
        ]),
        'runtime.template.yaml',
      ]
        .sort()
        .map((name) => `stray: asl/${name} (no current spec writes it)`),
    );
    expect(run.err).toContain("13 stray files; run 'sfn-redshift generate --prune' and commit the result.");
  });

  it('generate warns about strays, --prune removes them and nothing else', async () => {
    const repo = scratchRepo();
    expect(await cli(repo, 'generate')).toMatchObject({ code: 0 });
    writeFileSync(join(repo, 'asl', 'README.md'), '# our notes\n');
    writeFileSync(join(repo, 'asl', 'old.asl.json.bak'), '{}\n');
    mkdirSync(join(repo, 'asl', 'gone.asl.json'));
    rmSync(join(repo, 'pipelines', 'mv-refresh.yaml'));
    const warned = await cli(repo, 'generate');
    expect(warned.code).toBe(0);
    expect(warned.err).toContain('warning: asl/mv-refresh.asl.json: no current spec writes it; --prune removes it');
    expect(existsSync(join(repo, 'asl', 'mv-refresh.asl.json'))).toBe(true);
    const pruned = await cli(repo, 'generate', '--prune');
    expect(pruned.code).toBe(0);
    expect(pruned.err.split('\n')).toEqual([
      '  removed asl/mv-refresh.asl.json (no current spec writes it)',
      '  removed asl/mv-refresh.iam.json (no current spec writes it)',
      '  removed asl/mv-refresh.md (no current spec writes it)',
    ]);
    const left = readdirSync(join(repo, 'asl'));
    expect(left).toEqual(
      expect.arrayContaining(['README.md', 'old.asl.json.bak', 'gone.asl.json', 'runtime.template.yaml']),
    );
    expect(left.filter((name) => name.startsWith('mv-refresh'))).toEqual([]);
    expect(await cli(repo, 'check')).toMatchObject({ code: 0 });
  });
});

describe('validate', () => {
  it('applies the Step Functions limits that generate applies, exit 2', async () => {
    const repo = scratchRepo();
    writeFileSync(
      join(repo, 'pipelines', 'over.yaml'),
      'version: 1\npipeline: over\ntarget: { cluster: c, database: d, dbUser: u }\nsteps:\n  - id: long\n    sql: select 1\n    timeout: 24h\n    poll: { initial: 5s, max: 5s }\n',
    );
    const validated = await cli(repo, 'validate');
    expect(validated.code).toBe(2);
    expect(validated.err).toMatch(/^error: over: one execution may write 190,091 history events in the worst case/m);
    expect(validated.err).toContain('1 limit of Step Functions reached; generate would refuse it.');
    expect(await cli(repo, 'generate')).toMatchObject({ code: 2 });
    expect(await cli(repo, 'validate', '--allow-over-budget')).toMatchObject({ code: 0, out: '6 pipelines valid' });
  });
});

describe('--version', () => {
  it("prints this package's version, not the host project's under npm run", async () => {
    const previous = process.env.npm_package_version;
    process.env.npm_package_version = '9.9.9';
    try {
      expect(await cli(scratchRepo(), '--version')).toEqual({ code: 0, out: ownVersion, err: '' });
    } finally {
      if (previous === undefined) delete process.env.npm_package_version;
      else process.env.npm_package_version = previous;
    }
  });
});

describe('the working directory', () => {
  it('changes neither the outputs nor what check finds', async () => {
    const repo = scratchRepo();
    writeFileSync(join(repo, 'package.json'), '{ "name": "infra", "version": "9.9.9" }\n');
    expect(await cli(repo, 'generate')).toMatchObject({ code: 0 });
    const index = readFileSync(join(repo, 'asl', 'index.ts'), 'utf8');
    expect(index).toContain("definitionFile: 'asl/nightly-sales.asl.json'");
    // From a subdirectory, from the output directory itself, from outside the project.
    for (const [cwd, specs, out] of [
      [join(repo, 'pipelines'), '.', '../asl'],
      [join(repo, 'asl'), '../pipelines', '.'],
      [join(repo, '..'), join(repo, 'pipelines'), join(repo, 'asl')],
    ] as const) {
      expect(await cli(cwd, 'check', specs, '--out', out), cwd).toMatchObject({ code: 0 });
      expect(await cli(cwd, 'generate', specs, '--out', out)).toMatchObject({ code: 0 });
      expect(readFileSync(join(repo, 'asl', 'index.ts'), 'utf8')).toBe(index);
    }
  });
});
