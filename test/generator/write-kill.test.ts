// Issue 15 item 2: SIGKILL `sfn-redshift generate` (the real binary) at random points of its write
// step, again and again. After every kill the output directory holds all the old outputs, or all
// the new ones, or a commit journal; once the next write step has recovered it, all old or all new.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, watch, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leftovers, recoverOutputs } from '../../generator/emit/write.ts';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/sfn-redshift.mjs');
const COPIES = 12;
const KILLS = 16;

/** The output files (dot-entries of the write step left out) with their content. */
function outputs(directory: string): Record<string, string> {
  if (!existsSync(directory)) return {};
  const files: Record<string, string> = {};
  for (const entry of readdirSync(directory).sort())
    if (!entry.startsWith('.')) files[entry] = readFileSync(join(directory, entry), 'utf8');
  return files;
}

/** A repo with COPIES of every example under new names; `variant` changes every output of every pipeline. */
function repo(variant: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'sfn-redshift-kill-'));
  cpSync(join(ROOT, 'examples/pipelines'), join(directory, 'pipelines'), { recursive: true });
  for (const file of readdirSync(join(directory, 'pipelines')).filter((name) => name.endsWith('.yaml'))) {
    const text = readFileSync(join(directory, 'pipelines', file), 'utf8');
    for (let copy = 0; copy < COPIES; copy += 1) {
      writeFileSync(
        join(directory, 'pipelines', `${copy}-${file}`),
        text
          .replace(/^pipeline: (.*)$/m, `pipeline: $1-${copy}`)
          .replace(/^description: (.*)$/m, `description: $1 ${variant}`),
      );
    }
  }
  return directory;
}

function setVariant(directory: string, variant: string): void {
  const pipelines = join(directory, 'pipelines');
  for (const file of readdirSync(pipelines).filter((name) => /^\d+-/.test(name))) {
    writeFileSync(
      join(pipelines, file),
      readFileSync(join(pipelines, file), 'utf8').replace(/^(description: .*) (old|new)$/m, `$1 ${variant}`),
    );
  }
}

type Run = { code: number | null; signal: NodeJS.Signals | null; writeStartedAt?: number; endedAt: number };

/**
 * Runs generate and kills it `kill.afterMs` after its first output line (the budget lines, printed
 * just before the write step), or, with `kill.atCommit`, as soon as its commit journal appears.
 */
function generate(cwd: string, kill?: { afterMs: number; atCommit?: boolean }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', BIN, 'generate', '--out', 'asl'], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let writeStartedAt: number | undefined;
    const watcher = kill?.atCommit
      ? watch(join(cwd, 'asl'), (_event, name) => {
          if (name === '.sfn-redshift-commit.json') child.kill('SIGKILL');
        })
      : undefined;
    child.once('exit', () => watcher?.close());
    child.stdout.once('data', () => {
      writeStartedAt = performance.now();
      if (kill && !kill.atCommit) setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
    });
    child.stderr.resume();
    child.once('error', reject);
    child.once('close', (code, signal) =>
      resolve({
        code,
        signal,
        endedAt: performance.now(),
        ...(writeStartedAt !== undefined ? { writeStartedAt } : {}),
      }),
    );
  });
}

describe('generate under SIGKILL', () => {
  it(`every kill leaves all old or all new outputs (or a journal that the next write step completes) — ${KILLS} kills`, async () => {
    const directory = repo('old');
    const first = await generate(directory);
    expect(first.code).toBe(0);
    const old = outputs(join(directory, 'asl'));
    setVariant(directory, 'new');
    const calibration = repo('new');
    const timed = await generate(calibration);
    expect(timed.code).toBe(0);
    const fresh = outputs(join(calibration, 'asl'));
    expect(Object.keys(fresh)).toEqual(Object.keys(old));
    const changed = Object.keys(fresh).filter((file) => fresh[file] !== old[file]);
    expect(changed.length).toBeGreaterThan(COPIES * 5 * 2);
    const writeMs = timed.endedAt - (timed.writeStartedAt ?? timed.endedAt);

    const snapshots = { old, new: fresh };
    const outcomes = { unchanged: 0, replaced: 0, journal: 0 };
    let current: 'old' | 'new' = 'old';
    const out = join(directory, 'asl');
    for (let kill = 0; kill < KILLS; kill += 1) {
      const target: 'old' | 'new' = current === 'old' ? 'new' : 'old';
      setVariant(directory, target);
      const run = await generate(directory, { afterMs: Math.random() * writeMs * 1.2, atCommit: kill % 4 === 3 });
      const journal = existsSync(join(out, '.sfn-redshift-commit.json'));
      const allowed = [snapshots[current], snapshots[target]];
      if (journal) outcomes.journal += 1;
      else
        expect(allowed, `kill ${kill} (${run.signal ?? run.code}) left a mix without a journal`).toContainEqual(
          outputs(out),
        );
      recoverOutputs(out);
      const recovered = outputs(out);
      expect(allowed, `kill ${kill}: after recovery`).toContainEqual(recovered);
      if (journal) expect(recovered).toEqual(snapshots[target]);
      expect(leftovers(out).filter((entry) => entry !== '.sfn-redshift-lock')).toEqual([]);
      if (JSON.stringify(recovered) === JSON.stringify(snapshots[target])) {
        outcomes.replaced += 1;
        current = target;
      } else outcomes.unchanged += 1;
    }
    // The kills are random: this only records where they landed.
    console.log(`SIGKILL outcomes: ${JSON.stringify(outcomes)} (write step ~${Math.round(writeMs)} ms)`);
  }, 600_000);
});
