// The tests that run the CLI as a user does (bin/sfn-redshift.mjs, the packed tarball) need dist/ and
// the runtime bundle: build them once per test run, as `npm run build` does (an installed package
// ships them prebuilt; it never builds).
// @ts-expect-error bin/build.mjs is plain JavaScript without declarations
import { buildCli, buildRuntime } from '../bin/build.mjs';

// Both vitest projects (unit, integration) list this setup; they run it in the same process, so
// the build is shared through globalThis (each project may load its own copy of this module).
const shared = globalThis as { sfnRedshiftTestBuild?: Promise<unknown> };

export default async function setup(): Promise<void> {
  shared.sfnRedshiftTestBuild ??= Promise.all([
    (buildCli as () => Promise<unknown>)(),
    (buildRuntime as () => Promise<unknown>)(),
  ]);
  await shared.sfnRedshiftTestBuild;
}
