// Runs the runtime handler in-process against the local stack: PostgreSQL behind the local Data
// API, dynalite with the state table, the local Step Functions API. The handler's own SDK clients
// reach them through the SDK's AWS_ENDPOINT_URL_* variables, exactly as in Lambda.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DescribeStatementCommand } from '@aws-sdk/client-redshift-data';
import type { LocalStack, LocalStackOptions, RedshiftStatusChangeEvent } from '../../local/stack.ts';
import { startTestStack } from '../support/shared-postgres.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../local/executor/aws.ts';
import { handler, setLogSink, type LambdaContext } from '../../runtime/src/index.ts';
import type { LogRecord } from '../../runtime/src/log.ts';

export const TARGET_ENV = {
  REDSHIFT_CLUSTER_ID: 'analytics',
  REDSHIFT_DATABASE: 'dev',
  REDSHIFT_DB_USER: 'etl',
} as const;

export type RuntimeHarness = {
  stack: LocalStack;
  /** Every completion event the local Data API emitted (an EventBridge rule's view). */
  events: RedshiftStatusChangeEvent[];
  /** The runtime's log lines, parsed. */
  logs: LogRecord[];
  invoke(event: unknown, context?: LambdaContext): Promise<unknown>;
  /** Invokes and answers the thrown error (fails if the call succeeds). */
  invokeError(event: unknown, context?: LambdaContext): Promise<Error>;
  /** The completion event of a statement, once the Data API emitted it. */
  eventFor(statementId: string, timeoutMs?: number): Promise<RedshiftStatusChangeEvent>;
  /** Waits until DescribeStatement reports a terminal status; answers it. */
  settled(statementId: string, timeoutMs?: number): Promise<string>;
  /** Waits until DescribeStatement reports STARTED (its SQL runs in PostgreSQL). */
  started(statementId: string, timeoutMs?: number): Promise<void>;
  /** Every item of the state table. */
  items(): Promise<Record<string, AttributeValue>[]>;
  /**
   * A gate in PostgreSQL (an advisory lock): statements containing `gate.sql` (an expression) block
   * while it is closed, so a test decides when a statement ends instead of racing a sleep.
   */
  gate(): Promise<Gate>;
  /** A RUNNING execution in the local Step Functions service. */
  runningExecution(name?: string): string;
  stop(): Promise<void>;
};

/** Blocks statements that contain `sql` while closed (it starts closed). */
export type Gate = { sql: string; open(): Promise<void>; close(): Promise<void> };

let gateKeys = 1000;

export function lambdaContext(requestId: string = randomUUID(), remainingMs = 60_000): LambdaContext {
  return { awsRequestId: requestId, getRemainingTimeInMillis: () => remainingMs };
}

export function executionArn(name = 'run'): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:runtime-test:${name}-${randomUUID()}`;
}

export function sqsEvent(bodies: { messageId?: string; body: unknown }[]) {
  return {
    Records: bodies.map(({ messageId, body }) => ({
      messageId: messageId ?? randomUUID(),
      receiptHandle: randomUUID(),
      body: typeof body === 'string' ? body : JSON.stringify(body),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'AIDA',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:sfn-redshift-events`,
      awsRegion: LOCAL_REGION,
    })),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startRuntimeHarness(
  options: Pick<LocalStackOptions, 'initSql' | 'pageSize'> = {},
): Promise<RuntimeHarness> {
  const events: RedshiftStatusChangeEvent[] = [];
  const waiters = new Set<(event: RedshiftStatusChangeEvent) => void>();
  const stack = await startTestStack({
    ...options,
    onRedshiftEvent: (event) => {
      events.push(event);
      for (const waiter of waiters) waiter(event);
    },
  });
  Object.assign(process.env, stack.lambdaEnvironment, TARGET_ENV);
  const logs: LogRecord[] = [];
  setLogSink((line) => logs.push(JSON.parse(line) as LogRecord));

  const gateClients: pg.Client[] = [];
  const statusOf = async (statementId: string, wanted: readonly string[], timeoutMs: number): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { Status = '' } = await stack.clients.runtimeRedshiftData.send(
        new DescribeStatementCommand({ Id: statementId }),
      );
      if (wanted.includes(Status)) return Status;
      if (Date.now() > deadline) throw new Error(`statement ${statementId} still ${Status} after ${timeoutMs} ms`);
      await sleep(10);
    }
  };
  const invoke = (event: unknown, context: LambdaContext = lambdaContext()) => handler(structuredClone(event), context);
  return {
    stack,
    events,
    logs,
    invoke,
    async invokeError(event, context) {
      try {
        const answer = await invoke(event, context);
        throw new Error(`expected the invocation to fail, it answered ${JSON.stringify(answer)}`);
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('expected the invocation to fail')) throw error;
        if (!(error instanceof Error)) throw new Error(`a non-Error was thrown: ${String(error)}`);
        return error;
      }
    },
    eventFor(statementId, timeoutMs = 10_000) {
      const found = events.find((event) => event.detail.statementId === statementId);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no completion event for ${statementId} within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = (event: RedshiftStatusChangeEvent) => {
          if (event.detail.statementId !== statementId) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(event);
        };
        waiters.add(waiter);
      });
    },
    settled: (statementId, timeoutMs = 10_000) => statusOf(statementId, ['FINISHED', 'FAILED', 'ABORTED'], timeoutMs),
    async started(statementId, timeoutMs = 10_000) {
      const status = await statusOf(statementId, ['STARTED', 'FINISHED', 'FAILED', 'ABORTED'], timeoutMs);
      if (status !== 'STARTED') throw new Error(`statement ${statementId} ended ${status} before it was seen running`);
    },
    async items() {
      const items: Record<string, AttributeValue>[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await stack.clients.dynamodb.send(
          new ScanCommand({ TableName: stack.stateTableName, ConsistentRead: true, ExclusiveStartKey: start }),
        );
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return items;
    },
    async gate() {
      const key = gateKeys++;
      const client = new pg.Client({ connectionString: stack.databaseUrl });
      client.on('error', () => undefined);
      await client.connect();
      gateClients.push(client);
      await client.query('select pg_advisory_lock($1)', [key]);
      let closed = true;
      return {
        sql: `pg_advisory_xact_lock(${key})`,
        async open() {
          if (closed) await client.query('select pg_advisory_unlock($1)', [key]);
          closed = false;
        },
        async close() {
          if (!closed) await client.query('select pg_advisory_lock($1)', [key]);
          closed = true;
        },
      };
    },
    runningExecution(name = 'holder') {
      const arn = executionArn(name);
      const stateMachineArn = arn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '');
      stack.registry.startExecution(
        { executionArn: arn, stateMachineArn, name, startDate: new Date(), input: '{}' },
        (error, cause) =>
          stack.registry.finishExecution(arn, 'ABORTED', {
            ...(error !== undefined ? { error } : {}),
            ...(cause !== undefined ? { cause } : {}),
          }),
      );
      return arn;
    },
    async stop() {
      await Promise.all(gateClients.map((client) => client.end().catch(() => undefined)));
      await stack.stop();
    },
  };
}

/** The string value of an item attribute (or undefined). */
export function s(item: Record<string, AttributeValue> | undefined, name: string): string | undefined {
  const value = item?.[name];
  return value !== undefined && 'S' in value ? value.S : undefined;
}
