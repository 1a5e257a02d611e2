// The HTTP endpoint: AWS JSON 1.1 (POST /, X-Amz-Target: RedshiftData.<Operation>), so an
// unmodified @aws-sdk/client-redshift-data client works against it with only `endpoint` set.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';
import { installRedshiftCompat } from './compat.ts';
import { ConnectionPool } from './connections.ts';
import { ApiError, internalError } from './errors.ts';
import {
  EventDispatcher,
  statusChangeEvent,
  type RedshiftStatusChangeEvent,
  type TerminalStatement,
} from './events.ts';
import type { ExecutionContext } from './execution.ts';
import { parseBody } from './input.ts';
import { LONG_POLL_CAP_HEADER, type RequestContext } from './long-poll.ts';
import { Operations } from './operations.ts';
import { callerOf } from './principals.ts';
import { batchTotals, StatementRegistry, type Statement } from './statements.ts';
import { listenOnLoopback } from '../loopback.ts';

export type StartRedshiftDataApiOptions = {
  /** The PostgreSQL server that runs the SQL (every Database value maps to this one database). */
  databaseUrl: string;
  /** Rows per GetStatementResult page. Default 1000. */
  pageSize?: number;
  /** Non-terminal statements allowed at once; beyond, ActiveStatementsExceededException. Default 200. */
  maxActiveStatements?: number;
  /**
   * Long-polled calls (WaitTimeSeconds) waiting on one statement id at once; beyond,
   * ActiveWaitingRequestsExceededException. AWS documents no number; the default, 1, is the
   * strictest there can be, so whatever works here works with any limit AWS applies.
   */
  maxWaitingRequestsPerStatement?: number;
  /** Receives each WithEvent statement's completion event. */
  onEvent?: (event: RedshiftStatusChangeEvent) => void | Promise<void>;
  /** POSTs each completion event as JSON to this URL. */
  eventUrl?: string;
  /** Called when onEvent throws or the POST fails. Default: console.error. */
  onEventError?: (error: unknown, event: RedshiftStatusChangeEvent) => void;
  /**
   * An ambiguous failure: when it answers true for a request, the operation is carried out but the
   * caller gets an HTTP 500 InternalServerException instead of its answer (a lost response), as
   * a network or service fault can do. For testing retries (ClientToken).
   */
  loseAnswer?: (operation: string, input: Readonly<Record<string, unknown>>) => boolean;
  /**
   * A request in flight: when it answers a promise for a request, the Data API handles the request
   * only once the promise settles, as a slow network can deliver a request late (a statement a
   * stopped execution submitted appears after the stop). For testing cleanup.
   */
  holdRequest?: (operation: string, input: Readonly<Record<string, unknown>>) => Promise<void> | undefined;
  /**
   * Members the API model marks optional that AWS may leave out of an answer (DescribeStatement's
   * `Error` has no `required` trait in the Data API model): those named here for an operation are
   * removed from the answer and from each of its SubStatements. For testing that machines read them
   * only where they are known to be present.
   */
  omitMembers?: (operation: string) => readonly string[];
  /** For event envelopes and ARNs. Defaults: us-east-1, 123456789012. */
  region?: string;
  accountId?: string;
  /** The event detail's principal. Default arn:aws:iam::<accountId>:user/sfn-redshift-local. */
  principal?: string;
  /** Port on 127.0.0.1. Default: a free one. */
  port?: number;
  /**
   * PostgreSQL sessions for statements; statements beyond it wait as SUBMITTED.
   * Default: maxActiveStatements, capped by what the server's max_connections leaves free.
   */
  maxConnections?: number;
  /**
   * Access key id → IAM role ARN of every caller: a statement is seen only by its submitter's role,
   * and an access key not listed is refused. Default: every access key is a role of its own.
   */
  principals?: Readonly<Record<string, string>>;
};

export type RedshiftDataApi = {
  /** http://127.0.0.1:<port>, for the SDK client's `endpoint`. */
  endpoint: string;
  /** Cancels running statements, closes sessions, waits for event deliveries. Safe to call twice. */
  stop(): Promise<void>;
  /** The PostgreSQL backend pid running a statement (0 before it is PICKED); undefined if unknown. */
  statementPid(id: string): number | undefined;
  /** Long-polled requests waiting right now, over all statements. */
  waitingRequests(): number;
};

const jsonContentType = 'application/x-amz-json-1.1';
const targetPrefix = 'RedshiftData.';

export async function startRedshiftDataApi(options: StartRedshiftDataApiOptions): Promise<RedshiftDataApi> {
  const maxActiveStatements = options.maxActiveStatements ?? 200;
  const pageSize = options.pageSize ?? 1000;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new Error(`pageSize must be a positive integer, got ${pageSize}`);
  if (!Number.isInteger(maxActiveStatements) || maxActiveStatements < 1) {
    throw new Error(`maxActiveStatements must be a positive integer, got ${maxActiveStatements}`);
  }
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const principal = options.principal ?? `arn:aws:iam::${accountId}:user/sfn-redshift-local`;

  const sessions = await prepareDatabase(options.databaseUrl);
  const pool = new ConnectionPool(
    options.databaseUrl,
    Math.min(options.maxConnections ?? maxActiveStatements, sessions),
  );
  const registry = new StatementRegistry();
  const events = new EventDispatcher(options);
  let queryId = 100;
  const context: ExecutionContext = {
    pool,
    nextQueryId: () => (queryId += 1),
    onTerminal: (statement) => {
      if (statement.withEvent) events.emit(statusChangeEvent(terminalOf(statement), { region, accountId, principal }));
    },
  };
  const maxWaitingRequestsPerStatement = options.maxWaitingRequestsPerStatement ?? 1;
  if (!Number.isInteger(maxWaitingRequestsPerStatement) || maxWaitingRequestsPerStatement < 1) {
    throw new Error(`maxWaitingRequestsPerStatement must be a positive integer, got ${maxWaitingRequestsPerStatement}`);
  }
  const operations = new Operations(registry, context, {
    pageSize,
    maxActiveStatements,
    maxWaitingRequestsPerStatement,
    cancelBackend: (pid) => cancelBackend(options.databaseUrl, pid),
  });

  const server = createServer((request, response) => void handle(operations, request, response, options));
  const port = await listenOnLoopback(server, options.port);

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      (stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await operations.cancelAll();
        await pool.close();
        await events.drain();
      })()),
    waitingRequests: () => operations.waitingRequests,
    statementPid: (id) => {
      try {
        return registry.find(id).statement.pid;
      } catch {
        return undefined;
      }
    },
  };
}

async function handle(
  operations: Operations,
  request: IncomingMessage,
  response: ServerResponse,
  { principals, loseAnswer, omitMembers, holdRequest }: StartRedshiftDataApiOptions,
): Promise<void> {
  try {
    const body = await readBody(request);
    const target = request.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith(targetPrefix) ? target.slice(targetPrefix.length) : undefined;
    const handler = request.method === 'POST' && operation !== undefined ? operations.handlers[operation] : undefined;
    if (handler === undefined) {
      throw new ApiError('UnknownOperationException', `Unknown or unsupported operation: ${String(target)}`);
    }
    const input = parseBody(body);
    await holdRequest?.(operation as string, input);
    const answer = await handler(input, {
      ...requestContext(request, response),
      caller: callerOf(request.headers, principals),
    });
    if (loseAnswer?.(operation as string, input) === true)
      throw internalError(`${String(operation)} was carried out, its answer lost`);
    send(response, 200, withoutMembers(answer, omitMembers?.(operation as string) ?? []));
  } catch (error) {
    const apiError =
      error instanceof ApiError ? error : internalError(error instanceof Error ? error.message : String(error));
    send(
      response,
      apiError.httpStatus,
      { __type: apiError.type, message: apiError.message, ...apiError.fields },
      apiError.type,
    );
  }
}

function withoutMembers(answer: unknown, members: readonly string[]): unknown {
  if (members.length === 0 || typeof answer !== 'object' || answer === null || Array.isArray(answer)) return answer;
  const trimmed: Record<string, unknown> = { ...(answer as Record<string, unknown>) };
  for (const member of members) delete trimmed[member];
  if (Array.isArray(trimmed.SubStatements))
    trimmed.SubStatements = trimmed.SubStatements.map((sub: unknown) => withoutMembers(sub, members));
  return trimmed;
}

/** The request's abort signal (the client left before the answer) and the local long-poll cap. */
function requestContext(request: IncomingMessage, response: ServerResponse): RequestContext {
  const left = new AbortController();
  response.on('close', () => left.abort());
  const cap = Number(request.headers[LONG_POLL_CAP_HEADER]);
  return {
    signal: left.signal,
    ...(request.headers[LONG_POLL_CAP_HEADER] !== undefined && cap >= 0 ? { longPollCapMs: cap } : {}),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': jsonContentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }),
  });
  response.end(text);
}

/** Installs the compatibility functions; returns how many sessions the server can give us. */
async function prepareDatabase(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    await installRedshiftCompat(client);
    const settings = await client.query<{ name: string; setting: string }>(
      `select name, setting from pg_settings
        where name in ('max_connections', 'superuser_reserved_connections', 'reserved_connections')`,
    );
    const value = (name: string): number => Number(settings.rows.find((row) => row.name === name)?.setting ?? 0);
    // Leave room for cancel sessions and whoever else uses the server.
    return Math.max(
      1,
      value('max_connections') - value('superuser_reserved_connections') - value('reserved_connections') - 10,
    );
  } finally {
    await client.end();
  }
}

async function cancelBackend(databaseUrl: string, pid: number): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('select pg_cancel_backend($1)', [pid]);
  } finally {
    await client.end();
  }
}

function terminalOf(statement: Statement): TerminalStatement {
  const rows = statement.isBatch ? batchTotals(statement).resultRows : (statement.units[0]?.resultRows ?? -1);
  const queryIds = statement.units.map((unit) => unit.redshiftQueryId).filter((id) => id > 0);
  const state = statement.status === 'FINISHED' || statement.status === 'FAILED' ? statement.status : 'ABORTED';
  return {
    id: statement.id,
    target: statement.target,
    redshiftQueryId: queryIds[queryIds.length - 1] ?? -1,
    state,
    rows,
    ...(statement.statementName === undefined ? {} : { statementName: statement.statementName }),
  };
}
