// aws-local-stepfunctions 3 uses Promise.withResolvers (Node 22); Node 20 lacks it.
import '../local/polyfills.ts';
import fc from 'fast-check';

// Replaying a failed property: fast-check's failure message names its seed and path, e.g.
// `{ seed: -1819918769, path: "12:0:1", endOnFailure: true }`. Run the failing test alone with
//   FC_SEED=-1819918769 FC_PATH=12:0:1 npx vitest run test/generator/budgets.test.ts -t 'worst case'
// to get the same (shrunk) counterexample at once; FC_SEED alone replays the whole run.
const seed = process.env.FC_SEED;
const path = process.env.FC_PATH;
if (seed !== undefined && seed !== '') {
  if (!/^-?\d+$/.test(seed))
    throw new Error(
      `FC_SEED must be an integer (the seed in fast-check's failure message), got ${JSON.stringify(seed)}`,
    );
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(seed), ...(path ? { path } : {}) });
}
