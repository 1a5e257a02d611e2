// Local DynamoDB: dynalite in memory on a free 127.0.0.1 port, and the contract's state table.
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './executor/aws.ts';
import { listenOnLoopback } from './loopback.ts';

type DynaliteOptions = { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number; path?: string };
type DynaliteFactory = (options?: DynaliteOptions) => Server;

const require = createRequire(import.meta.url);
// dynalite ships no type declarations: this is its documented factory signature.
const dynalite = require('dynalite') as DynaliteFactory;

export type LocalDynamo = {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** A real DynamoDBClient on the endpoint, with dummy static credentials and region us-east-1. */
  client: DynamoDBClient;
  /** Closes the client and the server. Idempotent. */
  stop(): Promise<void>;
};

export function createDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
}

/** Starts dynalite in memory (tables become ACTIVE at once). */
export async function startDynamo(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await listenOnLoopback(server);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createDynamoClient(endpoint);
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    client,
    stop() {
      stopped ??= (async () => {
        client.destroy();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return stopped;
    },
  };
}

/**
 * Creates the contract's state table: partition key `pk` (S), sort key `sk` (S), TTL attribute
 * `expiresAt`, on-demand billing. Waits until ACTIVE. An existing table of that name is accepted.
 * dynalite has no UpdateTimeToLive: that call is tried and its absence tolerated.
 */
export async function createStateTable(client: DynamoDBClient, name: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE') break;
    if (Date.now() > deadline)
      throw new Error(`table ${name} did not become ACTIVE within 10 s (status ${Table?.TableStatus})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    );
  } catch (error) {
    // dynalite answers UnknownOperationException; a real DynamoDB that already has TTL set answers
    // ValidationException ("TimeToLive is already enabled"). Both are fine here.
    const name = error instanceof Error ? error.name : '';
    if (name !== 'UnknownOperationException' && name !== 'ValidationException') throw error;
  }
}
