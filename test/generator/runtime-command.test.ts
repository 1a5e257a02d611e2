// `sfn-redshift runtime --out DIR`: the shipped runtime bundle and a deterministic zip of it that
// standard tools read (unzip, Python's zipfile with its CRC check), with index.mjs at the root.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../generator/emit/zip.ts';
import { cli } from './cli-harness.ts';

const ROOT = join(import.meta.dirname, '../..');

describe('sfn-redshift runtime', () => {
  it('writes index.mjs and a zip that is the same to the byte on every run', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'sfn-redshift-runtime-'));
    const first = await cli(directory, 'runtime', '--out', 'build/a');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(
      /^wrote build\/a\/index\.mjs \(\d+ KiB\) and build\/a\/runtime\.zip \(\d+ KiB, index\.mjs at its root\)$/,
    );
    expect(await cli(directory, 'runtime', '--out', 'build/b')).toMatchObject({ code: 0 });
    const bundle = readFileSync(join(ROOT, 'runtime/dist/index.mjs'));
    expect(readFileSync(join(directory, 'build/a/index.mjs')).equals(bundle)).toBe(true);
    const zip = readFileSync(join(directory, 'build/a/runtime.zip'));
    expect(zip.equals(readFileSync(join(directory, 'build/b/runtime.zip')))).toBe(true);

    expect(execFileSync('unzip', ['-Z1', join(directory, 'build/a/runtime.zip')], { encoding: 'utf8' })).toBe(
      'index.mjs\n',
    );
    expect(execFileSync('unzip', ['-p', join(directory, 'build/a/runtime.zip'), 'index.mjs']).equals(bundle)).toBe(
      true,
    );
    const tested = execFileSync(
      'python3',
      [
        '-c',
        'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.testzip(), [(i.filename, i.date_time, oct(i.external_attr >> 16)) for i in z.infolist()])',
        join(directory, 'build/a/runtime.zip'),
      ],
      { encoding: 'utf8' },
    );
    expect(tested.trim()).toBe("None [('index.mjs', (1980, 1, 1, 0, 0, 0), '0o100644')]");

    execFileSync('unzip', ['-q', join(directory, 'build/a/runtime.zip'), '-d', join(directory, 'unzipped')]);
    const handler = (await import(pathToFileURL(join(directory, 'unzipped/index.mjs')).href)) as { handler?: unknown };
    expect(typeof handler.handler).toBe('function');
  });

  it('computes CRC-32 as zip defines it', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });
});
