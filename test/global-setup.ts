// The tests that run the CLI as a user does (bin/sfn-redshift.mjs, the packed tarball) need dist/ and
// the runtime bundle: build them once per test run, as `npm run build` does (an installed package
// ships them prebuilt; it never builds).
// @ts-expect-error bin/build.mjs is plain JavaScript without declarations
import { buildCli, buildRuntime } from '../bin/build.mjs';

export default async function setup(): Promise<void> {
  await Promise.all([(buildCli as () => Promise<unknown>)(), (buildRuntime as () => Promise<unknown>)()]);
}
