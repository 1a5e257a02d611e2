import { defineConfig } from 'vitest/config';

// Test files that need PostgreSQL (the local stack or the Data API emulator), or that drive the
// packed package or the IaC tools (npm pack, CDK, cfn-lint). They run in the `integration`
// project, which starts ONE PostgreSQL server for all of them (global setup) and gives each file
// a database of its own (test/support/shared-postgres.ts: testDatabase, startTestStack).
// Everything else is the `unit` project. `npm test` runs both; `npm run test:unit` the unit one.
const INTEGRATION = [
  'test/e2e/**/*.test.ts',
  'test/runtime/**/*.test.ts',
  'test/generator/fragment.test.ts',
  'test/local/postgres.test.ts',
  'test/local/redshift-data-api.test.ts',
  'test/local/redshift-data-lifecycle.test.ts',
  'test/local/redshift-data-long-poll.test.ts',
  'test/local/redshift-data-principals.test.ts',
  'test/local/stack.test.ts',
  'test/package/**/*.test.ts',
  'test/examples/**/*.test.ts',
];

export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: INTEGRATION,
          globalSetup: ['test/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: INTEGRATION,
          globalSetup: ['test/global-setup.ts', 'test/support/global-postgres.ts'],
        },
      },
    ],
  },
});
