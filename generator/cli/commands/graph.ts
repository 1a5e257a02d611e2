import { relative, resolve, sep } from 'node:path';
import { DIAGRAM_FORMATS, renderDot, renderMarkdown, renderMermaid, type DiagramFormat } from '../../emit/diagram.ts';
import { defineCommand, EXIT, UsageError } from '../command.ts';
import { compileSpecs, plural } from '../compile-specs.ts';
import { ALLOW_SQL_OUTSIDE, DEFAULT_OUT_DIRECTORY, findSpecFiles } from '../spec-files.ts';

function isFormat(value: string): value is DiagramFormat {
  return (DIAGRAM_FORMATS as readonly string[]).includes(value);
}

export const graphCommand = defineCommand({
  name: 'graph',
  summary: "Print a pipeline's step-level flowchart (Mermaid, Graphviz DOT, or the Markdown that generate writes).",
  positionals: '<spec>',
  details: [
    'Parallel branches run between a fork and a join; each edge out of a statement carries its timeout;',
    'callback steps are drawn as subroutine boxes, singleton steps with a heavy border.',
    'Pipe DOT into Graphviz: sfn-redshift graph pipelines/nightly.yaml --format dot | dot -Tsvg > nightly.svg',
  ].join('\n'),
  options: {
    ...ALLOW_SQL_OUTSIDE,
    format: { type: 'string', valueName: 'FORMAT', description: `${DIAGRAM_FORMATS.join(' | ')} (default mermaid)` },
    out: {
      type: 'string',
      valueName: 'DIR',
      description: `With --format markdown: link the files as if in DIR (default ${DEFAULT_OUT_DIRECTORY}/)`,
    },
  },
  async run({ positionals, options }, io) {
    const format = options.format ?? 'mermaid';
    if (!isFormat(format)) throw new UsageError(`--format: '${format}' is not one of ${DIAGRAM_FORMATS.join(', ')}`);
    const specs = findSpecFiles(io.cwd, positionals, { allowSqlOutside: options['allow-sql-outside'] });
    if (specs.length !== 1) {
      throw new UsageError(
        `graph draws one pipeline; ${plural(specs.length, 'spec')} found (${specs.map((spec) => spec.displayName).join(', ')}); name one`,
      );
    }
    const compiled = compileSpecs(specs, io);
    if (compiled === EXIT.invalid) return compiled;
    const [result] = compiled;
    if (!result) return EXIT.invalid;
    const { pipeline } = result;
    if (format === 'mermaid') io.out(renderMermaid(pipeline).trimEnd());
    else if (format === 'dot') io.out(renderDot(pipeline).trimEnd());
    else {
      const outDirectory = resolve(io.cwd, options.out ?? DEFAULT_OUT_DIRECTORY);
      const spec = relative(outDirectory, resolve(io.cwd, pipeline.file)).split(sep).join('/');
      io.out(
        renderMarkdown(pipeline, result.limits, {
          spec,
          definition: result.definition.path,
          policy: result.policyFile.path,
        }).trimEnd(),
      );
    }
    return EXIT.ok;
  },
});
