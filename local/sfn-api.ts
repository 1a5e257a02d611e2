// Local Step Functions API endpoint (AWS JSON 1.0, `X-Amz-Target: AWSStepFunctions.<Op>`), so the
// unmodified @aws-sdk/client-sfn works with only `endpoint` set. Answers from an ExecutionRegistry.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ExecutionRegistry, SfnApiError, type ExecutionRecord } from './executor/registry.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './executor/aws.ts';
import { listenOnLoopback } from './loopback.ts';

export type LocalSfnApi = {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  registry: ExecutionRegistry;
  /** Closes the server (and open connections). Idempotent. */
  stop(): Promise<void>;
};

const TARGET_PREFIX = 'AWSStepFunctions.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
const MAX_BODY_BYTES = 1024 * 1024;

type Operation = (body: Record<string, unknown>, registry: ExecutionRegistry) => Record<string, unknown>;

const epochSeconds = (date: Date): number => date.getTime() / 1000;

/**
 * DescribeExecution's answer. `includedData: METADATA_ONLY` leaves out the execution's input and
 * output (DescribeExecution, Step Functions API reference: the data that may be encrypted).
 */
function describe(record: ExecutionRecord, includedData: unknown): Record<string, unknown> {
  const withData = includedData !== 'METADATA_ONLY';
  const answer: Record<string, unknown> = {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: epochSeconds(record.startDate),
    ...(withData ? { input: record.input, inputDetails: { included: true } } : {}),
    redriveCount: 0,
  };
  if (record.stopDate) answer.stopDate = epochSeconds(record.stopDate);
  if (withData && record.output !== undefined) {
    answer.output = record.output;
    answer.outputDetails = { included: true };
  }
  if (record.error !== undefined) answer.error = record.error;
  if (record.cause !== undefined) answer.cause = record.cause;
  return answer;
}

function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new SfnApiError(
      'ValidationException',
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function optionalString(body: Record<string, unknown>, field: string, max: number): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > max) {
    throw new SfnApiError(
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  }
  return value;
}

const operations: Record<string, Operation> = {
  SendTaskSuccess(body, registry) {
    registry.sendTaskSuccess(body.taskToken, body.output);
    return {};
  },
  SendTaskFailure(body, registry) {
    const error = optionalString(body, 'error', 256);
    const cause = optionalString(body, 'cause', 32768);
    registry.sendTaskFailure(body.taskToken, error, cause);
    return {};
  },
  SendTaskHeartbeat(body, registry) {
    registry.sendTaskHeartbeat(body.taskToken);
    return {};
  },
  DescribeExecution(body, registry) {
    return describe(registry.describeExecution(requireString(body, 'executionArn')), body.includedData);
  },
  StopExecution(body, registry) {
    const executionArn = requireString(body, 'executionArn');
    const error = optionalString(body, 'error', 256);
    const cause = optionalString(body, 'cause', 32768);
    return { stopDate: epochSeconds(registry.stopExecution(executionArn, error, cause)) };
  },
};

function send(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, name: string, message: string): void {
  send(res, status, { __type: `com.amazonaws.swf.service.v2.model#${name}`, message });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new SfnApiError('ValidationException', 'request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Which requests Step Functions throttles. AWS throttles each API action per account and region
 * with a token bucket (Step Functions developer guide, "Step Functions service quotas", quotas
 * related to API action throttling) and answers `ThrottlingException` "Rate exceeded", HTTP 400; the
 * SFN API model lists no such error, so SDKs see it as an unmodeled service error.
 */
export type SfnThrottle = (operation: string, input: Readonly<Record<string, unknown>>) => boolean;

export type StartSfnApiOptions = {
  registry?: ExecutionRegistry;
  /** A request for which this answers true is refused as throttled, before any effect. */
  throttle?: SfnThrottle;
};

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  registry: ExecutionRegistry,
  throttle: SfnThrottle | undefined,
): Promise<void> {
  const target = req.headers['x-amz-target'];
  const op =
    typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
  const operation = op !== undefined && Object.hasOwn(operations, op) ? operations[op] : undefined;
  if (req.method !== 'POST' || !operation) {
    await readBody(req).catch(() => '');
    sendError(res, 400, 'UnknownOperationException', `Unknown operation ${String(target)}`);
    return;
  }
  try {
    const text = await readBody(req);
    let body: unknown;
    try {
      body = text.length === 0 ? {} : JSON.parse(text);
    } catch {
      throw new SfnApiError('SerializationException', 'request body is not valid JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new SfnApiError('SerializationException', 'request body must be a JSON object');
    }
    const input = body as Record<string, unknown>;
    if (throttle?.(op ?? '', input) === true) {
      sendError(res, 400, 'ThrottlingException', 'Rate exceeded');
      return;
    }
    send(res, 200, operation(input, registry));
  } catch (error) {
    if (error instanceof SfnApiError) sendError(res, 400, error.name, error.message);
    else sendError(res, 500, 'InternalFailure', error instanceof Error ? error.message : String(error));
  }
}

/** Starts the local SFN API on a free 127.0.0.1 port, answering from `registry` (a new one by default). */
export async function startSfnApi(options: StartSfnApiOptions = {}): Promise<LocalSfnApi> {
  const registry = options.registry ?? new ExecutionRegistry();
  const server = createServer((req, res) => {
    void handle(req, res, registry, options.throttle);
  });
  server.keepAliveTimeout = 5_000;
  const port = await listenOnLoopback(server);
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    registry,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

/** A real SFNClient on a local endpoint, with dummy static credentials and region us-east-1. */
export function createSfnClient(endpoint: string): SFNClient {
  return new SFNClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
}
