import { checkCommand } from './commands/check.ts';
import { generateCommand } from './commands/generate.ts';
import { graphCommand } from './commands/graph.ts';
import { initCommand } from './commands/init.ts';
import { runPipelineCommand } from './commands/run.ts';
import { runtimeCommand } from './commands/runtime.ts';
import { validateCommand } from './commands/validate.ts';
import { EXIT, runCommand, type Command, type ExitCode, type Io } from './command.ts';
import { ownPackage } from './own-package.ts';

export const PROGRAM = 'sfn-redshift';

const commands: readonly Command[] = [
  generateCommand,
  checkCommand,
  validateCommand,
  graphCommand,
  initCommand,
  runtimeCommand,
  runPipelineCommand,
] as unknown as Command[];

export function programHelp(): string {
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Compile YAML pipelines of Redshift SQL steps into AWS Step Functions state machines.',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(10)} ${command.summary}`),
    '',
    `Run '${PROGRAM} <command> --help' for a command's options.`,
    'Exit codes: 0 ok, 1 drift or failed run, 2 invalid input or usage.',
  ].join('\n');
}

/** The whole CLI, in-process: argv without the program name. */
export async function runCli(argv: readonly string[], io: Io): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(programHelp());
    return name === undefined ? EXIT.invalid : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.out(ownPackage().version);
    return EXIT.ok;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    io.err(
      `${PROGRAM}: unknown command '${name}'. Commands: ${commands.map((candidate) => candidate.name).join(', ')}.`,
    );
    return EXIT.invalid;
  }
  return runCommand(PROGRAM, command, [...rest], io);
}

export const processIo: Io = {
  cwd: process.cwd(),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Entry point of the `sfn-redshift` binary. */
export async function main(): Promise<void> {
  // A reader that goes away (`sfn-redshift graph … | head`) is not an error of ours.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  try {
    process.exitCode = await runCli(process.argv.slice(2), processIo);
  } catch (error) {
    process.stderr.write(
      `${PROGRAM}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = EXIT.failed;
  }
}
