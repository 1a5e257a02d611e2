import { relative, resolve } from 'node:path';
import { allOutputFiles } from '../../emit/outputs.ts';
import { RUNTIME_TEMPLATE_FILE } from '../../emit/runtime-template.ts';
import { writeOutputs } from '../../emit/write.ts';
import { defineCommand, EXIT } from '../command.ts';
import { compileSpecs, plural } from '../compile-specs.ts';
import { DEFAULT_OUT_DIRECTORY, findSpecFiles } from '../spec-files.ts';

/** Above this many pipelines, each file written gets a progress line. */
const PROGRESS_THRESHOLD = 3;

export const generateCommand = defineCommand({
  name: 'generate',
  summary: 'Compile pipeline specs into Step Functions definitions (<out>/<pipeline>.asl.json).',
  positionals: '[specs…]',
  details: `Specs are files or directories (searched for *.yaml); default ${'pipelines/'}. Nothing is written unless every spec is valid.`,
  options: {
    out: { type: 'string', valueName: 'DIR', description: `Output directory (default ${DEFAULT_OUT_DIRECTORY}/)` },
  },
  async run({ positionals, options }, io) {
    const compiled = compileSpecs(findSpecFiles(io.cwd, positionals), io);
    if (compiled === EXIT.invalid) return compiled;
    const outDirectory = resolve(io.cwd, options.out ?? DEFAULT_OUT_DIRECTORY);
    const shownOut = `${relative(io.cwd, outDirectory) || '.'}/`;
    const files = allOutputFiles(compiled);
    writeOutputs(outDirectory, files);
    if (compiled.length > PROGRESS_THRESHOLD) {
      for (const result of compiled) for (const file of result.files) io.out(`  wrote ${shownOut}${file.path} (${plural(result.stateCount, 'state')})`);
    }
    if (files.some((file) => file.path === RUNTIME_TEMPLATE_FILE)) io.out(`  wrote ${shownOut}${RUNTIME_TEMPLATE_FILE} (state table and runtime for singleton and callback steps)`);
    const states = compiled.reduce((sum, result) => sum + result.stateCount, 0);
    io.out(`${plural(compiled.length, 'pipeline')}, ${plural(states, 'state')}, written to ${shownOut}`);
    return EXIT.ok;
  },
});
