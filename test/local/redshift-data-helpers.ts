// Shared by the Data API tests: a real SDK client, polling, and error assertions.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  RedshiftDataClient,
  type DescribeStatementCommandOutput,
  type ExecuteStatementCommandInput,
} from '@aws-sdk/client-redshift-data';
import { expect } from 'vitest';

export const terminal = new Set(['FINISHED', 'FAILED', 'ABORTED']);

export function dataClient(endpoint: string): RedshiftDataClient {
  return new RedshiftDataClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

export async function waitFor(
  client: RedshiftDataClient,
  id: string,
  done: (d: DescribeStatementCommandOutput) => boolean = (d) => terminal.has(d.Status ?? ''),
  timeoutMs = 10_000,
): Promise<DescribeStatementCommandOutput> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const described = await client.send(new DescribeStatementCommand({ Id: id }));
    if (done(described)) return described;
    if (Date.now() > deadline) throw new Error(`statement ${id} still ${described.Status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** ExecuteStatement on cluster "local" and wait for a terminal status. */
export async function run(
  client: RedshiftDataClient,
  sql: string,
  extra: Partial<ExecuteStatementCommandInput> = {},
): Promise<DescribeStatementCommandOutput> {
  const { Id } = await client.send(
    new ExecuteStatementCommand({ Sql: sql, ClusterIdentifier: 'local', Database: 'dev', DbUser: 'etl', ...extra }),
  );
  return waitFor(client, String(Id));
}

/** Asserts the promise rejects with the named service exception; returns its message. */
export async function rejectsWith(promise: Promise<unknown>, name: string, message?: RegExp): Promise<string> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${name}`).toBeInstanceOf(Error);
  const err = error as Error & { $metadata?: { httpStatusCode?: number } };
  expect(err.name).toBe(name);
  if (message) expect(err.message).toMatch(message);
  return err.message;
}

/** An HTTP server that records JSON POST bodies, standing in for an event target. */
export async function startEventSink(): Promise<{ url: string; bodies: unknown[]; close(): Promise<void> }> {
  const bodies: unknown[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function eventually<T>(read: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
