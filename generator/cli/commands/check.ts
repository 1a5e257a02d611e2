import { shortDiff } from '../../emit/diff.ts';
import { findStrays } from '../../emit/strays.ts';
import { findDrift, leftoverReason, leftovers } from '../../emit/write.ts';
import { defineCommand, EXIT } from '../command.ts';
import { planOutputs, plural } from '../compile-specs.ts';
import { ALLOW_SQL_OUTSIDE, DEFAULT_OUT_DIRECTORY } from '../spec-files.ts';

export const checkCommand = defineCommand({
  name: 'check',
  summary: 'Fail (exit 1) when committed outputs differ from what generate would write.',
  positionals: '[specs…]',
  details: [
    'Names each stale or missing file and shows a short diff. Run it in CI so that committed outputs',
    '(definitions, role policies, diagrams, index.ts, the runtime template) never drift from their specs.',
    'A fragment is checked when --fragment is given or when one is in the output directory. Output files no',
    "current spec writes (a deleted pipeline's, an unneeded runtime.template.yaml) fail the check too.",
  ].join('\n'),
  options: {
    ...ALLOW_SQL_OUTSIDE,
    out: {
      type: 'string',
      valueName: 'DIR',
      description: `Directory of the committed outputs (default ${DEFAULT_OUT_DIRECTORY}/)`,
    },
    fragment: { type: 'boolean', description: 'Expect <pipeline>.fragment.json for every pipeline' },
  },
  async run({ positionals, options }, io) {
    const plan = planOutputs(io, positionals, options);
    if (plan === EXIT.invalid) return plan;
    const { compiled, outDirectory, shownOut, files } = plan;
    const drift = findDrift(outDirectory, files);
    for (const file of drift) {
      io.err(`${file.kind}: ${shownOut}${file.path}`);
      if (file.current !== undefined) for (const line of shortDiff(file.current, file.expected)) io.err(`    ${line}`);
    }
    const strays = findStrays(outDirectory, files);
    for (const name of strays) io.err(`stray: ${shownOut}${name} (no current spec writes it)`);
    const left = leftovers(outDirectory);
    for (const entry of left) io.err(`leftover: ${shownOut}${entry} (${leftoverReason(entry)})`);
    if (drift.length > 0 || strays.length > 0 || left.length > 0) {
      const flags = `${options.out ? ` --out ${options.out}` : ''}${options.fragment ? ' --fragment' : ''}${strays.length > 0 ? ' --prune' : ''}`;
      const problems = [
        ...(drift.length > 0 ? [`${plural(drift.length, 'file')} out of date`] : []),
        ...(strays.length > 0 ? [`${plural(strays.length, 'stray file')}`] : []),
        ...(left.length > 0 ? [`${plural(left.length, 'leftover')} of an interrupted generate`] : []),
      ];
      io.err(
        `${problems.join(', ')}; run 'sfn-redshift generate${positionals.length ? ` ${positionals.join(' ')}` : ''}${flags}' and commit the result.`,
      );
      return EXIT.failed;
    }
    io.out(`${plural(compiled.length, 'pipeline')}, ${plural(files.length, 'file')} up to date in ${shownOut}`);
    return EXIT.ok;
  },
});
