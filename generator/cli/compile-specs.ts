import { loadPipelines, type SpecInput } from '../spec/load.ts';
import { SpecErrors } from '../spec/errors.ts';
import { CompileError } from '../compile/errors.ts';
import { compileOutputs, type CompiledPipeline } from '../emit/outputs.ts';
import { EXIT, type Io } from './command.ts';

/** Load, validate and compile every spec; on any problem print them all and give the exit code. */
export function compileSpecs(inputs: readonly SpecInput[], io: Io): CompiledPipeline[] | typeof EXIT.invalid {
  try {
    return loadPipelines(inputs).map((pipeline) => {
      try {
        return compileOutputs(pipeline);
      } catch (error) {
        if (error instanceof CompileError) throw new CompileError(error.code, `${pipeline.file}: ${error.message}`);
        throw error;
      }
    });
  } catch (error) {
    if (error instanceof SpecErrors) {
      for (const problem of error.errors) io.err(problem.message);
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
