// A fresh database per test file on the integration project's shared PostgreSQL server.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack.ts';

export type TestDatabase = {
  /** postgres://…/<a database of its own> */
  url: string;
  /** Drops the database (its sessions are ended first). Safe to call more than once. */
  drop(): Promise<void>;
};

function sharedServerUrl(): string {
  const url = inject('sharedPostgresUrl');
  if (url === undefined) {
    throw new Error(
      'no shared PostgreSQL: this file needs the integration project (add it to INTEGRATION in vitest.config.ts)',
    );
  }
  return url;
}

async function onServer<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database on the shared server. */
export async function testDatabase(): Promise<TestDatabase> {
  const serverUrl = sharedServerUrl();
  const name = `test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await onServer(serverUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<unknown> | undefined;
  return {
    url: url.toString(),
    drop: async () => {
      dropped ??= onServer(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`));
      await dropped;
    },
  };
}

/** startLocalStack on a database of its own on the shared server; stop() also drops it. */
export async function startTestStack(options: Omit<LocalStackOptions, 'databaseUrl'> = {}): Promise<LocalStack> {
  const database = await testDatabase();
  let stack: LocalStack;
  try {
    stack = await startLocalStack({ ...options, databaseUrl: database.url });
  } catch (error) {
    await database.drop();
    throw error;
  }
  const stop = stack.stop.bind(stack);
  return Object.assign(stack, {
    stop: async () => {
      await stop();
      await database.drop();
    },
  });
}
