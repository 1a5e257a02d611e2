import { readdirSync, readFileSync } from 'node:fs';
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
});
