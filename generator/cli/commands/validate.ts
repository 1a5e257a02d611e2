import { defineCommand, EXIT } from '../command.ts';
import { reportLimitFindings } from './generate.ts';
import { compileSpecs, plural } from '../compile-specs.ts';
import { ALLOW_SQL_OUTSIDE, findSpecFiles } from '../spec-files.ts';

export const validateCommand = defineCommand({
  name: 'validate',
  summary: 'Check specs without writing anything; print each problem as file:line:col: message.',
  positionals: '[specs…]',
  details: "Applies generate's checks, Step Functions' limits included (a pipeline over one is invalid, exit 2).",
  options: {
    ...ALLOW_SQL_OUTSIDE,
    'allow-over-budget': {
      type: 'boolean',
      description: 'Accept a pipeline that reaches a Step Functions limit (as generate --allow-over-budget)',
    },
  },
  async run({ positionals, options }, io) {
    const compiled = compileSpecs(
      findSpecFiles(io.cwd, positionals, { allowSqlOutside: options['allow-sql-outside'] }),
      io,
    );
    if (compiled === EXIT.invalid) return compiled;
    if (!reportLimitFindings(compiled, io, options['allow-over-budget'] === true, 'generate would refuse it.'))
      return EXIT.invalid;
    io.out(`${plural(compiled.length, 'pipeline')} valid`);
    return EXIT.ok;
  },
});
