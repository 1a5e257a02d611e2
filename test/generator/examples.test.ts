import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aslProblems } from '../../generator/emit/validate-asl.ts';
import { cli } from './cli-harness.ts';

const root = join(import.meta.dirname, '../..');
const aslDirectory = join(root, 'examples/asl');

describe('committed examples', () => {
  it('are exactly what generate writes (npm run examples:check)', async () => {
    const run = await cli(root, 'check', 'examples/pipelines', '--out', 'examples/asl');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
  });

  const files = readdirSync(aslDirectory).filter((file) => file.endsWith('.asl.json'));
  it('cover at least four pipelines', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  it.each(files)('%s passes asl-validator with path and ARN checks', (file) => {
    const definition: unknown = JSON.parse(readFileSync(join(aslDirectory, file), 'utf8'));
    expect(aslProblems(definition)).toBe('');
  });

  it("README's Budgets table is the table generate prints for them", async () => {
    const run = await cli(root, 'generate', 'examples/pipelines', '--out', mkdtempSync(join(tmpdir(), 'sfn-budgets-')));
    expect(run.code).toBe(0);
    const table = run.out.split('\n').filter((line) => /^ {2}\S+ +\d+ states /.test(line));
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const block = (readme.slice(readme.indexOf('### Budgets')).split('```')[1] ?? '')
      .split('\n')
      .filter((line) => line.trim() !== '');
    expect(table.length).toBeGreaterThanOrEqual(4);
    expect(block).toEqual(table);
  });
});
