import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { Json, TaskStateInfo } from './definition.ts';
import type { ExecutionRegistry } from './registry.ts';

/** The context object an in-process Lambda handler receives (a subset of the real one). */
export type LambdaContext = {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
};

export type LambdaHandler = (event: unknown, context: LambdaContext) => unknown;

/** Real SDK clients pointed at the local endpoints. A Task needing a missing one fails to prepare. */
export type ExecutorClients = {
  redshiftData?: RedshiftDataClient;
  dynamodb?: DynamoDBClient;
  sfn?: SFNClient;
};

/** One invocation of a Task state's handler. */
export type TaskCall = {
  executionArn: string;
  stateName: string;
  task: TaskStateInfo;
  /** The Task's effective input (after InputPath and Parameters). */
  input: Json;
  /** Aborted when the execution ends: the handler must settle then. */
  signal: AbortSignal;
  /** The run's static `$$.Task.Token`, to be replaced by a fresh token per call. */
  staticToken: string;
  registry: ExecutionRegistry;
  /** Compressed time: a long-polled Data API call (WaitTimeSeconds) waits at most this many ms. */
  longPollMs?: number;
};

export type TaskHandler = (call: TaskCall) => Promise<Json>;
