// The whole local stack on one machine, no AWS account: PostgreSQL + the Redshift Data API on it,
// DynamoDB (dynalite, state table created), the Step Functions API endpoint, and the executor that
// runs generated ASL against them through real SDK clients.
import { Agent } from 'node:http';
import pg from 'pg';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { startPostgres, type PostgresServer } from './postgres.ts';
import { startRedshiftDataApi, type RedshiftDataApi, type RedshiftStatusChangeEvent } from './redshift-data/index.ts';
import { createStateTable, startDynamo, type LocalDynamo } from './dynamodb.ts';
import { createSfnClient, startSfnApi, type LocalSfnApi } from './sfn-api.ts';
import { Executor, ExecutionRegistry, type ExecuteOptions, type ExecutionResult, type LambdaHandler } from './executor/index.ts';
import { invoke } from './executor/lambda.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './executor/aws.ts';

export type { ExecuteOptions, ExecutionResult, LambdaHandler } from './executor/index.ts';
export type { RedshiftStatusChangeEvent } from './redshift-data/index.ts';

export const DEFAULT_STATE_TABLE_NAME = 'sfn-redshift-state';

export type LocalStackOptions = {
  /** Use this PostgreSQL server instead of starting a private one (left running by stop()). */
  databaseUrl?: string;
  /** SQL text run once after start (e.g. schema and fixtures). */
  initSql?: string;
  /** Rows per GetStatementResult page (Data API). */
  pageSize?: number;
  /** Non-terminal statements allowed at once (Data API). */
  maxActiveStatements?: number;
  /** Default "sfn-redshift-state". */
  stateTableName?: string;
  /** In-process Lambda functions by name or ARN. */
  functions?: Record<string, LambdaHandler>;
  /**
   * Function (name or ARN, registered in `functions` or later) that receives each WithEvent
   * statement's "Redshift Data Statement Status Change" event, as an EventBridge rule target would.
   */
  redshiftEventTarget?: string;
  /** Also called with each WithEvent statement's completion event. */
  onRedshiftEvent?: (event: RedshiftStatusChangeEvent) => void | Promise<void>;
  /**
   * EventBridge delivers Redshift Data events best-effort (EventBridge user guide, "Events from AWS
   * services"): an event for which this answers true is lost, reaching neither target above.
   */
  dropRedshiftEvent?: (event: RedshiftStatusChangeEvent) => boolean;
};

export type LocalStack = {
  endpoints: { redshiftData: string; dynamodb: string; sfn: string };
  databaseUrl: string;
  stateTableName: string;
  /** Real SDK clients on the local endpoints (dummy credentials, us-east-1). */
  clients: { redshiftData: RedshiftDataClient; dynamodb: DynamoDBClient; sfn: SFNClient };
  /** Environment for running the runtime Lambda against this stack (endpoints, credentials, STATE_TABLE). */
  lambdaEnvironment: Record<string, string>;
  executor: Executor;
  registry: ExecutionRegistry;
  /** Runs a definition; `${StateTableName}` is substituted with the stack's table unless overridden. */
  execute(definition: unknown, input?: unknown, options?: ExecuteOptions): Promise<ExecutionResult>;
  registerFunction(nameOrArn: string, handler: LambdaHandler): void;
  /** Long-polled Data API requests (WaitTimeSeconds) waiting right now. */
  waitingRequests(): number;
  /** Stops running executions and everything the stack started. Idempotent. */
  stop(): Promise<void>;
};

export function createRedshiftDataClient(endpoint: string): RedshiftDataClient {
  // Long-polled calls (WaitTimeSeconds) hold their connection for up to 30 s: the SDK's default of
  // 50 sockets would queue every other execution's calls behind them, which Step Functions does not.
  const httpAgent = new Agent({ keepAlive: true, maxSockets: 1000 });
  return new RedshiftDataClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1, requestHandler: { httpAgent } });
}

async function runSql(databaseUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

type Stoppable = { name: string; stop(): Promise<void> | void };

async function stopAll(stoppables: Stoppable[]): Promise<void> {
  const failures: string[] = [];
  for (const item of [...stoppables].reverse()) {
    try {
      await item.stop();
    } catch (error) {
      failures.push(`${item.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failures.length > 0) throw new Error(`stopping the local stack failed: ${failures.join('; ')}`);
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const stateTableName = options.stateTableName ?? DEFAULT_STATE_TABLE_NAME;
  const registry = new ExecutionRegistry();
  const started: Stoppable[] = [];
  let executor: Executor | undefined;

  const deliver = async (event: RedshiftStatusChangeEvent): Promise<void> => {
    if (options.dropRedshiftEvent?.(event) === true) return;
    const deliveries: Promise<unknown>[] = [];
    if (options.onRedshiftEvent) deliveries.push(Promise.resolve(options.onRedshiftEvent(event)));
    if (options.redshiftEventTarget !== undefined && executor) {
      deliveries.push(invoke(executor.functions, options.redshiftEventTarget, event as unknown as Parameters<typeof invoke>[2]));
    }
    await Promise.all(deliveries);
  };

  try {
    const [postgres, dynamo, sfnApi] = await Promise.allSettled([
      startPostgres(options.databaseUrl !== undefined ? { databaseUrl: options.databaseUrl } : {}),
      startDynamo(),
      startSfnApi({ registry }),
    ]);
    for (const [name, result] of [
      ['postgres', postgres],
      ['dynamodb', dynamo],
      ['sfn-api', sfnApi],
    ] as const) {
      if (result.status === 'fulfilled') started.push({ name, stop: () => result.value.stop() });
    }
    for (const result of [postgres, dynamo, sfnApi]) if (result.status === 'rejected') throw result.reason;
    const db = (postgres as PromiseFulfilledResult<PostgresServer>).value;
    const ddb = (dynamo as PromiseFulfilledResult<LocalDynamo>).value;
    const sfnServer = (sfnApi as PromiseFulfilledResult<LocalSfnApi>).value;

    // Stopped in reverse order: the Data API first (it drains event deliveries, which may still
    // call the SFN API through these clients), then the clients, then the servers.
    const sfn = createSfnClient(sfnServer.endpoint);
    let redshiftData: RedshiftDataClient | undefined;
    started.push({
      name: 'clients',
      stop: () => {
        redshiftData?.destroy();
        sfn.destroy();
      },
    });
    const dataApiOptions: Parameters<typeof startRedshiftDataApi>[0] = { databaseUrl: db.url, onEvent: deliver };
    if (options.pageSize !== undefined) dataApiOptions.pageSize = options.pageSize;
    if (options.maxActiveStatements !== undefined) dataApiOptions.maxActiveStatements = options.maxActiveStatements;
    const dataApi: RedshiftDataApi = await startRedshiftDataApi(dataApiOptions);
    started.push({ name: 'redshift-data', stop: () => dataApi.stop() });
    const dataClient = createRedshiftDataClient(dataApi.endpoint);
    redshiftData = dataClient;

    await createStateTable(ddb.client, stateTableName);
    if (options.initSql !== undefined && options.initSql.trim() !== '') await runSql(db.url, options.initSql);

    const exec = new Executor({ registry, clients: { redshiftData: dataClient, dynamodb: ddb.client, sfn }, functions: options.functions ?? {} });
    executor = exec;
    const inFlight = new Set<Promise<unknown>>();
    let stopping: Promise<void> | undefined;

    return {
      endpoints: { redshiftData: dataApi.endpoint, dynamodb: ddb.endpoint, sfn: sfnServer.endpoint },
      databaseUrl: db.url,
      stateTableName,
      clients: { redshiftData: dataClient, dynamodb: ddb.client, sfn },
      lambdaEnvironment: {
        AWS_REGION: LOCAL_REGION,
        AWS_DEFAULT_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_REDSHIFT_DATA: dataApi.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
        AWS_ENDPOINT_URL_SFN: sfnServer.endpoint,
        STATE_TABLE: stateTableName,
      },
      executor: exec,
      registry,
      waitingRequests: () => dataApi.waitingRequests(),
      execute(definition, input = {}, executeOptions = {}) {
        if (stopping) return Promise.reject(new Error('the local stack is stopped'));
        const run = exec.execute(definition, input, {
          ...executeOptions,
          substitutions: { StateTableName: stateTableName, ...executeOptions.substitutions },
        });
        const tracked = run.catch(() => undefined);
        inFlight.add(tracked);
        void tracked.finally(() => inFlight.delete(tracked));
        return run;
      },
      registerFunction(nameOrArn, handler) {
        exec.registerFunction(nameOrArn, handler);
      },
      stop() {
        stopping ??= (async () => {
          for (const arn of registry.runningExecutions()) registry.stopExecution(arn, 'States.Aborted', 'the local stack stopped');
          await Promise.all(inFlight);
          await exec.functions.drain();
          await stopAll(started);
        })();
        return stopping;
      },
    };
  } catch (error) {
    await stopAll(started).catch(() => undefined);
    throw error;
  }
}
