import { loadPipelines, type SpecInput } from '../load/load.ts';
import { SpecErrors } from '../load/errors.ts';
import { CompileError } from '../compile/errors.ts';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { compilePipeline } from '../compile/pipeline.ts';
import { allOutputFiles, renderPipelineOutputs, type OutputFile, type PipelineOutputs } from '../emit/outputs.ts';
import { EXIT, type Io } from './command.ts';
import { DEFAULT_OUT_DIRECTORY, findSpecFiles } from './spec-files.ts';

/** Problems printed in full; a hostile spec may hold hundreds of thousands. */
export const MAX_REPORTED_PROBLEMS = 50;

/** Load, validate and compile every spec; on any problem print them all and give the exit code. */
export function compileSpecs(inputs: readonly SpecInput[], io: Io): PipelineOutputs[] | typeof EXIT.invalid {
  try {
    return loadPipelines(inputs).map((pipeline) => {
      try {
        return renderPipelineOutputs(compilePipeline(pipeline));
      } catch (error) {
        if (error instanceof CompileError) throw new CompileError(error.code, `${pipeline.file}: ${error.message}`);
        throw error;
      }
    });
  } catch (error) {
    if (error instanceof SpecErrors) {
      for (const problem of error.errors.slice(0, MAX_REPORTED_PROBLEMS)) io.err(problem.message);
      const more = error.errors.length - MAX_REPORTED_PROBLEMS;
      if (more > 0) io.err(`… and ${more.toLocaleString('en-US')} more`);
      io.err(`${error.errors.length} problem(s) found; nothing was written.`);
      return EXIT.invalid;
    }
    if (error instanceof CompileError) {
      io.err(`error: ${error.message}`);
      io.err('nothing was written.');
      return EXIT.invalid;
    }
    throw error;
  }
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * Fragments are written for every pipeline with --fragment, and kept up to date for pipelines
 * whose fragment is already in the output directory (so that `check` never finds one stale).
 */
function fragmentSelector(
  outDirectory: string,
  compiled: readonly PipelineOutputs[],
  requested: boolean,
): (name: string) => boolean {
  const existing = new Set(
    compiled
      .filter((result) => existsSync(join(outDirectory, result.fragmentPath)))
      .map((result) => result.pipeline.name),
  );
  return (name) => requested || existing.has(name);
}

/** What generate writes and check compares: the compiled specs and every output file. */
export type OutputPlan = {
  readonly compiled: readonly PipelineOutputs[];
  readonly outDirectory: string;
  /** The output directory as the user sees it, relative to the working directory. */
  readonly shownOut: string;
  readonly files: readonly OutputFile[];
};

export function planOutputs(
  io: Io,
  specs: readonly string[],
  options: { out?: string | undefined; fragment?: boolean | undefined; 'allow-sql-outside'?: boolean | undefined },
): OutputPlan | typeof EXIT.invalid {
  const compiled = compileSpecs(findSpecFiles(io.cwd, specs, { allowSqlOutside: options['allow-sql-outside'] }), io);
  if (compiled === EXIT.invalid) return compiled;
  const outDirectory = resolve(io.cwd, options.out ?? DEFAULT_OUT_DIRECTORY);
  const fragments = fragmentSelector(outDirectory, compiled, options.fragment === true);
  return {
    compiled,
    outDirectory,
    shownOut: `${relative(io.cwd, outDirectory) || '.'}/`,
    files: allOutputFiles(compiled, { cwd: io.cwd, root: projectRoot(outDirectory), outDirectory, fragments }),
  };
}

/**
 * The project the outputs belong to: the nearest directory at or above the output directory with a
 * package.json (else the output directory's parent). The typed module's paths are relative to it,
 * so that outputs, and so `check`, do not depend on the directory the CLI runs in.
 */
export function projectRoot(outDirectory: string): string {
  for (let directory = outDirectory; ; directory = dirname(directory)) {
    if (existsSync(join(directory, 'package.json'))) return directory;
    if (dirname(directory) === directory) return dirname(outDirectory);
  }
}
