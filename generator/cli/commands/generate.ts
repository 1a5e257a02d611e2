import type { PipelineOutputs } from '../../emit/outputs.ts';
import { limitFindings, limitsLine } from '../limits-report.ts';
import { RUNTIME_TEMPLATE_FILE } from '../../emit/runtime-template.ts';
import { TYPED_MODULE_FILE } from '../../emit/typed-module.ts';
import { findStrays } from '../../emit/strays.ts';
import { findDrift, leftovers, OutputWriteError, writeOutputs } from '../../emit/write.ts';
import { defineCommand, EXIT, type Io } from '../command.ts';
import { planOutputs, plural } from '../compile-specs.ts';
import { ALLOW_SQL_OUTSIDE, DEFAULT_OUT_DIRECTORY } from '../spec-files.ts';

/** The limits table, warnings at 80 %; false when a limit is reached and that is not allowed. */
export function reportLimits(compiled: readonly PipelineOutputs[], io: Io, allowOverBudget: boolean): boolean {
  const width = Math.max(...compiled.map((result) => result.pipeline.name.length));
  for (const result of compiled) io.out(limitsLine(result.pipeline.name, result.limits, width));
  return reportLimitFindings(
    compiled,
    io,
    allowOverBudget,
    'nothing was written. --allow-over-budget writes the outputs anyway.',
  );
}

/** Warnings at 80 % of a Step Functions limit, errors at 100 %; false when a limit is reached and that is not allowed. */
export function reportLimitFindings(
  compiled: readonly PipelineOutputs[],
  io: Io,
  allowOverBudget: boolean,
  consequence: string,
): boolean {
  const findings = compiled.flatMap((result) => limitFindings(result.pipeline.name, result.limits));
  const over = findings.filter((finding) => finding.level === 'over');
  for (const finding of findings)
    io.err(`${finding.level === 'over' && !allowOverBudget ? 'error' : 'warning'}: ${finding.message}`);
  if (over.length > 0 && !allowOverBudget) {
    io.err(`${plural(over.length, 'limit')} of Step Functions reached; ${consequence}`);
    return false;
  }
  return true;
}

export const generateCommand = defineCommand({
  name: 'generate',
  summary: 'Compile pipeline specs into Step Functions definitions, role policies, diagrams and a typed module.',
  positionals: '[specs…]',
  details: [
    `Specs are files or directories (searched for *.yaml); default pipelines/. Writes, per pipeline,`,
    `<out>/<pipeline>.asl.json (definition), .iam.json (role policy) and .md (diagram), then <out>/index.ts`,
    `(typed module) and, when a pipeline has singleton or callback steps, runtime.template.yaml.`,
    `Prints each pipeline's states, definition bytes and worst-case history events of one execution;`,
    `warns at 80% of Step Functions' limits (1 MiB, 25,000 events) and fails at 100%.`,
    `Nothing is written unless every spec is valid and within the limits.`,
  ].join('\n'),
  options: {
    ...ALLOW_SQL_OUTSIDE,
    out: { type: 'string', valueName: 'DIR', description: `Output directory (default ${DEFAULT_OUT_DIRECTORY}/)` },
    fragment: {
      type: 'boolean',
      description: 'Also write <pipeline>.fragment.json ({StartAt, States} to splice into your own machine)',
    },
    'allow-over-budget': { type: 'boolean', description: 'Write even when a pipeline reaches a Step Functions limit' },
    prune: {
      type: 'boolean',
      description: 'Remove output files that no current spec writes (only files named like outputs)',
    },
  },
  async run({ positionals, options }, io) {
    const plan = planOutputs(io, positionals, options);
    if (plan === EXIT.invalid) return plan;
    const { compiled, outDirectory, shownOut, files } = plan;
    if (!reportLimits(compiled, io, options['allow-over-budget'] === true)) return EXIT.invalid;
    const strays = findStrays(outDirectory, files);
    // Only files whose content changes are written (a one-line SQL change rewrites its pipeline's
    // few files, not every output), unless a dead run left something for the write step to finish.
    const changed = findDrift(outDirectory, files).map((drift) => ({ path: drift.path, content: drift.expected }));
    const removed = options.prune === true ? strays : [];
    try {
      // Pruning is part of the same all-or-nothing commit.
      if (changed.length > 0 || removed.length > 0 || leftovers(outDirectory).length > 0)
        writeOutputs(outDirectory, changed, removed);
    } catch (error) {
      if (!(error instanceof OutputWriteError)) throw error;
      io.err(`sfn-redshift generate: ${error.message}; nothing was written.`);
      return EXIT.invalid;
    }
    for (const name of strays)
      io.err(
        options.prune === true
          ? `  removed ${shownOut}${name} (no current spec writes it)`
          : `warning: ${shownOut}${name}: no current spec writes it; --prune removes it (check fails while it is there)`,
      );
    const written = files.filter((file) => file.path.endsWith('.fragment.json')).length;
    io.out(
      `  wrote ${shownOut}<pipeline>.asl.json, .iam.json (role policy), .md (diagram)${written > 0 ? `, ${plural(written, 'fragment')}` : ''}`,
    );
    io.out(`  wrote ${shownOut}${TYPED_MODULE_FILE} (typed module)`);
    if (files.some((file) => file.path === RUNTIME_TEMPLATE_FILE))
      io.out(`  wrote ${shownOut}${RUNTIME_TEMPLATE_FILE} (state table and runtime for singleton and callback steps)`);
    const states = compiled.reduce((sum, result) => sum + result.limits.states, 0);
    io.out(`${plural(compiled.length, 'pipeline')}, ${plural(states, 'state')}, written to ${shownOut}`);
    return EXIT.ok;
  },
});
