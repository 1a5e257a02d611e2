// The whole local stack: PostgreSQL + Data API + dynalite + SFN API + executor, real processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ExecuteStatementCommand } from '@aws-sdk/client-redshift-data';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { startTestStack } from '../support/shared-postgres.ts';
import type { RedshiftStatusChangeEvent } from '../../local/redshift-data/index.ts';

const target = { ClusterIdentifier: 'local', Database: 'dev', DbUser: 'etl' };

/** Execute → (Wait → Describe)* → GetStatementResult, as poll mode does. */
const pollMachine = (sql: string) => ({
  StartAt: 'Execute',
  States: {
    Execute: {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:redshiftdata:executeStatement',
      Parameters: { ...target, Sql: sql, StatementName: 'sfn-redshift/test/select' },
      ResultSelector: { 'Id.$': '$.Id' },
      ResultPath: '$.statement',
      Next: 'Wait',
    },
    Wait: { Type: 'Wait', Seconds: 5, Next: 'Describe' },
    Describe: {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:redshiftdata:describeStatement',
      Parameters: { 'Id.$': '$.statement.Id' },
      ResultSelector: {
        'Id.$': '$.Id',
        'Status.$': '$.Status',
        'HasResultSet.$': '$.HasResultSet',
        'CreatedAt.$': '$.CreatedAt',
      },
      ResultPath: '$.statement',
      Next: 'Done?',
    },
    'Done?': {
      Type: 'Choice',
      Choices: [
        { Variable: '$.statement.Status', StringEquals: 'FINISHED', Next: 'Result' },
        { Variable: '$.statement.Status', StringEquals: 'FAILED', Next: 'Failed' },
      ],
      Default: 'Wait',
    },
    Result: {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:redshiftdata:getStatementResult',
      Parameters: { 'Id.$': '$.statement.Id' },
      ResultSelector: { 'Records.$': '$.Records', 'TotalNumRows.$': '$.TotalNumRows' },
      ResultPath: '$.result',
      End: true,
    },
    Failed: { Type: 'Fail', Error: 'Redshift.StatementFailed' },
  },
});

describe('local stack', () => {
  let stack: LocalStack;
  const events: RedshiftStatusChangeEvent[] = [];
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    stack = await startTestStack({
      initSql: 'create table numbers (n int); insert into numbers values (1), (2), (3);',
      functions: {
        // callback mode in miniature: submit WithEvent, remember the token, answer on the event
        submit: async (event) => {
          const { sql, token } = event as { sql: string; token: string };
          const { Id } = await stack.clients.redshiftData.send(
            new ExecuteStatementCommand({ ...target, Sql: sql, WithEvent: true }),
          );
          tokens.set(Id ?? '', token);
          return { Id };
        },
        onStatementEvent: async (event) => {
          const e = event as RedshiftStatusChangeEvent;
          events.push(e);
          const token = tokens.get(e.detail.statementId);
          if (token) {
            await stack.clients.sfn.send(
              new SendTaskSuccessCommand({
                taskToken: token,
                output: JSON.stringify({ Id: e.detail.statementId, Status: e.detail.state }),
              }),
            );
          }
        },
      },
      redshiftEventTarget: 'onStatementEvent',
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await stack?.stop();
  });

  // How fast it starts is a benchmark target (npm run bench: "local stack starts under 15 s").
  it('starts and exposes endpoints, clients and a Lambda environment', () => {
    expect(stack.endpoints.redshiftData).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.stateTableName).toBe('sfn-redshift-state');
    expect(stack.lambdaEnvironment).toMatchObject({
      AWS_ENDPOINT_URL_REDSHIFT_DATA: stack.endpoints.redshiftData,
      AWS_ENDPOINT_URL_DYNAMODB: stack.endpoints.dynamodb,
      AWS_ENDPOINT_URL_SFN: stack.endpoints.sfn,
      STATE_TABLE: 'sfn-redshift-state',
      AWS_REGION: 'us-east-1',
    });
  });

  it('runs executeStatement + describeStatement + getStatementResult against PostgreSQL', async () => {
    const result = await stack.execute(pollMachine('select sum(n) as total from numbers'), {}, { waitMs: 10 });
    expect(result.status).toBe('SUCCEEDED');
    const output = result.output as {
      statement: { Status: string; HasResultSet: boolean; CreatedAt: string };
      result: { Records: unknown[][]; TotalNumRows: number };
    };
    expect(output.statement.Status).toBe('FINISHED');
    expect(output.statement.HasResultSet).toBe(true);
    expect(output.statement.CreatedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(output.result.TotalNumRows).toBe(1);
    // Step Functions hands SDK outputs over with PascalCase members: Field.longValue → LongValue
    expect(output.result.Records).toEqual([[{ LongValue: 6 }]]);

    const one = await stack.execute(pollMachine('select 1'), {}, { waitMs: 10 });
    expect((one.output as { result: { Records: unknown[][] } }).result.Records).toEqual([[{ LongValue: 1 }]]);
  });

  it('takes SQL parameters as Step Functions spells them (Name/Value), and rejects other spellings up front', async () => {
    const machine = (parameter: Record<string, string>) => {
      const definition = pollMachine('select n from numbers where n = :n') as {
        States: { Execute: { Parameters: Record<string, unknown> } };
      };
      definition.States.Execute.Parameters.Parameters = [parameter];
      return definition;
    };
    const result = await stack.execute(
      machine({ Name: 'n', 'Value.$': "States.Format('{}', $.n)" }),
      { n: 2 },
      { waitMs: 10 },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as { result: { Records: unknown[][] } }).result.Records).toEqual([[{ LongValue: 2 }]]);
    await expect(stack.execute(machine({ name: 'n', value: '2' }), {})).rejects.toThrow(
      /SCHEMA_VALIDATION_FAILED: The field "name" is not supported by Step Functions/,
    );
  });

  it('long-polled Tasks: the submit answers Status and HasResultSet; longPollMs compresses a wait the statement outlives', async () => {
    const longPolled = (sql: string) => ({
      StartAt: 'Execute',
      States: {
        Execute: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:redshiftdata:executeStatement',
          Parameters: { ...target, Sql: sql, WaitTimeSeconds: 30 },
          ResultSelector: { 'Id.$': '$.Id', 'Status.$': '$.Status' },
          ResultPath: '$.submitted',
          Next: 'Describe',
        },
        Describe: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:redshiftdata:describeStatement',
          Parameters: { 'Id.$': '$.submitted.Id', WaitTimeSeconds: 30 },
          ResultSelector: { 'Status.$': '$.Status' },
          ResultPath: '$.described',
          End: true,
        },
      },
    });
    const quick = await stack.execute(longPolled('select 1'), {});
    expect(quick.output).toMatchObject({ submitted: { Status: 'FINISHED' }, described: { Status: 'FINISHED' } });
    // 30 s + 30 s of waiting in 2 × 5 ms: the statement (1 s) outlives both compressed waits.
    const slow = await stack.execute(longPolled('select pg_sleep(1)'), {}, { longPollMs: 5 });
    expect(slow.output).toMatchObject({
      submitted: { Status: expect.stringMatching(/^(SUBMITTED|PICKED|STARTED)$/) },
      described: { Status: expect.stringMatching(/^(SUBMITTED|PICKED|STARTED)$/) },
    });
  });

  it('names Data API errors RedshiftData.<Exception>', async () => {
    const result = await stack.execute(
      {
        StartAt: 'Execute',
        States: {
          Execute: {
            Type: 'Task',
            Resource: 'arn:aws:states:::aws-sdk:redshiftdata:executeStatement',
            Parameters: { ...target, WorkgroupName: 'also', Sql: 'select 1' },
            End: true,
          },
        },
      },
      {},
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RedshiftData.ValidationException');
    expect(result.cause).toMatch(/ClusterIdentifier or WorkgroupName/);
  });

  it('substitutes ${StateTableName} with the stack table by default', async () => {
    const result = await stack.execute(
      {
        StartAt: 'Put',
        States: {
          Put: {
            Type: 'Task',
            Resource: 'arn:aws:states:::dynamodb:putItem',
            Parameters: { TableName: '${StateTableName}', Item: { pk: { S: 'stack' }, sk: { S: 'item' } } },
            End: true,
          },
        },
      },
      {},
    );
    expect(result.status).toBe('SUCCEEDED');
    const item = await stack.clients.dynamodb.send(
      new GetItemCommand({ TableName: stack.stateTableName, Key: { pk: { S: 'stack' }, sk: { S: 'item' } } }),
    );
    expect(item.Item).toBeDefined();
  });

  it('routes WithEvent completion events to the event target, which completes a callback Task', async () => {
    const result = await stack.execute(
      {
        StartAt: 'Run',
        States: {
          Run: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: {
              FunctionName: 'submit',
              Payload: { sql: 'select n from numbers', 'token.$': '$$.Task.Token' },
            },
            TimeoutSeconds: 30,
            ResultPath: '$.step',
            End: true,
          },
        },
      },
      {},
    );
    expect(result.status).toBe('SUCCEEDED');
    const step = (result.output as { step: { Id: string; Status: string } }).step;
    expect(step.Status).toBe('FINISHED');
    const event = events.find((e) => e.detail.statementId === step.Id);
    expect(event?.source).toBe('aws.redshift-data');
    expect(event?.detail.state).toBe('FINISHED');
  });
});

describe('local stack stop', () => {
  // With a private PostgreSQL (the default), which stop() shuts down too.
  it('aborts running executions, refuses new ones, and is idempotent', async () => {
    let called: () => void = () => undefined;
    const hanging = new Promise<void>((resolve) => {
      called = resolve;
    });
    const never = () => {
      called();
      return new Promise(() => undefined);
    };
    const stack = await startLocalStack({ functions: { never } });
    const running = stack.execute(
      {
        StartAt: 'Hang',
        States: {
          Hang: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: 'never' },
            End: true,
          },
        },
      },
      {},
    );
    await hanging;
    await Promise.all([stack.stop(), stack.stop()]);
    const result = await running;
    expect(result.status).toBe('ABORTED');
    await expect(stack.execute({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } })).rejects.toThrow(
      /stopped/,
    );
    await expect(fetch(stack.endpoints.sfn, { method: 'POST' })).rejects.toThrow();
    await expect(fetch(stack.endpoints.redshiftData, { method: 'POST' })).rejects.toThrow();
  });
});

describe('local stack start-up failure', () => {
  it('stops what it had started when a later part fails', async () => {
    const servers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap').length;
    const before = servers();
    await expect(startLocalStack({ databaseUrl: 'postgres://nobody:nothing@127.0.0.1:1/none' })).rejects.toThrow();
    // A server's 'close' event comes before libuv releases its handle (the loop's close phase):
    // wait a few event-loop turns, not a time, for the handles to go.
    for (let turn = 0; turn < 10 && servers() !== before; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(servers()).toBe(before);
  });
});
