import { describe, expect, it } from 'vitest';
import type { State } from '../../generator/compile/asl.ts';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { renderDefinition } from '../../generator/emit/json.ts';
import { aslProblems } from '../../generator/emit/validate-asl.ts';
import { lockKey } from '../../runtime/src/lock-key.ts';
import { pipelineFrom, TRANSIENT } from './helpers.ts';

const HEAD = `version: 1
pipeline: demo
target: { cluster: analytics, database: dev, dbUser: etl }
`;
function firstChoice(state: State | undefined) {
  if (state?.Type !== 'Choice') throw new Error('not a Choice state');
  return state.Choices[0];
}
const RETRY = [{ ErrorEquals: TRANSIENT, IntervalSeconds: 5, MaxAttempts: 3, BackoffRate: 2 }];

describe('compiler: single statement in poll mode', () => {
  const machine = compilePipeline(
    pipelineFrom(
      `${HEAD}description: Demo\nsteps:\n  - id: load\n    sql: "call load(:day)"\n    parameters: { day: "$.runDate", limit: 10 }\n    timeout: 100s\n`.replace(
        'call load(:day)',
        'call load(:day, :limit)',
      ),
    ),
  ).machine;

  it('renders every state of the loop', () => {
    expect(machine.Comment).toBe('Demo');
    expect(machine.StartAt).toBe('load.Execute');
    expect(machine.States).toEqual({
      'load.Execute': {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:redshiftdata:executeStatement',
        Parameters: {
          ClusterIdentifier: 'analytics',
          Database: 'dev',
          DbUser: 'etl',
          Sql: 'call load(:day, :limit)',
          'StatementName.$': "States.Format('sfn-redshift/demo/load/{}:{}', $$.StateMachine.Name, $$.Execution.Name)",
          Parameters: [
            { Name: 'day', 'Value.$': "States.Format('{}', $.runDate)" },
            { Name: 'limit', Value: '10' },
          ],
          // The same on a Retry, new for a new execution or a redrive (idempotent submit).
          'ClientToken.$':
            "States.Hash(States.Format('{}/{}/load', $$.Execution.Id, $$.Execution.RedriveCount), 'SHA-256')",
        },
        ResultSelector: { 'Id.$': '$.Id', Interval: 5, Remaining: 95, NextWait: 10, Poll: 1 },
        ResultPath: '$.steps.load.Run',
        Retry: RETRY,
        Next: 'load.Wait',
      },
      'load.Wait': { Type: 'Wait', SecondsPath: '$.steps.load.Run.Interval', Next: 'load.Describe' },
      'load.Describe': {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:redshiftdata:describeStatement',
        Parameters: { 'Id.$': '$.steps.load.Run.Id' },
        // Only what the machine reads: never the SQL text (256 KiB state limit); Error as a list.
        ResultSelector: {
          'Status.$': '$.Status',
          'ResultRows.$': '$.ResultRows',
          'ResultSize.$': '$.ResultSize',
          'HasResultSet.$': '$.HasResultSet',
          'Errors.$': '$..Error',
        },
        ResultPath: '$.steps.load.Statement',
        Retry: RETRY,
        Next: 'load.Status',
      },
      'load.Status': {
        Type: 'Choice',
        Choices: [
          { Variable: '$.steps.load.Statement.Status', StringEquals: 'FINISHED', Next: 'load.Record' },
          { Variable: '$.steps.load.Statement.Status', StringEquals: 'FAILED', Next: 'load.FailedText' },
          { Variable: '$.steps.load.Statement.Status', StringEquals: 'ABORTED', Next: 'load.Aborted' },
          { Variable: '$.steps.load.Run.Remaining', NumericLessThanEquals: 0, Next: 'load.Cancel' },
          {
            Variable: '$.steps.load.Run.Remaining',
            NumericLessThanPath: '$.steps.load.Run.NextWait',
            Next: 'load.LastWait',
          },
        ],
        Default: 'load.Backoff',
      },
      'load.Backoff': {
        Type: 'Pass',
        Comment: 'Waits 5, 10, 20, 40, 60… seconds, then 60 until the budget of 100 s is spent',
        Parameters: {
          'Id.$': '$.steps.load.Run.Id',
          'Interval.$': '$.steps.load.Run.NextWait',
          'Remaining.$':
            'States.MathAdd($.steps.load.Run.Remaining, States.ArrayGetItem(States.Array(-5, -10, -20, -40, -60), $.steps.load.Run.Poll))',
          'NextWait.$':
            'States.ArrayGetItem(States.Array(5, 10, 20, 40, 60), States.ArrayGetItem(States.Array(1, 2, 3, 4, 4), $.steps.load.Run.Poll))',
          'Poll.$': 'States.ArrayGetItem(States.Array(1, 2, 3, 4, 4), $.steps.load.Run.Poll)',
        },
        ResultPath: '$.steps.load.Run',
        Next: 'load.Wait',
      },
      'load.LastWait': {
        Type: 'Pass',
        Comment: 'The last wait is shortened so that the waits add up to the budget exactly',
        Parameters: {
          'Id.$': '$.steps.load.Run.Id',
          'Interval.$': '$.steps.load.Run.Remaining',
          Remaining: 0,
          'NextWait.$': '$.steps.load.Run.NextWait',
          'Poll.$': '$.steps.load.Run.Poll',
        },
        ResultPath: '$.steps.load.Run',
        Next: 'load.Wait',
      },
      'load.Cancel': {
        Type: 'Task',
        Comment: 'Budget spent: cancel the statement so that nothing keeps running',
        Resource: 'arn:aws:states:::aws-sdk:redshiftdata:cancelStatement',
        Parameters: { 'Id.$': '$.steps.load.Run.Id' },
        ResultPath: null,
        Retry: RETRY,
        Catch: [
          {
            ErrorEquals: ['RedshiftData.ValidationException', 'RedshiftData.ResourceNotFoundException'],
            ResultPath: null,
            Next: 'load.TimedOut',
          },
        ],
        Next: 'load.TimedOut',
      },
      'load.TimedOut': { Type: 'Fail', Error: 'Redshift.StatementTimeout', CausePath: '$.steps.load.Run.Id' },
      // The Data API's Error is optional: a CausePath to an absent field would raise States.Runtime.
      'load.FailedText': {
        Type: 'Choice',
        Choices: [{ Variable: '$.steps.load.Statement.Errors[0]', IsPresent: true, Next: 'load.Failed' }],
        Default: 'load.FailedUntold',
      },
      'load.FailedUntold': {
        Type: 'Pass',
        Comment: 'FAILED without an error text: the Cause says so and names the statement',
        Parameters: {
          'Errors.$':
            "States.Array(States.Format('Statement {} FAILED; the Data API gave no error text', $.steps.load.Run.Id))",
        },
        ResultPath: '$.steps.load.Statement',
        Next: 'load.Failed',
      },
      'load.Failed': { Type: 'Fail', Error: 'Redshift.StatementFailed', CausePath: '$.steps.load.Statement.Errors[0]' },
      'load.Aborted': { Type: 'Fail', Error: 'Redshift.StatementAborted', CausePath: '$.steps.load.Run.Id' },
      'load.Record': {
        Type: 'Pass',
        Comment: 'The step record of the contract replaces the working data',
        Parameters: {
          'Id.$': '$.steps.load.Run.Id',
          'Status.$': '$.steps.load.Statement.Status',
          'ResultRows.$': '$.steps.load.Statement.ResultRows',
          'HasResultSet.$': '$.steps.load.Statement.HasResultSet',
        },
        ResultPath: '$.steps.load',
        End: true,
      },
    });
  });

  it('sets TimeoutSeconds to the step budget plus retry and bookkeeping slack', () => {
    // 100 s budget + 4 calls × (5 + 10 + 20) s of retries + 60 s.
    expect(machine.TimeoutSeconds).toBe(100 + 4 * 35 + 60);
  });
});

describe('compiler: batch with results on a serverless workgroup', () => {
  const machine = compilePipeline(
    pipelineFrom(`version: 1
pipeline: dq
target: { workgroup: wg, database: dev, secretArn: "\${SecretArn}" }
steps:
  - id: check
    sqls: ["create temp table x as select 1 as n", "select n from x"]
    results: true
    retry: { attempts: 0 }
`),
  ).machine;

  it('submits with BatchExecuteStatement and no Retry when attempts is 0', () => {
    expect(machine.States['check.Execute']).toMatchObject({
      Resource: 'arn:aws:states:::aws-sdk:redshiftdata:batchExecuteStatement',
      Parameters: {
        WorkgroupName: 'wg',
        Database: 'dev',
        SecretArn: '${SecretArn}',
        Sqls: ['create temp table x as select 1 as n', 'select n from x'],
        'StatementName.$': "States.Format('sfn-redshift/dq/check/{}:{}', $$.StateMachine.Name, $$.Execution.Name)",
        'ClientToken.$':
          "States.Hash(States.Format('{}/{}/check', $$.Execution.Id, $$.Execution.RedriveCount), 'SHA-256')",
      },
    });
    expect(machine.States['check.Execute']).not.toHaveProperty('Retry');
  });

  it('fetches the last sub-statement that has a result set', () => {
    expect(firstChoice(machine.States['check.Status'])).toMatchObject({
      StringEquals: 'FINISHED',
      Next: 'check.HasResult',
    });
    // The Describe keeps the sub-statements that have a result set, never their SQL text.
    expect(machine.States['check.Describe']).toMatchObject({
      ResultSelector: {
        'ResultSetIds.$': '$.SubStatements[?(@.HasResultSet == true)].Id',
        'ResultSetRows.$': '$.SubStatements[?(@.HasResultSet == true)].ResultRows',
        'ResultSetSizes.$': '$.SubStatements[?(@.HasResultSet == true)].ResultSize',
      },
    });
    expect(machine.States['check.HasResult']).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.steps.check.Statement.ResultSetIds[0]', IsPresent: true, Next: 'check.LastResult' }],
      Default: 'check.NoResult',
    });
    const last = (array: string) =>
      `States.ArrayGetItem($.steps.check.Statement.${array}, States.MathAdd(States.ArrayLength($.steps.check.Statement.${array}), -1))`;
    expect(machine.States['check.LastResult']).toEqual({
      Type: 'Pass',
      Comment: 'The sub-statement fetched: the last one that returned rows',
      Parameters: {
        'Id.$': last('ResultSetIds'),
        'ResultRows.$': last('ResultSetRows'),
        'ResultSize.$': last('ResultSetSizes'),
      },
      ResultPath: '$.steps.check.Fetched',
      Next: 'check.ResultSize',
    });
    // Its sizes against the default limits (100 rows, 64KB) before it is fetched.
    expect(machine.States['check.ResultSize']).toEqual({
      Type: 'Choice',
      Comment: 'A result over 100 rows or 65536 bytes would not fit the state',
      Choices: [
        { Variable: '$.steps.check.Fetched.ResultRows', NumericGreaterThan: 100, Next: 'check.TooLarge' },
        { Variable: '$.steps.check.Fetched.ResultSize', NumericGreaterThan: 65536, Next: 'check.TooLarge' },
      ],
      Default: 'check.FetchResult',
    });
    expect(machine.States['check.TooLarge']).toEqual({
      Type: 'Pass',
      Parameters: {
        Error: 'Redshift.ResultTooLarge',
        'Cause.$':
          "States.Format('the result has rows {} and bytes {} (DescribeStatement ResultRows and ResultSize), over the results limits maxRows 100 and maxBytes 65536', $.steps.check.Fetched.ResultRows, $.steps.check.Fetched.ResultSize)",
      },
      ResultPath: '$.steps.check.Error',
      Next: 'check.ResultTooLarge',
    });
    expect(machine.States['check.ResultTooLarge']).toEqual({
      Type: 'Fail',
      Error: 'Redshift.ResultTooLarge',
      CausePath: '$.steps.check.Error.Cause',
    });
    expect(machine.States['check.FetchResult']).toEqual({
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:redshiftdata:getStatementResult',
      Parameters: { 'Id.$': '$.steps.check.Fetched.Id' },
      ResultPath: '$.steps.check.Result',
      Next: 'check.Record',
    });
    expect(machine.States['check.NoResult']).toEqual({
      Type: 'Pass',
      Result: { Records: [], ColumnMetadata: [], TotalNumRows: 0 },
      ResultPath: '$.steps.check.Result',
      Next: 'check.Record',
    });
    expect(machine.States['check.Record']).toMatchObject({
      Parameters: { 'Result.$': '$.steps.check.Result' },
      End: true,
    });
  });
});

describe('compiler: parallel', () => {
  const machine = compilePipeline(
    pipelineFrom(`${HEAD}steps:
  - id: dims
    description: Dimensions
    parallel:
      - steps: [{ id: a, sql: select 1 }]
      - steps: [{ id: b, sql: select 2 }, { id: c, sql: select 3 }]
      - steps: [{ id: d, sql: select 4 }]
  - id: after
    sql: select 5
`),
  ).machine;

  it('renders one Parallel state whose branches end, merging every branch record into $.steps', () => {
    const parallel = machine.States.dims;
    expect(machine.StartAt).toBe('dims');
    expect(parallel).toMatchObject({
      Type: 'Parallel',
      Comment: 'Dimensions',
      ResultSelector: {
        'Base.$': '$[0]',
        Patch: { 'steps.$': 'States.JsonMerge(States.JsonMerge($[0].steps, $[1].steps, false), $[2].steps, false)' },
      },
      Next: 'dims.Merge',
    });
    expect(parallel).not.toHaveProperty('ResultPath');
    expect(machine.States['dims.Merge']).toEqual({
      Type: 'Pass',
      Comment: 'The state as it was, with every branch record under steps',
      Parameters: { 'State.$': 'States.JsonMerge($.Base, $.Patch, false)' },
      OutputPath: '$.State',
      Next: 'after.Execute',
    });
    if (parallel?.Type !== 'Parallel') throw new Error('not a Parallel state');
    expect(parallel.Branches.map((branch) => branch.StartAt)).toEqual(['a.Execute', 'b.Execute', 'd.Execute']);
    expect(parallel.Branches[1]?.States['b.Record']).toMatchObject({ Next: 'c.Execute' });
    expect(parallel.Branches[1]?.States['c.Record']).toMatchObject({ End: true });
    expect(Object.keys(machine.States).filter((name) => name.startsWith('a.'))).toEqual([]);
  });

  it('gives the machine the longest branch budget', () => {
    const step = 3600 + 4 * 35 + 60;
    expect(machine.TimeoutSeconds).toBe(2 * step + step);
  });
});

describe('compiler: scale', () => {
  it('renders a 2,000-step pipeline with parallels without exhausting the stack', () => {
    const steps = Array.from({ length: 1000 }, (_, index) =>
      index % 10 === 0
        ? `  - id: p${index}\n    parallel:\n      - steps: [{ id: a${index}, sql: select 1 }]\n      - steps: [{ id: b${index}, sql: select 2 }]\n`
        : `  - id: s${index}\n    sql: select ${index}\n`,
    ).join('');
    const machine = compilePipeline(pipelineFrom(`${HEAD}steps:\n${steps}`)).machine;
    const text = renderDefinition(machine);
    const states = Object.keys((JSON.parse(text) as { States: object }).States);
    expect(states[0]).toBe('p0');
    expect(states).toContain('s999.Record');
  });
});

describe('compiler: singleton', () => {
  const machine = compilePipeline(
    pipelineFrom(
      `${HEAD}stateTable: locks\nsteps:\n  - id: mv\n    sql: "refresh   materialized view\n      mv_sales"\n    singleton: true\n`,
    ),
  ).machine;
  const key =
    "States.Format('lock#{}|{}|{}', $.steps.mv.Lock.Target, $.steps.mv.Lock.Database, $.steps.mv.Lock.SqlDigest)";
  const itemKey = { pk: { 'S.$': key }, sk: { S: 'lock' } };
  const dynamoRetry = [
    {
      ErrorEquals: [
        'DynamoDB.ProvisionedThroughputExceededException',
        'DynamoDB.RequestLimitExceededException',
        'DynamoDB.ThrottlingException',
        'DynamoDB.InternalServerErrorException',
      ],
      IntervalSeconds: 5,
      MaxAttempts: 3,
      BackoffRate: 2,
    },
  ];

  it("starts with the lock subject from which the machine builds the runtime's key", () => {
    expect(machine.StartAt).toBe('mv.Lock');
    const lock = machine.States['mv.Lock'];
    expect(lock).toMatchObject({
      Type: 'Pass',
      Parameters: {
        Target: 'cluster:analytics',
        Database: 'dev',
        'Owner.$': '$$.Execution.Id',
        'Nonce.$': 'States.UUID()',
      },
      ResultPath: '$.steps.mv.Lock',
      Next: 'mv.Acquire',
    });
    // What the key's States.Format builds from the Lock fields equals the runtime's key.
    const parameters = (lock as { Parameters: Record<string, string> }).Parameters;
    const inMachine = `lock#${parameters.Target}|${parameters.Database}|${parameters.SqlDigest}`;
    expect(inMachine).toBe(
      lockKey({ kind: 'cluster', name: 'analytics', database: 'dev' }, 'refresh materialized view mv_sales'),
    );
  });

  it('acquires atomically and examines the holder on conflict', () => {
    expect(machine.States['mv.Acquire']).toEqual({
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Parameters: {
        TableName: 'locks',
        Item: {
          ...itemKey,
          Owner: { 'S.$': '$.steps.mv.Lock.Owner' },
          Nonce: { 'S.$': '$.steps.mv.Lock.Nonce' },
          Pipeline: { S: 'demo' },
          StepId: { S: 'mv' },
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
      ResultPath: null,
      Retry: dynamoRetry,
      Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: null, Next: 'mv.Holder' }],
      Next: 'mv.Execute',
    });
    expect(machine.States['mv.HolderState']).toMatchObject({
      Choices: [
        { Not: { Variable: '$.steps.mv.Holder.Item', IsPresent: true }, Next: 'mv.Acquire' },
        // A registered statement is judged first, whoever holds the lock (even this very step).
        { Variable: '$.steps.mv.Holder.Item.StatementId.S', IsPresent: true, Next: 'mv.HolderStatement' },
        {
          And: [
            { Variable: '$.steps.mv.Holder.Item.Owner.S', StringEqualsPath: '$.steps.mv.Lock.Owner' },
            { Variable: '$.steps.mv.Holder.Item.StepId.S', StringEquals: 'mv' },
          ],
          Next: 'mv.TakeOver',
        },
      ],
      Default: 'mv.HolderExpiry',
    });
    // Expiry (TTL leaves expired items readable) by the one clock a machine may read: the time the
    // Choice is entered against the holder's ExpiresAtTime, guarded so that an absent one is no error.
    expect(machine.States['mv.HolderExpiry']).toMatchObject({
      Choices: [
        { Not: { Variable: '$.steps.mv.Holder.Item.ExpiresAtTime.S', IsPresent: true }, Next: 'mv.HolderExecution' },
        {
          And: [
            { Variable: '$.steps.mv.Holder.Item.ExpiresAtTime.S', IsTimestamp: true },
            {
              Variable: '$.steps.mv.Holder.Item.ExpiresAtTime.S',
              TimestampLessThanEqualsPath: '$$.State.EnteredTime',
            },
          ],
          Next: 'mv.TakeOver',
        },
      ],
      Default: 'mv.HolderExecution',
    });
    // Every ConcurrentExecution names the holder's statement when the item registers one.
    expect(machine.States['mv.HolderBusy']).toMatchObject({
      Choices: [{ Variable: '$.steps.mv.Holder.Item.StatementId.S', IsPresent: true, Next: 'mv.Busy' }],
      Default: 'mv.BusyStarting',
    });
    expect(machine.States['mv.Busy']).toMatchObject({
      Type: 'Fail',
      Error: 'ConcurrentExecution',
      CausePath: '$.steps.mv.Holder.Item.StatementId.S',
    });
    expect(machine.States['mv.TakeOver']).toMatchObject({
      Resource: 'arn:aws:states:::dynamodb:updateItem',
      Parameters: {
        ConditionExpression: '#nonce = :seen',
        ExpressionAttributeValues: { ':seen': { 'S.$': '$.steps.mv.Holder.Item.Nonce.S' } },
      },
      Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: null, Next: 'mv.Holder' }],
      Next: 'mv.Execute',
    });
  });

  it('releases on success and re-raises the original error after releasing on failure', () => {
    expect(firstChoice(machine.States['mv.Status'])).toMatchObject({ StringEquals: 'FINISHED', Next: 'mv.Release' });
    expect(machine.States['mv.Release']).toMatchObject({
      Resource: 'arn:aws:states:::dynamodb:deleteItem',
      Parameters: { TableName: 'locks', Key: itemKey, ConditionExpression: '#nonce = :mine' },
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'mv.Record' }],
      Next: 'mv.Record',
    });
    expect(machine.States['mv.Failed']).toEqual({
      Type: 'Pass',
      Parameters: { Error: 'Redshift.StatementFailed', 'Cause.$': '$.steps.mv.Statement.Errors[0]' },
      ResultPath: '$.steps.mv.Error',
      Next: 'mv.ReleaseOnError',
    });
    expect(machine.States['mv.Execute']).toMatchObject({
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.steps.mv.Error', Next: 'mv.ReleaseOnError' }],
      Next: 'mv.Register',
    });
    expect(machine.States['mv.Cancel']).toMatchObject({
      Catch: [
        {
          ErrorEquals: ['RedshiftData.ValidationException', 'RedshiftData.ResourceNotFoundException'],
          Next: 'mv.TimedOut',
        },
        { ErrorEquals: ['States.ALL'], Next: 'mv.ReleaseOnError' },
      ],
    });
    expect(machine.States['mv.ReleaseOnError']).toMatchObject({
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'mv.RaiseCause' }],
      Next: 'mv.RaiseCause',
    });
    // A caught error may have no Cause (a Task timeout): CausePath only where one is present.
    expect(machine.States['mv.RaiseCause']).toEqual({
      Type: 'Choice',
      Choices: [
        { Not: { Variable: '$.steps.mv.Error.Cause', IsPresent: true }, Next: 'mv.RaiseUntold' },
        { Variable: '$.steps.mv.Error.Cause', IsString: true, Next: 'mv.Raise' },
      ],
      Default: 'mv.RaiseUntold',
    });
    expect(machine.States['mv.Raise']).toEqual({
      Type: 'Fail',
      ErrorPath: '$.steps.mv.Error.Error',
      CausePath: '$.steps.mv.Error.Cause',
    });
    expect(machine.States['mv.RaiseUntold']).toEqual({ Type: 'Fail', ErrorPath: '$.steps.mv.Error.Error' });
  });
});

describe('compiler: callback mode', () => {
  const machine = compilePipeline(
    pipelineFrom(
      `${HEAD}steps:\n  - id: archive\n    sql: "call archive_day(:run_date)"\n    parameters: { run_date: "$.runDate" }\n    mode: callback\n    timeout: 30m\n    target: { database: archive }\n`,
    ),
  ).machine;
  const lambdaRetry = [
    {
      ErrorEquals: [
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
        'Lambda.TooManyRequestsException',
      ],
      IntervalSeconds: 5,
      MaxAttempts: 3,
      BackoffRate: 2,
    },
  ];

  it('submits through the runtime with a task token; the completion answers with the record', () => {
    expect(machine.StartAt).toBe('archive.Execute');
    expect(machine.States['archive.Execute']).toEqual({
      Type: 'Task',
      Comment: 'The runtime submits the statement; its completion event answers the task token',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: '${RuntimeFunctionArn}',
        Payload: {
          action: 'executeStatement',
          sqlStatement: 'call archive_day(:run_date)',
          parameters: { 'run_date.$': "States.Format('{}', $.runDate)" },
          'taskToken.$': '$$.Task.Token',
          'executionArn.$': '$$.Execution.Id',
          stepId: 'archive',
          statementName: 'sfn-redshift/demo/archive',
          'clientToken.$':
            "States.Hash(States.Format('{}/{}/archive', $$.Execution.Id, $$.Execution.RedriveCount), 'SHA-256')",
          clusterIdentifier: 'analytics',
          database: 'archive',
          dbUser: 'etl',
        },
      },
      ResultPath: '$.steps.archive',
      TimeoutSeconds: 1800,
      Retry: lambdaRetry,
      Catch: [
        { ErrorEquals: ['States.Timeout'], ResultPath: '$.steps.archive.Error', Next: 'archive.Cancel' },
        { ErrorEquals: ['ConcurrentExecution'], ResultPath: '$.steps.archive.Error', Next: 'archive.Busy' },
      ],
      End: true,
    });
  });

  it('on timeout the runtime looks first: the step record when it FINISHED unheard, else the error it raises', () => {
    expect(machine.States['archive.Cancel']).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: '${RuntimeFunctionArn}',
        Payload: {
          action: 'timeoutStatement',
          statementId: 'LATEST',
          'executionArn.$': '$$.Execution.Id',
          stepId: 'archive',
        },
      },
      ResultSelector: {
        'Id.$': '$.Payload.Id',
        'Status.$': '$.Payload.Status',
        'ResultRows.$': '$.Payload.ResultRows',
        'HasResultSet.$': '$.Payload.HasResultSet',
      },
      ResultPath: '$.steps.archive',
      Catch: [
        {
          ErrorEquals: ['Redshift.StatementTimeout', 'Redshift.StatementFailed', 'Redshift.StatementAborted'],
          ResultPath: '$.steps.archive.Error',
          Next: 'archive.Settled',
        },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.steps.archive.Error.Cancel', Next: 'archive.EarlyCause' },
      ],
    });
    // A caught error may have no Cause; a CausePath to an absent field raises States.Runtime.
    expect(machine.States['archive.EarlyCause']).toEqual({
      Type: 'Choice',
      Choices: [
        { Not: { Variable: '$.steps.archive.Error.Cancel.Cause', IsPresent: true }, Next: 'archive.TimedOutUntold' },
        { Variable: '$.steps.archive.Error.Cancel.Cause', IsString: true, Next: 'archive.TimedOutEarly' },
      ],
      Default: 'archive.TimedOutUntold',
    });
    expect(machine.States['archive.TimedOutUntold']).toMatchObject({
      Type: 'Fail',
      Error: 'Redshift.StatementTimeout',
    });
    expect(machine.States['archive.Cancel']?.Type === 'Task' && machine.States['archive.Cancel'].Next).toBe(
      machine.States['archive.Execute']?.Type === 'Task' ? machine.States['archive.Execute'].Next : undefined,
    );
    expect(machine.States['archive.TimedOut']).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.steps.archive.Error.Error',
      CausePath: '$.steps.archive.Error.Lambda.errorMessage',
    });
    expect(machine.States['archive.Concurrent']).toEqual({
      Type: 'Fail',
      Error: 'ConcurrentExecution',
      CausePath: '$.steps.archive.Error.Lambda.errorMessage',
    });
  });

  it('a batch with results is a valid machine (no unreachable NoResult)', () => {
    const batch = compilePipeline(
      pipelineFrom(
        `${HEAD}mode: callback\nsteps:\n  - id: b\n    sqls: [delete from t, select 1]\n    results: true\n`,
      ),
    ).machine;
    expect(batch.States).not.toHaveProperty('b.NoResult');
    expect(aslProblems(JSON.parse(renderDefinition(batch)))).toBe('');
  });

  it('a singleton batch with results asks the runtime for a singleton batch and the page in Step Functions casing', () => {
    const batch = compilePipeline(
      pipelineFrom(
        `${HEAD}mode: callback\nsteps:\n  - id: b\n    sqls: [delete from t, select 1]\n    singleton: true\n    results: true\n`,
      ),
    ).machine;
    expect(batch.States['b.Execute']).toMatchObject({
      Parameters: { Payload: { action: 'executeSingletonStatement', sqls: ['delete from t', 'select 1'] } },
      Next: 'b.FetchResult',
    });
    expect(batch.States['b.FetchResult']).toMatchObject({
      Parameters: {
        Payload: { action: 'getStatementResult', statementId: 'LATEST', stepId: 'b', format: 'stepFunctions' },
      },
      ResultSelector: { 'Result.$': '$.Payload' },
      ResultPath: '$.steps.b.Page',
      Next: 'b.Record',
    });
    expect(batch.States['b.Record']).toMatchObject({ Parameters: { 'Result.$': '$.steps.b.Page.Result' }, End: true });
  });
});

describe('compiler: long polling (poll.longPoll)', () => {
  const machine = compilePipeline(
    pipelineFrom(`${HEAD}steps:\n  - id: load\n    sql: select 1\n    timeout: 100s\n    poll: { longPoll: 30s }\n`),
  ).machine;
  const status = '$.steps.load.Statement.Status';
  const terminalRules = [
    { Variable: status, StringEquals: 'FINISHED', Next: 'load.Record' },
    { Variable: status, StringEquals: 'FAILED', Next: 'load.FailedText' },
    { Variable: status, StringEquals: 'ABORTED', Next: 'load.Aborted' },
  ];

  it('submits with the first window as WaitTimeSeconds and goes straight to a long-polled Describe: no Wait state', () => {
    const execute = machine.States['load.Execute'];
    expect(execute).toMatchObject({
      Parameters: { Sql: 'select 1', WaitTimeSeconds: 10 },
      ResultSelector: { 'Id.$': '$.Id', Wait: 30, Remaining: 60 },
      ResultPath: '$.steps.load.Run',
      Next: 'load.Describe',
    });
    expect(Object.values(machine.States).some((state) => state.Type === 'Wait')).toBe(false);
    expect(machine.States['load.Describe']).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:redshiftdata:describeStatement',
      Parameters: { 'Id.$': '$.steps.load.Run.Id', 'WaitTimeSeconds.$': '$.steps.load.Run.Wait' },
      ResultPath: '$.steps.load.Statement',
      Retry: RETRY,
      Next: 'load.Status',
    });
    expect(TRANSIENT).toContain('RedshiftData.ActiveWaitingRequestsExceededException');
  });

  it('polls three windows per round, each Status comparing the budget with the windows spent in the round; NextPolls counts the round', () => {
    expect(machine.States['load.Describe2']).toMatchObject({
      Parameters: { 'Id.$': '$.steps.load.Run.Id', WaitTimeSeconds: 30 },
      Next: 'load.Status2',
    });
    expect(machine.States['load.Describe3']).toMatchObject({
      Parameters: { 'Id.$': '$.steps.load.Run.Id', WaitTimeSeconds: 30 },
      Next: 'load.Status3',
    });
    const remaining = '$.steps.load.Run.Remaining';
    expect(machine.States['load.Status']).toEqual({
      Type: 'Choice',
      Choices: [...terminalRules, { Variable: remaining, NumericLessThanEquals: 0, Next: 'load.Cancel' }],
      Default: 'load.Describe2',
    });
    expect(machine.States['load.Status2']).toEqual({
      Type: 'Choice',
      Choices: [...terminalRules, { Variable: remaining, NumericLessThanEquals: 30, Next: 'load.Cancel' }],
      Default: 'load.Describe3',
    });
    expect(machine.States['load.Status3']).toEqual({
      Type: 'Choice',
      Choices: [...terminalRules, { Variable: remaining, NumericLessThanEquals: 60, Next: 'load.Cancel' }],
      Default: 'load.NextPolls',
    });
    expect(machine.States['load.NextPolls']).toMatchObject({
      Type: 'Pass',
      Parameters: {
        'Id.$': '$.steps.load.Run.Id',
        Wait: 30,
        'Remaining.$': 'States.MathAdd($.steps.load.Run.Remaining, -90)',
      },
      ResultPath: '$.steps.load.Run',
      Next: 'load.Describe',
    });
    expect(machine.States['load.Cancel']).toMatchObject({
      Resource: 'arn:aws:states:::aws-sdk:redshiftdata:cancelStatement',
      Next: 'load.TimedOut',
    });
    expect(machine.States['load.TimedOut']).toEqual({
      Type: 'Fail',
      Error: 'Redshift.StatementTimeout',
      CausePath: '$.steps.load.Run.Id',
    });
    expect(aslProblems(JSON.parse(renderDefinition(machine)))).toBe('');
  });

  it('a singleton step registers its statement before any wait: the submit does not wait, the first Describe takes the first window', () => {
    const singleton = compilePipeline(
      pipelineFrom(
        `${HEAD}steps:\n  - id: load\n    sql: select 1\n    timeout: 100s\n    singleton: true\n    poll: { longPoll: 30s }\n`,
      ),
    ).machine;
    const execute = singleton.States['load.Execute'];
    expect(execute?.Type === 'Task' ? execute.Parameters : undefined).not.toHaveProperty('WaitTimeSeconds');
    expect(execute).toMatchObject({ ResultSelector: { Wait: 10, Remaining: 90 }, Next: 'load.Register' });
    expect(singleton.States['load.Register']).toMatchObject({ Next: 'load.Describe' });
    expect(aslProblems(JSON.parse(renderDefinition(singleton)))).toBe('');
  });

  it('a pipeline default applies to every poll-mode step, a batch with results included', () => {
    const both = compilePipeline(
      pipelineFrom(
        `${HEAD}defaults: { poll: { longPoll: 20s } }\nsteps:\n  - id: a\n    sql: select 1\n  - id: b\n    sqls: ["select 1", "select 2"]\n    results: true\n`,
      ),
    ).machine;
    expect(both.States['a.Describe2']).toMatchObject({ Parameters: { WaitTimeSeconds: 20 } });
    expect(both.States['b.Execute']).toMatchObject({
      Resource: 'arn:aws:states:::aws-sdk:redshiftdata:batchExecuteStatement',
      Parameters: { WaitTimeSeconds: 20 },
    });
    expect(both.States['b.Status']).toMatchObject({
      Choices: expect.arrayContaining([expect.objectContaining({ StringEquals: 'FINISHED', Next: 'b.HasResult' })]),
    });
    expect(aslProblems(JSON.parse(renderDefinition(both)))).toBe('');
  });
});
