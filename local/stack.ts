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
import { createSfnClient, startSfnApi, type LocalSfnApi, type SfnThrottle } from './sfn-api.ts';
import {
  Executor,
  ExecutionRegistry,
  type ExecuteOptions,
  type ExecutionResult,
  type LambdaHandler,
} from './executor/index.ts';
import { invoke } from './executor/lambda.ts';
import {
  LOCAL_CREDENTIALS,
  LOCAL_MACHINE_ROLE,
  LOCAL_REGION,
  LOCAL_RUNTIME_CREDENTIALS,
  LOCAL_RUNTIME_ROLE,
} from './executor/aws.ts';
import {
  executionStatusChangeEvent,
  ruleMatches,
  type ExecutionEventRule,
  type ExecutionStatusChangeEvent,
} from './sfn-events.ts';

export type { ExecuteOptions, ExecutionResult, LambdaHandler } from './executor/index.ts';
export type { RedshiftStatusChangeEvent } from './redshift-data/index.ts';
export type { ExecutionEventRule, ExecutionStatusChangeEvent } from './sfn-events.ts';

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
  /** Data API requests whose answer is lost after the work was done (see StartRedshiftDataApiOptions). */
  loseDataApiAnswer?: (operation: string, input: Readonly<Record<string, unknown>>) => boolean;
  /** Step Functions API requests refused as throttled (see SfnThrottle). */
  throttleSfnApi?: SfnThrottle;
  /** Requests the Data API holds before handling them (see StartRedshiftDataApiOptions.holdRequest). */
  holdDataApiRequest?: (operation: string, input: Readonly<Record<string, unknown>>) => Promise<void> | undefined;
  /**
   * Every Wait state of the machines the execution event rules start (the reaper) takes this many
   * ms instead of its own duration. Default: real time.
   */
  ruleWaitMs?: number;
  /** Optional members the Data API leaves out of an operation's answers (see StartRedshiftDataApiOptions). */
  omitDataApiMembers?: (operation: string) => readonly string[];
  /**
   * EventBridge rules on "Step Functions Execution Status Change" events: the stack emits one for
   * every status an execution takes and delivers it to each matching rule's target (the runtime
   * Lambda, or a reaper state machine, which runs as the machines' role).
   */
  executionEventRules?: readonly ExecutionEventRule[];
  /** Also called with each execution status change event. */
  onExecutionEvent?: (event: ExecutionStatusChangeEvent) => void | Promise<void>;
};

export type LocalStack = {
  endpoints: { redshiftData: string; dynamodb: string; sfn: string };
  databaseUrl: string;
  stateTableName: string;
  /**
   * Real SDK clients on the local endpoints (dummy credentials, us-east-1). They sign as the state
   * machines' role; `runtimeRedshiftData` signs as the runtime Lambda's role. The Data API shows a
   * role only its own statements, as AWS does.
   */
  clients: {
    redshiftData: RedshiftDataClient;
    runtimeRedshiftData: RedshiftDataClient;
    dynamodb: DynamoDBClient;
    sfn: SFNClient;
  };
  /** Waits until every execution event delivered so far has been handled (its target done). */
  drainExecutionEvents(): Promise<void>;
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

export function createRedshiftDataClient(
  endpoint: string,
  credentials: { accessKeyId: string; secretAccessKey: string } = LOCAL_CREDENTIALS,
): RedshiftDataClient {
  // Long-polled calls (WaitTimeSeconds) hold their connection for up to 30 s: the SDK's default of
  // 50 sockets would queue every other execution's calls behind them, which Step Functions does not.
  const httpAgent = new Agent({ keepAlive: true, maxSockets: 1000 });
  return new RedshiftDataClient({
    endpoint,
    region: LOCAL_REGION,
    credentials,
    maxAttempts: 1,
    requestHandler: { httpAgent },
  });
}

/** The IAM identities of the local account: the state machines' role and the runtime's. */
const PRINCIPALS: Readonly<Record<string, string>> = {
  [LOCAL_CREDENTIALS.accessKeyId]: LOCAL_MACHINE_ROLE,
  [LOCAL_RUNTIME_CREDENTIALS.accessKeyId]: LOCAL_RUNTIME_ROLE,
};

/** The init SQL failed: PostgreSQL's message, and the line and column it points at (1-based). */
export class InitSqlError extends Error {
  override readonly name = 'InitSqlError';
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

async function runSql(databaseUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(sql);
  } catch (error) {
    // PostgreSQL's `position` is a 1-based character offset into the query text.
    const position = Number((error as { position?: string }).position ?? 1);
    const before = sql.slice(0, Math.max(0, position - 1)).split('\n');
    throw new InitSqlError(
      error instanceof Error ? error.message : String(error),
      before.length,
      (before.at(-1)?.length ?? 0) + 1,
    );
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

// A little over 60 lines: most of it is the LocalStack object it answers, the stack's API in one place.
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
      deliveries.push(
        invoke(executor.functions, options.redshiftEventTarget, event as unknown as Parameters<typeof invoke>[2]),
      );
    }
    await Promise.all(deliveries);
  };

  try {
    const { db, ddb, sfnServer } = await startServers(options, registry, started);
    const { dataApi, dataClient, runtimeDataClient, sfn } = await startDataApiAndClients(
      options,
      db.url,
      sfnServer.endpoint,
      deliver,
      started,
    );
    await createStateTable(ddb.client, stateTableName);
    if (options.initSql !== undefined && options.initSql.trim() !== '') await runSql(db.url, options.initSql);

    const exec = new Executor({
      registry,
      clients: { redshiftData: dataClient, dynamodb: ddb.client, sfn },
      functions: options.functions ?? {},
    });
    executor = exec;
    const runs = new RunTracker();
    const executionEvents = new ExecutionEventDelivery(options, exec, stateTableName, runs);
    const unsubscribe = registry.onStatusChange((record) =>
      executionEvents.deliver(executionStatusChangeEvent(record)),
    );
    started.push({ name: 'execution-events', stop: unsubscribe });

    const endpoints = { redshiftData: dataApi.endpoint, dynamodb: ddb.endpoint, sfn: sfnServer.endpoint };
    return {
      endpoints,
      databaseUrl: db.url,
      stateTableName,
      clients: { redshiftData: dataClient, runtimeRedshiftData: runtimeDataClient, dynamodb: ddb.client, sfn },
      drainExecutionEvents: () => executionEvents.drain(),
      lambdaEnvironment: lambdaEnvironment(endpoints, stateTableName),
      executor: exec,
      registry,
      waitingRequests: () => dataApi.waitingRequests(),
      execute(definition, input = {}, executeOptions = {}) {
        if (runs.stopping) return Promise.reject(new Error('the local stack is stopped'));
        const run = exec.execute(definition, input, {
          ...executeOptions,
          substitutions: { StateTableName: stateTableName, ...executeOptions.substitutions },
        });
        runs.track(run);
        return run;
      },
      registerFunction(nameOrArn, handler) {
        exec.registerFunction(nameOrArn, handler);
      },
      stop() {
        runs.stopping ??= (async () => {
          for (const arn of registry.runningExecutions())
            registry.stopExecution(arn, 'States.Aborted', 'the local stack stopped');
          await runs.settled();
          await exec.functions.drain();
          await stopAll(started);
        })();
        return runs.stopping;
      },
    };
  } catch (error) {
    await stopAll(started).catch(() => undefined);
    throw error;
  }
}

/** The Data API on `databaseUrl` and the SDK clients of the stack (all in `started` to stop). */
async function startDataApiAndClients(
  options: LocalStackOptions,
  databaseUrl: string,
  sfnEndpoint: string,
  onEvent: (event: RedshiftStatusChangeEvent) => Promise<void>,
  started: Stoppable[],
): Promise<{
  dataApi: RedshiftDataApi;
  dataClient: RedshiftDataClient;
  runtimeDataClient: RedshiftDataClient;
  sfn: SFNClient;
}> {
  // Stopped in reverse order: the Data API first (it drains event deliveries, which may still
  // call the SFN API through these clients), then the clients, then the servers.
  const sfn = createSfnClient(sfnEndpoint);
  const dataClients: RedshiftDataClient[] = [];
  started.push({
    name: 'clients',
    stop: () => {
      for (const client of dataClients) client.destroy();
      sfn.destroy();
    },
  });
  const dataApiOptions: Parameters<typeof startRedshiftDataApi>[0] = { databaseUrl, onEvent, principals: PRINCIPALS };
  if (options.pageSize !== undefined) dataApiOptions.pageSize = options.pageSize;
  if (options.maxActiveStatements !== undefined) dataApiOptions.maxActiveStatements = options.maxActiveStatements;
  if (options.loseDataApiAnswer !== undefined) dataApiOptions.loseAnswer = options.loseDataApiAnswer;
  if (options.omitDataApiMembers !== undefined) dataApiOptions.omitMembers = options.omitDataApiMembers;
  if (options.holdDataApiRequest !== undefined) dataApiOptions.holdRequest = options.holdDataApiRequest;
  const dataApi = await startRedshiftDataApi(dataApiOptions);
  started.push({ name: 'redshift-data', stop: () => dataApi.stop() });
  const dataClient = createRedshiftDataClient(dataApi.endpoint);
  const runtimeDataClient = createRedshiftDataClient(dataApi.endpoint, LOCAL_RUNTIME_CREDENTIALS);
  dataClients.push(dataClient, runtimeDataClient);
  return { dataApi, dataClient, runtimeDataClient, sfn };
}

/** PostgreSQL, dynalite and the SFN API, started together; each one that started is in `started`. */
async function startServers(
  options: LocalStackOptions,
  registry: ExecutionRegistry,
  started: Stoppable[],
): Promise<{ db: PostgresServer; ddb: LocalDynamo; sfnServer: LocalSfnApi }> {
  const [postgres, dynamo, sfnApi] = await Promise.allSettled([
    startPostgres(options.databaseUrl !== undefined ? { databaseUrl: options.databaseUrl } : {}),
    startDynamo(),
    startSfnApi({ registry, ...(options.throttleSfnApi !== undefined ? { throttle: options.throttleSfnApi } : {}) }),
  ]);
  for (const [name, result] of [
    ['postgres', postgres],
    ['dynamodb', dynamo],
    ['sfn-api', sfnApi],
  ] as const) {
    if (result.status === 'fulfilled') started.push({ name, stop: () => result.value.stop() });
  }
  for (const result of [postgres, dynamo, sfnApi]) if (result.status === 'rejected') throw result.reason;
  return {
    db: (postgres as PromiseFulfilledResult<PostgresServer>).value,
    ddb: (dynamo as PromiseFulfilledResult<LocalDynamo>).value,
    sfnServer: (sfnApi as PromiseFulfilledResult<LocalSfnApi>).value,
  };
}

function lambdaEnvironment(endpoints: LocalStack['endpoints'], stateTableName: string): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_RUNTIME_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_RUNTIME_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_REDSHIFT_DATA: endpoints.redshiftData,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SFN: endpoints.sfn,
    STATE_TABLE: stateTableName,
  };
}

/** The executions the stack started, so that stop() can wait for them; `stopping` once it stops. */
class RunTracker {
  stopping: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();

  track(run: Promise<unknown>): void {
    const tracked = run.catch(() => undefined);
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  async settled(): Promise<void> {
    await Promise.all(this.inFlight);
  }
}

/**
 * "Step Functions Execution Status Change" events to onExecutionEvent and each matching rule's
 * target: a function, or a state machine started with the event as its input (not once stopping).
 */
class ExecutionEventDelivery {
  private readonly deliveries = new Set<Promise<unknown>>();

  constructor(
    private readonly options: Pick<LocalStackOptions, 'onExecutionEvent' | 'executionEventRules' | 'ruleWaitMs'>,
    private readonly executor: Executor,
    private readonly stateTableName: string,
    private readonly runs: RunTracker,
  ) {}

  deliver(event: ExecutionStatusChangeEvent): void {
    const deliveries: Promise<unknown>[] = [];
    const { onExecutionEvent } = this.options;
    if (onExecutionEvent) deliveries.push(Promise.resolve().then(() => onExecutionEvent(event)));
    for (const rule of this.options.executionEventRules ?? []) {
      if (!ruleMatches(rule, event)) continue;
      const { target } = rule;
      if ('function' in target) {
        deliveries.push(
          invoke(this.executor.functions, target.function, event as unknown as Parameters<typeof invoke>[2]),
        );
      } else if (!this.runs.stopping) {
        // The rule's StartExecution of the reaper machine, with the event as its input.
        const run = this.executor.execute(target.stateMachine.definition, event, {
          stateMachineName: target.stateMachine.name,
          substitutions: { StateTableName: this.stateTableName },
          ...(this.options.ruleWaitMs !== undefined ? { waitMs: this.options.ruleWaitMs } : {}),
        });
        this.runs.track(run);
        deliveries.push(run);
      }
    }
    for (const delivery of deliveries) {
      const tracked = delivery.catch((error: unknown) =>
        console.error(`execution event for ${event.detail.executionArn}: delivery failed:`, error),
      );
      this.deliveries.add(tracked);
      void tracked.finally(() => this.deliveries.delete(tracked));
    }
  }

  /** Waits until every event delivered so far has been handled (its target done). */
  async drain(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.all([...this.deliveries]);
  }
}
