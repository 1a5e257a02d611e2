// Global setup of the integration project: ONE PostgreSQL server for all its test files (a
// private server costs 0.5–1 s to start per file). Each file takes its own database on it
// (testDatabase() in shared-postgres.ts), so files running in parallel never see each other's
// tables. The server and its data directory go away at teardown (or when this process dies).
import type { TestProject } from 'vitest/node';
import { startPostgres } from '../../local/postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** postgres://…/postgres of the integration project's shared server. */
    sharedPostgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Several stacks at once (one per worker), each with its own connection pool.
  const server = await startPostgres({ maxConnections: 1000 });
  project.provide('sharedPostgresUrl', server.url);
  return () => server.stop();
}
