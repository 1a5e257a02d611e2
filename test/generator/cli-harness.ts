import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../generator/cli/main.ts';

export type CliRun = { code: number; out: string; err: string };

export async function cli(cwd: string, ...argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { cwd, out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A scratch repo holding a copy of the example specs under pipelines/. */
export function scratchRepo(): string {
  const directory = mkdtempSync(join(tmpdir(), 'sfn-redshift-'));
  cpSync(join(import.meta.dirname, '../../examples/pipelines'), join(directory, 'pipelines'), { recursive: true });
  return directory;
}
