#!/usr/bin/env node
// The sfn-redshift command: runs the CLI that `npm pack` built into dist/ (prepack). It never builds
// or writes anything inside its own package, so any number of runs may start at once, from a
// read-only node_modules too.
import { pathToFileURL } from 'node:url';

const bundle = new URL('../dist/cli.mjs', import.meta.url);
let cli;
try {
  cli = await import(bundle.href);
} catch (error) {
  if (
    error?.code !== 'ERR_MODULE_NOT_FOUND' ||
    !String(error.message).includes(pathToFileURL(bundle.pathname).pathname)
  )
    throw error;
  process.stderr.write(
    'sfn-redshift: dist/cli.mjs is missing. In a clone of the repository, run `npm run build` first (a published package ships it).\n',
  );
  process.exit(2);
}
await cli.main();
