#!/usr/bin/env node
// `npm run bench` / `npm run bench:quick`: bundles the TypeScript benchmark (bench/main.ts and the
// child entry bench/generate-child.ts) with esbuild, dependencies left external, into
// node_modules/.cache/sfn-redshift-bench/, then runs it. Works from a fresh clone after
// `npm install` (no TypeScript loader needed). The bundle sits inside node_modules so that its
// bare imports resolve to the project's packages and files found by walking up (templates/) resolve.
import { build } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'node_modules', '.cache', 'sfn-redshift-bench');

await build({
  absWorkingDir: root,
  entryPoints: {
    main: 'bench/main.ts',
    'generate-child': 'bench/generate-child.ts',
    'validation-scale': 'bench/validation-scale.ts',
  },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
  legalComments: 'none',
});

if (process.argv[2] === '--validation') {
  // `npm run bench:validation`: the scaling of validation with hostile specs (bench/VALIDATION.md).
  const { main } = await import(pathToFileURL(join(outdir, 'validation-scale.mjs')).href);
  process.exitCode = main(root);
} else {
  // The CLI as `npm run build` makes it (the generator section runs bin/sfn-redshift.mjs).
  const { buildCli } = await import('./../bin/build.mjs');
  await buildCli();

  const { main } = await import(pathToFileURL(join(outdir, 'main.mjs')).href);
  process.exitCode = await main(process.argv.slice(2), { root, outdir });
}
