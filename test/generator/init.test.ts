// init: a valid example spec with the editor schema comment, npm scripts added to package.json
// as text (everything else byte for byte as it was), and nothing overwritten, ever.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addScripts, PackageJsonError } from '../../generator/emit/package-json.ts';
import { cli } from './cli-harness.ts';

const root = join(import.meta.dirname, '../..');
const SCRIPTS = { 'asl:generate': 'sfn-redshift generate', 'asl:check': 'sfn-redshift check' };

function project(packageJson?: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'sfn-redshift-init-'));
  if (packageJson !== undefined) writeFileSync(join(directory, 'package.json'), packageJson);
  return directory;
}

const NPM_INIT = `{
  "name": "warehouse-infra",
  "version": "1.0.0",
  "main": "index.js",
  "scripts": {
    "test": "echo \\"Error: no test specified\\" && exit 1"
  },
  "keywords": [],
  "license": "ISC"
}
`;

describe('sfn-redshift init', () => {
  it('scaffolds a spec that validates and generates, and adds the scripts', async () => {
    const directory = project(NPM_INIT);
    const run = await cli(directory, 'init');
    expect(run.code).toBe(0);
    expect(run.out).toContain(
      'created pipelines/example.yaml (schema for editors: ../node_modules/sfn-redshift/schemas/pipeline.schema.json)',
    );
    expect(run.out).toContain(
      'added to package.json: "asl:generate": "sfn-redshift generate", "asl:check": "sfn-redshift check"',
    );
    const spec = readFileSync(join(directory, 'pipelines/example.yaml'), 'utf8');
    const modeline = /^# yaml-language-server: \$schema=(\S+)$/m.exec(spec.split('\n')[0] ?? '');
    expect(modeline?.[1]).toBe('../node_modules/sfn-redshift/schemas/pipeline.schema.json');
    // Where npm puts this package, the path names our schema.
    const installed = resolve(directory, 'pipelines', modeline?.[1] ?? '');
    mkdirSync(dirname(installed), { recursive: true });
    cpSync(join(root, 'schemas/pipeline.schema.json'), installed);
    expect(JSON.parse(readFileSync(installed, 'utf8'))).toHaveProperty('properties.steps');

    expect(readFileSync(join(directory, 'package.json'), 'utf8')).toBe(
      NPM_INIT.replace(
        '"test": "echo \\"Error: no test specified\\" && exit 1"\n',
        '"test": "echo \\"Error: no test specified\\" && exit 1",\n    "asl:generate": "sfn-redshift generate",\n    "asl:check": "sfn-redshift check"\n',
      ),
    );
    expect(await cli(directory, 'validate')).toMatchObject({ code: 0, out: '1 pipeline valid' });
    const generated = await cli(directory, 'generate');
    expect(generated.code).toBe(0);
    expect(existsSync(join(directory, 'asl', 'example.asl.json'))).toBe(true);
    expect(await cli(directory, 'check')).toMatchObject({ code: 0 });
  });

  it('refuses to overwrite the example or another command under the script names, changing nothing', async () => {
    const directory = project(NPM_INIT);
    expect((await cli(directory, 'init')).code).toBe(0);
    const spec = readFileSync(join(directory, 'pipelines/example.yaml'), 'utf8');
    const packageJson = readFileSync(join(directory, 'package.json'), 'utf8');
    const again = await cli(directory, 'init');
    expect(again).toMatchObject({
      code: 1,
      out: '',
      err: 'sfn-redshift init: pipelines/example.yaml exists and init never overwrites; nothing was changed.',
    });
    expect(readFileSync(join(directory, 'pipelines/example.yaml'), 'utf8')).toBe(spec);
    expect(readFileSync(join(directory, 'package.json'), 'utf8')).toBe(packageJson);

    const taken = project('{ "name": "x", "scripts": { "asl:check": "make check" } }\n');
    const refused = await cli(taken, 'init');
    expect(refused.code).toBe(1);
    expect(refused.err).toBe(
      'sfn-redshift init: package.json: script "asl:check" already runs "make check"; nothing was changed.',
    );
    expect(existsSync(join(taken, 'pipelines'))).toBe(false);
    expect(readFileSync(join(taken, 'package.json'), 'utf8')).toBe(
      '{ "name": "x", "scripts": { "asl:check": "make check" } }\n',
    );
  });

  it('keeps scripts that are already there, names --dir and --out in them, and works without package.json', async () => {
    const same = project('{"scripts":{"asl:generate":"sfn-redshift generate","asl:check":"sfn-redshift check"}}');
    const kept = await cli(same, 'init');
    expect(kept.code).toBe(0);
    expect(kept.out).toContain('already in package.json: asl:generate, asl:check');
    expect(readFileSync(join(same, 'package.json'), 'utf8')).toBe(
      '{"scripts":{"asl:generate":"sfn-redshift generate","asl:check":"sfn-redshift check"}}',
    );

    const custom = project('{\n  "name": "x"\n}\n');
    expect((await cli(custom, 'init', '--dir', 'infra/specs', '--out', 'infra/asl')).code).toBe(0);
    expect(readFileSync(join(custom, 'package.json'), 'utf8')).toBe(
      '{\n  "name": "x",\n  "scripts": {\n    "asl:generate": "sfn-redshift generate infra/specs --out infra/asl",\n    "asl:check": "sfn-redshift check infra/specs --out infra/asl"\n  }\n}\n',
    );
    expect(readFileSync(join(custom, 'infra/specs/example.yaml'), 'utf8')).toMatch(
      /^# yaml-language-server: \$schema=\.\.\/\.\.\/node_modules\/sfn-redshift\/schemas\/pipeline\.schema\.json\n/,
    );

    const bare = project();
    const run = await cli(bare, 'init');
    expect(run.code).toBe(0);
    expect(run.out).toContain(
      'no package.json here: add these scripts to yours:\n  "asl:generate": "sfn-redshift generate"',
    );
    expect(existsSync(join(bare, 'package.json'))).toBe(false);
    expect((await cli(bare, 'init', 'extra')).code).toBe(2);
  });
});

describe('addScripts', () => {
  it('inserts as text in the file’s own style: tabs, CRLF, inline objects, no scripts yet, empty scripts', () => {
    const tabs =
      '{\r\n\t"name": "ünïcode",\r\n\t"files": ["a", "b"],\r\n\t"scripts": {\r\n\t\t"build": "tsc"\r\n\t},\r\n\t"private": true\r\n}\r\n';
    expect(addScripts(tabs, SCRIPTS).text).toBe(
      '{\r\n\t"name": "ünïcode",\r\n\t"files": ["a", "b"],\r\n\t"scripts": {\r\n\t\t"build": "tsc",\r\n\t\t"asl:generate": "sfn-redshift generate",\r\n\t\t"asl:check": "sfn-redshift check"\r\n\t},\r\n\t"private": true\r\n}\r\n',
    );
    expect(addScripts('{"name":"x","scripts":{"t":"v"}}', SCRIPTS).text).toBe(
      '{"name":"x","scripts":{"t":"v", "asl:generate": "sfn-redshift generate", "asl:check": "sfn-redshift check"}}',
    );
    expect(addScripts('{\n    "name": "x",\n    "deps": { "a": "1" }\n}', SCRIPTS).text).toBe(
      '{\n    "name": "x",\n    "deps": { "a": "1" },\n    "scripts": {\n        "asl:generate": "sfn-redshift generate",\n        "asl:check": "sfn-redshift check"\n    }\n}',
    );
    expect(addScripts('{\n  "scripts": {}\n}\n', SCRIPTS).text).toBe(
      '{\n  "scripts": {\n    "asl:generate": "sfn-redshift generate",\n    "asl:check": "sfn-redshift check"\n  }\n}\n',
    );
    expect(addScripts('{}', SCRIPTS).text).toBe(
      '{\n  "scripts": {\n    "asl:generate": "sfn-redshift generate",\n    "asl:check": "sfn-redshift check"\n  }\n}',
    );
    expect(addScripts('{ "scripts": { } }', SCRIPTS).text).toBe(
      '{ "scripts": {\n  "asl:generate": "sfn-redshift generate",\n  "asl:check": "sfn-redshift check"\n} }',
    );
    const tricky = '{ "a": "} \\" {", "scripts": { "x": "[1, {2}]" }, "z": [{ "scripts": 1 }] }';
    expect(JSON.parse(addScripts(tricky, SCRIPTS).text)).toEqual({
      ...JSON.parse(tricky),
      scripts: { x: '[1, {2}]', ...SCRIPTS },
    });
  });

  it('refuses what it cannot edit safely', () => {
    expect(() => addScripts('{ "name": ', SCRIPTS)).toThrow(PackageJsonError);
    expect(() => addScripts('[]', SCRIPTS)).toThrow('it is not a JSON object');
    expect(() => addScripts('{ "scripts": "no" }', SCRIPTS)).toThrow('its "scripts" is not an object');
  });
});
