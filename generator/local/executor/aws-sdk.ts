// AWS service integrations through the real SDK v3 clients:
// - `arn:aws:states:::aws-sdk:<service>:<action>` (generic), services redshiftdata, sfn, dynamodb;
// - `arn:aws:states:::dynamodb:putItem|getItem|updateItem|deleteItem` (optimized).
import { randomUUID } from 'node:crypto';
import * as dynamodbSdk from '@aws-sdk/client-dynamodb';
import * as redshiftDataSdk from '@aws-sdk/client-redshift-data';
import * as sfnSdk from '@aws-sdk/client-sfn';
import { type ErrorNaming, serviceTaskFailure } from './errors.ts';
import { isJsonObject, lowerFirst, rewriteKeys, toTaskJson, upperFirst } from './json.ts';
import type { Json, JsonObject } from './definition.ts';
import type { ExecutorClients, TaskCall, TaskHandler } from './types.ts';

type Sendable = { send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown> };
type CommandConstructor = new (input: unknown) => unknown;

type ServiceSpec = {
  client: keyof ExecutorClients;
  module: Record<string, unknown>;
  naming: ErrorNaming;
  /** The JS SDK's shapes use camelCase members; Step Functions speaks PascalCase. */
  camelCaseShapes: boolean;
};

const AWS_SDK_SERVICES: Record<string, ServiceSpec> = {
  redshiftdata: {
    client: 'redshiftData',
    module: redshiftDataSdk as unknown as Record<string, unknown>,
    naming: { prefix: 'RedshiftData', baseException: redshiftDataSdk.RedshiftDataServiceException, unmodeled: 'RedshiftDataException' },
    camelCaseShapes: false,
  },
  sfn: {
    client: 'sfn',
    module: sfnSdk as unknown as Record<string, unknown>,
    naming: { prefix: 'Sfn', baseException: sfnSdk.SFNServiceException, unmodeled: 'SfnException' },
    camelCaseShapes: true,
  },
  dynamodb: {
    client: 'dynamodb',
    module: dynamodbSdk as unknown as Record<string, unknown>,
    naming: { prefix: 'DynamoDb', baseException: dynamodbSdk.DynamoDBServiceException, unmodeled: 'DynamoDbException' },
    camelCaseShapes: false,
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
  const ctor = spec.module[`${upperFirst(action)}Command`];
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

/** Builds the handler for an aws-sdk or optimized dynamodb Resource; undefined if it is neither. */
export function serviceHandler(resource: string, stateName: string, clients: ExecutorClients): TaskHandler | undefined {
  const generic = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(resource);
  if (generic) {
    const [, service = '', action = ''] = generic;
    const spec = AWS_SDK_SERVICES[service];
    if (!spec) throw new UnsupportedResourceError(stateName, resource, `service ${service} is not available locally (redshiftdata, sfn, dynamodb are)`);
    const Command = command(spec, action);
    if (!Command) throw new UnsupportedResourceError(stateName, resource, `${service} has no action ${action}`);
    const client = clientFor(clients, spec, stateName, resource);
    return async (call: TaskCall): Promise<Json> => {
      const parameters = isJsonObject(call.input) ? call.input : {};
      const input = spec.camelCaseShapes ? rewriteKeys(parameters, lowerFirst) : parameters;
      let response: unknown;
      try {
        response = await client.send(new Command(input), { abortSignal: call.signal });
      } catch (error) {
        throw serviceTaskFailure(error, spec.naming);
      }
      return toTaskJson(response, spec.camelCaseShapes ? upperFirst : undefined);
    };
  }
  const optimized = /^arn:aws:states:::dynamodb:([A-Za-z]+)$/.exec(resource);
  if (optimized) {
    const [, action = ''] = optimized;
    if (!OPTIMIZED_DYNAMODB_ACTIONS.has(action)) {
      throw new UnsupportedResourceError(stateName, resource, 'the optimized DynamoDB integration has putItem, getItem, updateItem, deleteItem');
    }
    const spec = AWS_SDK_SERVICES.dynamodb as ServiceSpec;
    const Command = command(spec, action) as CommandConstructor;
    const client = clientFor(clients, spec, stateName, resource);
    return async (call: TaskCall): Promise<Json> => {
      let response: unknown;
      try {
        response = await client.send(new Command(isJsonObject(call.input) ? call.input : {}), { abortSignal: call.signal });
      } catch (error) {
        throw serviceTaskFailure(error, OPTIMIZED_DYNAMODB_NAMING);
      }
      const output = toTaskJson(response) as JsonObject;
      return { ...output, ...sdkHttpMetadata(requestIdOf(response), 'application/x-amz-json-1.0') };
    };
  }
  return undefined;
}
