// Executor against real local endpoints: dynalite (DynamoDB) and the local SFN API, through the
// real SDK clients, including callbacks (waitForTaskToken) sent by in-process functions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StopExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { createStateTable, startDynamo, type LocalDynamo } from '../../local/dynamodb.ts';
import { createSfnClient, startSfnApi, type LocalSfnApi } from '../../local/sfn-api.ts';
import { createExecutor, type Executor } from '../../local/executor/index.ts';

const TABLE = 'executor-state';
const key = (pk: string) => ({ pk: { S: pk }, sk: { S: 'lock' } });

type CallbackEvent = { token: string; mode: 'succeed' | 'fail' | 'ignore'; value?: unknown };

describe('executor with dynalite and the local SFN API', () => {
  let dynamo: LocalDynamo;
  let api: LocalSfnApi;
  let sfn: SFNClient;
  let executor: Executor;
  const received: CallbackEvent[] = [];

  beforeAll(async () => {
    [dynamo, api] = await Promise.all([startDynamo(), startSfnApi()]);
    await createStateTable(dynamo.client, TABLE);
    sfn = createSfnClient(api.endpoint);
    executor = createExecutor({ registry: api.registry, clients: { dynamodb: dynamo.client, sfn } });
    // A callback worker, as the runtime Lambda: answers through the real SFN client.
    executor.registerFunction('callback', async (event) => {
      const e = event as CallbackEvent;
      received.push(e);
      if (e.mode === 'succeed')
        await sfn.send(new SendTaskSuccessCommand({ taskToken: e.token, output: JSON.stringify(e.value) }));
      if (e.mode === 'fail')
        await sfn.send(
          new SendTaskFailureCommand({ taskToken: e.token, error: 'Redshift.StatementFailed', cause: 'syntax error' }),
        );
      return { accepted: true };
    });
  });
  afterAll(async () => {
    sfn.destroy();
    await Promise.all([dynamo.stop(), api.stop()]);
  });

  describe('DynamoDB optimized integration', () => {
    const acquire = {
      StartAt: 'Acquire',
      States: {
        Acquire: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:putItem',
          Parameters: {
            TableName: '${StateTableName}',
            Item: { pk: { 'S.$': '$.pk' }, sk: { S: 'lock' }, holder: { 'S.$': '$$.Execution.Id' } },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
          ResultPath: '$.put',
          Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.error', Next: 'Busy' }],
          Next: 'Acquired',
        },
        Acquired: { Type: 'Succeed' },
        Busy: { Type: 'Fail', Error: 'ConcurrentExecution', Cause: 'lock held' },
      },
    };

    it('putItem with a failing ConditionExpression is caught as DynamoDB.ConditionalCheckFailedException', async () => {
      const first = await executor.execute(acquire, { pk: 'job-1' }, { substitutions: { StateTableName: TABLE } });
      expect(first.status).toBe('SUCCEEDED');
      const put = (first.output as { put: Record<string, unknown> }).put;
      expect(put.SdkHttpMetadata).toMatchObject({ HttpStatusCode: 200 });
      expect(put.SdkResponseMetadata).toHaveProperty('RequestId');
      const stored = await dynamo.client.send(new GetItemCommand({ TableName: TABLE, Key: key('job-1') }));
      expect(stored.Item?.holder?.S).toBe(first.executionArn);

      const second = await executor.execute(acquire, { pk: 'job-1' }, { substitutions: { StateTableName: TABLE } });
      expect(second.status).toBe('FAILED');
      expect(second.error).toBe('ConcurrentExecution');
      const failed = second.history.find((e) => e.type === 'TaskFailed');
      expect(failed?.error).toBe('DynamoDB.ConditionalCheckFailedException');
      expect(failed?.cause).toMatch(/conditional request failed/i);
    });

    it('getItem, updateItem and deleteItem', async () => {
      await dynamo.client.send(new PutItemCommand({ TableName: TABLE, Item: { ...key('job-2'), n: { N: '1' } } }));
      const result = await executor.execute(
        {
          StartAt: 'Get',
          States: {
            Get: {
              Type: 'Task',
              Resource: 'arn:aws:states:::dynamodb:getItem',
              Parameters: { TableName: TABLE, Key: { pk: { 'S.$': '$.pk' }, sk: { S: 'lock' } } },
              ResultSelector: { 'n.$': '$.Item.n.N' },
              ResultPath: '$.got',
              Next: 'Update',
            },
            Update: {
              Type: 'Task',
              Resource: 'arn:aws:states:::dynamodb:updateItem',
              Parameters: {
                TableName: TABLE,
                Key: { pk: { 'S.$': '$.pk' }, sk: { S: 'lock' } },
                UpdateExpression: 'SET n = n + :one',
                ExpressionAttributeValues: { ':one': { N: '1' } },
                ReturnValues: 'UPDATED_NEW',
              },
              ResultSelector: { 'n.$': '$.Attributes.n.N' },
              ResultPath: '$.updated',
              Next: 'Delete',
            },
            Delete: {
              Type: 'Task',
              Resource: 'arn:aws:states:::dynamodb:deleteItem',
              Parameters: {
                TableName: TABLE,
                Key: { pk: { 'S.$': '$.pk' }, sk: { S: 'lock' } },
                ReturnValues: 'ALL_OLD',
              },
              ResultSelector: { 'n.$': '$.Attributes.n.N' },
              ResultPath: '$.deleted',
              End: true,
            },
          },
        },
        { pk: 'job-2' },
      );
      expect(result.status).toBe('SUCCEEDED');
      expect(result.output).toEqual({ pk: 'job-2', got: { n: '1' }, updated: { n: '2' }, deleted: { n: '2' } });
      const gone = await dynamo.client.send(new GetItemCommand({ TableName: TABLE, Key: key('job-2') }));
      expect(gone.Item).toBeUndefined();
    });

    it('names aws-sdk:dynamodb errors DynamoDb.*, unmodeled ones DynamoDb.DynamoDbException', async () => {
      const get = (table: string, sk: unknown) => ({
        StartAt: 'Get',
        States: {
          Get: {
            Type: 'Task',
            Resource: 'arn:aws:states:::aws-sdk:dynamodb:getItem',
            Parameters: { TableName: table, Key: { pk: { S: 'x' }, sk } },
            End: true,
          },
        },
      });
      const missingTable = await executor.execute(get('no-such-table', { S: 'lock' }), {});
      expect(missingTable.error).toBe('DynamoDb.ResourceNotFoundException');
      const invalid = await executor.execute(get(TABLE, { N: '1' }), {});
      expect(invalid.error).toBe('DynamoDb.DynamoDbException');
      expect(invalid.cause).toMatch(/key/i);
      const found = await executor.execute(get(TABLE, { S: 'lock' }), {});
      expect(found.status).toBe('SUCCEEDED');
      expect(found.output).toEqual({});
    });
  });

  describe('aws-sdk:sfn:describeExecution', () => {
    const describeMachine = {
      StartAt: 'Self',
      States: {
        Self: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:sfn:describeExecution',
          Parameters: { 'ExecutionArn.$': '$$.Execution.Id' },
          ResultSelector: { 'Status.$': '$.Status', 'Name.$': '$.Name', 'StartDate.$': '$.StartDate' },
          ResultPath: '$.self',
          Next: 'Other',
        },
        Other: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:sfn:describeExecution',
          Parameters: { 'ExecutionArn.$': '$.other' },
          ResultSelector: { 'Status.$': '$.Status' },
          ResultPath: '$.described',
          Catch: [{ ErrorEquals: ['Sfn.ExecutionDoesNotExistException'], ResultPath: '$.error', Next: 'Gone' }],
          End: true,
        },
        Gone: { Type: 'Pass', End: true },
      },
    };

    it('sees itself RUNNING, a finished execution SUCCEEDED, a concurrent one RUNNING and an unknown one missing', async () => {
      received.length = 0;
      const finished = await executor.execute({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, {});
      const first = await executor.execute(describeMachine, { other: finished.executionArn }, { name: 'describer-1' });
      expect(first.status).toBe('SUCCEEDED');
      const output = first.output as {
        self: { Status: string; Name: string; StartDate: string };
        described: { Status: string };
      };
      expect(output.self.Status).toBe('RUNNING');
      expect(output.self.Name).toBe('describer-1');
      expect(output.self.StartDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(output.described.Status).toBe('SUCCEEDED');

      // a concurrent execution, still waiting for a callback
      const waiting = executor.execute(
        {
          StartAt: 'Hold',
          States: {
            Hold: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
              Parameters: { FunctionName: 'callback', Payload: { 'token.$': '$$.Task.Token', mode: 'ignore' } },
              End: true,
            },
          },
        },
        {},
        { name: 'holder-1' },
      );
      const holderArn = 'arn:aws:states:us-east-1:123456789012:execution:LocalStateMachine:holder-1';
      const concurrent = await executor.execute(describeMachine, { other: holderArn });
      expect((concurrent.output as { described: { Status: string } }).described.Status).toBe('RUNNING');
      const holderToken = received.find((e) => e.mode === 'ignore')?.token ?? '';
      await sfn.send(new StopExecutionCommand({ executionArn: holderArn, error: 'Test', cause: 'done' }));
      const stopped = await waiting;
      expect(stopped.status).toBe('ABORTED');
      expect(stopped.error).toBe('Test');
      // the stopped execution's callback token is void
      await expect(
        sfn.send(new SendTaskSuccessCommand({ taskToken: holderToken, output: '{}' })),
      ).rejects.toMatchObject({ name: 'TaskTimedOut' });
      const after = await executor.execute(describeMachine, { other: holderArn });
      expect((after.output as { described: { Status: string } }).described.Status).toBe('ABORTED');

      const unknown = await executor.execute(describeMachine, {
        other: 'arn:aws:states:us-east-1:123456789012:execution:LocalStateMachine:nope',
      });
      expect(unknown.status).toBe('SUCCEEDED');
      expect((unknown.output as { error: { Error: string } }).error.Error).toBe('Sfn.ExecutionDoesNotExistException');
    });
  });

  describe('lambda:invoke.waitForTaskToken', () => {
    const callbackMachine = (mode: CallbackEvent['mode'], timeoutSeconds?: number) => ({
      StartAt: 'Wait',
      States: {
        Wait: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: {
            FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:callback',
            Payload: {
              'token.$': '$$.Task.Token',
              mode,
              'value.$': '$.value',
              'label.$': "States.Format('token={}', $$.Task.Token)",
            },
          },
          ...(timeoutSeconds !== undefined ? { TimeoutSeconds: timeoutSeconds } : {}),
          ResultPath: '$.result',
          Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.error', Next: 'Failed' }],
          End: true,
        },
        Failed: { Type: 'Pass', End: true },
      },
    });

    it('resumes on SendTaskSuccess with the parsed output; each call gets a fresh token', async () => {
      received.length = 0;
      const [a, b] = await Promise.all([
        executor.execute(callbackMachine('succeed'), { value: { rows: 1 } }),
        executor.execute(callbackMachine('succeed'), { value: { rows: 2 } }),
      ]);
      expect(a?.status).toBe('SUCCEEDED');
      expect((a?.output as { result: unknown } | undefined)?.result).toEqual({ rows: 1 });
      expect((b?.output as { result: unknown } | undefined)?.result).toEqual({ rows: 2 });
      expect(received).toHaveLength(2);
      const [first, second] = received as [CallbackEvent & { label: string }, CallbackEvent & { label: string }];
      expect(first.token).not.toBe(second.token);
      expect(first.token).not.toMatch(/static/);
      expect(first.label).toBe(`token=${first.token}`);
      expect(a?.history.map((e) => e.type)).toEqual([
        'ExecutionStarted',
        'TaskStateEntered',
        'TaskScheduled',
        'TaskStarted',
        'TaskSubmitted',
        'TaskSucceeded',
        'TaskStateExited',
        'ExecutionSucceeded',
      ]);
      // the token is used up
      await expect(
        sfn.send(new SendTaskSuccessCommand({ taskToken: first.token, output: '{}' })),
      ).rejects.toMatchObject({ name: 'TaskTimedOut' });
    });

    it('fails with the Error and Cause of SendTaskFailure', async () => {
      const result = await executor.execute(callbackMachine('fail'), { value: null });
      expect(result.status).toBe('SUCCEEDED');
      expect((result.output as { error: unknown }).error).toEqual({
        Error: 'Redshift.StatementFailed',
        Cause: 'syntax error',
      });
    });

    it('times out with States.Timeout (not caught by States.TaskFailed); a late SendTaskSuccess gets TaskTimedOut', async () => {
      received.length = 0;
      // Unscaled, the 3600 s timeout would outlast the test's timeout.
      const result = await executor.execute(callbackMachine('ignore', 3600), { value: 1 }, { timeoutScale: 0.00002 });
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('States.Timeout');
      expect(result.history.map((e) => e.type)).toContain('TaskTimedOut');
      const token = received[0]?.token ?? '';
      await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({
        name: 'TaskTimedOut',
      });
      expect(api.registry.pendingTokenCount()).toBe(0);
    });

    it('fails with States.HeartbeatTimeout when no heartbeat arrives within HeartbeatSeconds', async () => {
      const machine = callbackMachine('ignore', 3600) as { States: { Wait: Record<string, unknown> } };
      machine.States.Wait.HeartbeatSeconds = 600;
      const result = await executor.execute(machine, { value: 1 }, { timeoutScale: 0.0001 });
      expect(result.status).toBe('SUCCEEDED');
      expect((result.output as { error: { Error: string } }).error.Error).toBe('States.HeartbeatTimeout');
      expect(result.history.map((e) => e.type)).toContain('TaskTimedOut');
    });

    it('a missed heartbeat is caught by a Catch on States.Timeout, as in Step Functions (error handling: States.Timeout)', async () => {
      const machine = callbackMachine('ignore', 3600) as { States: { Wait: Record<string, unknown> } };
      machine.States.Wait.HeartbeatSeconds = 600;
      machine.States.Wait.Catch = [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Failed' }];
      const result = await executor.execute(machine, { value: 1 }, { timeoutScale: 0.0001 });
      expect(result.status).toBe('SUCCEEDED');
      expect((result.output as { error: { Error: string } }).error.Error).toBe('States.HeartbeatTimeout');
    });
  });
});
