import { parseArgs } from 'node:util';

/** Exit codes of the contract; 130 (128 + SIGINT) when `run` was interrupted by Ctrl-C or SIGTERM. */
export const EXIT = { ok: 0, failed: 1, invalid: 2, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type Io = {
  readonly cwd: string;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly signal?: AbortSignal;
};

type OptionSpec = {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  readonly valueName?: string;
  readonly short?: string;
};
type OptionValues<Options extends Record<string, OptionSpec>> = {
  [Key in keyof Options]: Options[Key]['type'] extends 'string' ? string | undefined : boolean | undefined;
};

/** A command defined declaratively: its options and positionals, and what it does with them. */
export type Command<Options extends Record<string, OptionSpec> = Record<string, OptionSpec>> = {
  readonly name: string;
  readonly summary: string;
  readonly positionals: string;
  readonly details?: string;
  readonly options: Options;
  readonly run: (args: { positionals: string[]; options: OptionValues<Options> }, io: Io) => Promise<ExitCode>;
};

export function defineCommand<Options extends Record<string, OptionSpec>>(command: Command<Options>): Command<Options> {
  return command;
}

/** Thrown for bad usage; the CLI prints it with the command's help and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function commandHelp(program: string, command: Command): string {
  const options = Object.entries(command.options).map(([name, spec]) => {
    const flag = `--${name}${spec.type === 'string' ? ` ${spec.valueName ?? 'VALUE'}` : ''}`;
    return `  ${(spec.short ? `-${spec.short}, ` : '    ') + flag.padEnd(24)} ${spec.description}`;
  });
  return [
    `Usage: ${program} ${command.name} ${command.positionals}`.trimEnd(),
    '',
    command.summary,
    ...(command.details ? ['', command.details] : []),
    '',
    'Options:',
    ...options,
    `      ${'--help'.padEnd(24)} Show this help`,
    '',
    'Exit codes: 0 ok, 1 drift or failed run, 2 invalid input or usage.',
  ].join('\n');
}

export async function runCommand(program: string, command: Command, argv: string[], io: Io): Promise<ExitCode> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        ...Object.fromEntries(
          Object.entries(command.options).map(([name, spec]) => [
            name,
            { type: spec.type, ...(spec.short ? { short: spec.short } : {}) },
          ]),
        ),
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.err(`${program} ${command.name}: ${error instanceof Error ? error.message : String(error)}`);
    io.err(`Run '${program} ${command.name} --help' for usage.`);
    return EXIT.invalid;
  }
  if (parsed.values.help) {
    io.out(commandHelp(program, command));
    return EXIT.ok;
  }
  try {
    return await command.run({ positionals: parsed.positionals, options: parsed.values as never }, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${program} ${command.name}: ${error.message}`);
      return EXIT.invalid;
    }
    throw error;
  }
}
