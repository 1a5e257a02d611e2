import { defineCommand, EXIT } from '../command.ts';
import { compileSpecs, plural } from '../compile-specs.ts';
import { findSpecFiles } from '../spec-files.ts';

export const validateCommand = defineCommand({
  name: 'validate',
  summary: 'Check specs without writing anything; print each problem as file:line:col: message.',
  positionals: '[specs…]',
  options: {},
  async run({ positionals }, io) {
    const compiled = compileSpecs(findSpecFiles(io.cwd, positionals), io);
    if (compiled === EXIT.invalid) return compiled;
    io.out(`${plural(compiled.length, 'pipeline')} valid`);
    return EXIT.ok;
  },
});
