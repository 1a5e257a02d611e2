// AWS service integrations through the real SDK v3 clients:
// - `arn:aws:states:::aws-sdk:<service>:<action>` (generic), services redshiftdata, sfn, dynamodb;
// - `arn:aws:states:::dynamodb:putItem|getItem|updateItem|deleteItem` (optimized).
import { randomUUID } from 'node:crypto';
import * as dynamodbSdk from '@aws-sdk/client-dynamodb';
import * as redshiftDataSdk from '@aws-sdk/client-redshift-data';
import * as sfnSdk from '@aws-sdk/client-sfn';
import { type ErrorNaming, serviceTaskFailure, TaskFailure } from './errors.ts';
import { isJsonObject } from './json.ts';
import { DefinitionError, type Json, type JsonObject, type TaskStateInfo } from './definition.ts';
import { checkParameters, fromSdkOutput, operationSchemas, toSdkInput, UnsupportedFieldError } from './shapes.ts';
import type { ExecutorClients, TaskCall, TaskHandler } from './types.ts';
import { LONG_POLL_CAP_HEADER } from '../redshift-data/long-poll.ts';

type Sendable = { send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown> };
type BuildArgs = { request: unknown };
type MiddlewareStack = {
  add(
    middleware: (next: (args: BuildArgs) => Promise<unknown>) => (args: BuildArgs) => Promise<unknown>,
    options: { step: 'build' },
  ): void;
};
type CommandConstructor = new (input: unknown) => unknown;

type ServiceSpec = {
  client: keyof ExecutorClients;
  module: Record<string, unknown>;
  naming: ErrorNaming;
};

const AWS_SDK_SERVICES: Record<string, ServiceSpec> = {
  redshiftdata: {
    client: 'redshiftData',
    module: redshiftDataSdk as unknown as Record<string, unknown>,
    naming: {
      prefix: 'RedshiftData',
      baseException: redshiftDataSdk.RedshiftDataServiceException,
      unmodeled: 'RedshiftDataException',
    },
  },
  sfn: {
    client: 'sfn',
    module: sfnSdk as unknown as Record<string, unknown>,
    naming: { prefix: 'Sfn', baseException: sfnSdk.SFNServiceException, unmodeled: 'SfnException' },
  },
  dynamodb: {
    client: 'dynamodb',
    module: dynamodbSdk as unknown as Record<string, unknown>,
    naming: { prefix: 'DynamoDb', baseException: dynamodbSdk.DynamoDBServiceException, unmodeled: 'DynamoDbException' },
  },
};

const OPTIMIZED_DYNAMODB_ACTIONS: ReadonlySet<string> = new Set(['putItem', 'getItem', 'updateItem', 'deleteItem']);
const OPTIMIZED_DYNAMODB_NAMING: ErrorNaming = {
  prefix: 'DynamoDB',
  baseException: dynamodbSdk.DynamoDBServiceException,
  unmodeled: 'AmazonDynamoDBException',
};

export class UnsupportedResourceError extends Error {
  constructor(stateName: string, resource: string, why: string) {
    super(`Task ${JSON.stringify(stateName)}: ${why} (Resource ${resource})`);
    this.name = 'UnsupportedResourceError';
  }
}

function command(spec: ServiceSpec, action: string): CommandConstructor | undefined {
  const ctor = spec.module[`${action.charAt(0).toUpperCase()}${action.slice(1)}Command`];
  return typeof ctor === 'function' ? (ctor as CommandConstructor) : undefined;
}

function clientFor(clients: ExecutorClients, spec: ServiceSpec, stateName: string, resource: string): Sendable {
  const client = clients[spec.client];
  if (!client) throw new UnsupportedResourceError(stateName, resource, `the executor has no ${spec.client} client`);
  return client as unknown as Sendable;
}

/** The metadata block optimized integrations (dynamodb:*, lambda:invoke) add to their output. */
export function sdkHttpMetadata(requestId: string, contentType: string): JsonObject {
  const headers: JsonObject = { 'Content-Type': contentType, 'x-amzn-RequestId': requestId };
  const allHeaders: JsonObject = Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, [value]]));
  return {
    SdkHttpMetadata: { AllHttpHeaders: allHeaders, HttpHeaders: headers, HttpStatusCode: 200 },
    SdkResponseMetadata: { RequestId: requestId },
  };
}

function requestIdOf(response: unknown): string {
  if (typeof response === 'object' && response !== null && '$metadata' in response) {
    const metadata = (response as { $metadata?: { requestId?: unknown } }).$metadata;
    if (typeof metadata?.requestId === 'string') return metadata.requestId;
  }
  return randomUUID();
}

type Operation = { Command: CommandConstructor; input: unknown; output: unknown };

function operation(spec: ServiceSpec, action: string, task: TaskStateInfo, what: string): Operation {
  const Command = command(spec, action);
  const schemas = operationSchemas(spec.module, action);
  if (!Command || !schemas)
    throw new UnsupportedResourceError(task.name, task.resource, `${what} has no action ${action}`);
  try {
    checkParameters(task.parameters, schemas.input);
  } catch (error) {
    if (error instanceof UnsupportedFieldError) {
      // Step Functions' own wording when it refuses the definition at CreateStateMachine.
      throw new DefinitionError(
        `SCHEMA_VALIDATION_FAILED: The field "${error.field}" is not supported by Step Functions at /States/${task.name}/Parameters (${error.path})`,
      );
    }
    throw error;
  }
  return { Command, input: schemas.input, output: schemas.output };
}

async function call(
  client: Sendable,
  op: Operation,
  callInput: TaskCall,
  naming: ErrorNaming,
): Promise<{ response: unknown; output: Json }> {
  let input: unknown;
  try {
    input = toSdkInput(isJsonObject(callInput.input) ? callInput.input : {}, op.input);
  } catch (error) {
    if (error instanceof UnsupportedFieldError) throw new TaskFailure('States.Runtime', error.message);
    throw error;
  }
  let response: unknown;
  const sdkCommand = new op.Command(input);
  if (
    callInput.longPollMs !== undefined &&
    isJsonObject(callInput.input) &&
    callInput.input.WaitTimeSeconds !== undefined
  ) {
    capLongPoll(sdkCommand as { middlewareStack: MiddlewareStack }, callInput.longPollMs);
  }
  try {
    response = await client.send(sdkCommand, { abortSignal: callInput.signal });
  } catch (error) {
    throw serviceTaskFailure(error, naming);
  }
  return { response, output: fromSdkOutput(response, op.output) };
}

/** Compressed time: the local Data API holds this long-polled call at most `ms` real milliseconds. */
function capLongPoll(command: { middlewareStack: MiddlewareStack }, ms: number): void {
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers[LONG_POLL_CAP_HEADER] = String(ms);
      return next(args);
    },
    { step: 'build' },
  );
}

/**
 * Builds the handler for an aws-sdk or optimized dynamodb Resource; undefined if it is neither.
 * Parameters use Step Functions' PascalCase member names (checked up front, as Step Functions
 * checks them when the machine is created); outputs come back PascalCase as well.
 */
export function serviceHandler(task: TaskStateInfo, clients: ExecutorClients): TaskHandler | undefined {
  const { resource, name: stateName } = task;
  const generic = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(resource);
  if (generic) {
    const [, service = '', action = ''] = generic;
    const spec = AWS_SDK_SERVICES[service];
    if (!spec)
      throw new UnsupportedResourceError(
        stateName,
        resource,
        `service ${service} is not available locally (redshiftdata, sfn, dynamodb are)`,
      );
    const op = operation(spec, action, task, service);
    const client = clientFor(clients, spec, stateName, resource);
    return async (callInput: TaskCall): Promise<Json> => (await call(client, op, callInput, spec.naming)).output;
  }
  const optimized = /^arn:aws:states:::dynamodb:([A-Za-z]+)$/.exec(resource);
  if (optimized) {
    const [, action = ''] = optimized;
    if (!OPTIMIZED_DYNAMODB_ACTIONS.has(action)) {
      throw new UnsupportedResourceError(
        stateName,
        resource,
        'the optimized DynamoDB integration has putItem, getItem, updateItem, deleteItem',
      );
    }
    const spec = AWS_SDK_SERVICES.dynamodb as ServiceSpec;
    const op = operation(spec, action, task, 'dynamodb');
    const client = clientFor(clients, spec, stateName, resource);
    return async (callInput: TaskCall): Promise<Json> => {
      const { response, output } = await call(client, op, callInput, OPTIMIZED_DYNAMODB_NAMING);
      return { ...(output as JsonObject), ...sdkHttpMetadata(requestIdOf(response), 'application/x-amz-json-1.0') };
    };
  }
  return undefined;
}
