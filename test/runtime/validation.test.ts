// Malformed events: each is an InvalidRequest naming the field at fault. Structured logs: one JSON
// line per invocation, never a SQL parameter value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionArn, startRuntimeHarness, type RuntimeHarness } from './harness.ts';

let h: RuntimeHarness;

beforeAll(async () => {
  h = await startRuntimeHarness();
});
afterAll(async () => {
  await h?.stop();
});

const run = 'arn:aws:states:us-east-1:123456789012:execution:m:e';

describe('InvalidRequest names the field', () => {
  const cases: [string, unknown, string][] = [
    ['not an object', 'executeStatement', 'event'],
    ['an array', [{ action: 'describeStatement' }], 'event'],
    ['no action and no sqlStatement', { statementId: 'x' }, 'action'],
    ['no action with sqls only (a batch names its action)', { sqls: ['select 1'] }, 'action'],
    ['no action with sqlStatement null', { sqlStatement: null }, 'action'],
    ['no action with an empty sqlStatement', { sqlStatement: ' ' }, 'sqlStatement'],
    ['unknown action', { action: 'dropEverything' }, 'action'],
    ['action not a string', { action: 7 }, 'action'],
    ['unknown field (typo)', { action: 'describeStatement', statementId: 'x', stepID: 'a' }, 'stepID'],
    ['no sqlStatement', { action: 'executeStatement' }, 'sqlStatement'],
    ['empty sqlStatement', { action: 'executeSingletonStatement', sqlStatement: '   ' }, 'sqlStatement'],
    ['sqlStatement not a string', { action: 'executeStatement', sqlStatement: ['select 1'] }, 'sqlStatement'],
    [
      'both sqlStatement and sqls',
      { action: 'executeStatement', sqlStatement: 'select 1', sqls: ['select 2'] },
      'sqls',
    ],
    ['batch without sqls', { action: 'batchExecuteStatement' }, 'sqls'],
    ['batch with sqlStatement', { action: 'batchExecuteStatement', sqlStatement: 'select 1' }, 'sqlStatement'],
    ['sqls empty', { action: 'batchExecuteStatement', sqls: [] }, 'sqls'],
    ['sqls not an array', { action: 'batchExecuteStatement', sqls: 'select 1' }, 'sqls'],
    ['a sqls entry not a string', { action: 'batchExecuteStatement', sqls: ['select 1', 2] }, 'sqls[1]'],
    ['too many sqls', { action: 'batchExecuteStatement', sqls: Array.from({ length: 41 }, () => 'select 1') }, 'sqls'],
    ['parameters a string', { action: 'executeStatement', sqlStatement: 'select 1', parameters: 'a=1' }, 'parameters'],
    [
      'parameter value an object',
      { action: 'executeStatement', sqlStatement: 'select :a', parameters: { a: { b: 1 } } },
      'parameters.a',
    ],
    [
      'parameter value null',
      { action: 'executeStatement', sqlStatement: 'select :a', parameters: { a: null } },
      'parameters.a',
    ],
    [
      'bad parameter name',
      { action: 'executeStatement', sqlStatement: 'select 1', parameters: { 'a-b': '1' } },
      'parameters.a-b',
    ],
    [
      'parameters array entry without name',
      { action: 'executeStatement', sqlStatement: 'select 1', parameters: [{ value: '1' }] },
      'parameters[0].name',
    ],
    [
      'executionArn not a string',
      { action: 'executeStatement', sqlStatement: 'select 1', executionArn: 42 },
      'executionArn',
    ],
    ['taskToken empty', { action: 'executeStatement', sqlStatement: 'select 1', taskToken: '' }, 'taskToken'],
    ['stepId not a string', { action: 'executeStatement', sqlStatement: 'select 1', stepId: { id: 'a' } }, 'stepId'],
    [
      'statementName too long',
      { action: 'executeStatement', sqlStatement: 'select 1', statementName: `sfn-redshift/${'x'.repeat(500)}` },
      'statementName',
    ],
    [
      'callback statementName outside the prefix',
      { action: 'executeStatement', sqlStatement: 'select 1', taskToken: 't', statementName: 'mine/step' },
      'statementName',
    ],
    [
      'cluster and workgroup',
      {
        action: 'executeStatement',
        sqlStatement: 'select 1',
        clusterIdentifier: 'c',
        workgroupName: 'w',
        database: 'd',
      },
      'workgroupName',
    ],
    [
      'dbUser and secretArn',
      { action: 'executeStatement', sqlStatement: 'select 1', dbUser: 'u', secretArn: 'arn:s' },
      'secretArn',
    ],
    [
      'workgroup without database',
      { action: 'executeStatement', sqlStatement: 'select 1', workgroupName: 'w' },
      'database',
    ],
    [
      'workgroup with dbUser',
      { action: 'executeStatement', sqlStatement: 'select 1', workgroupName: 'w', database: 'd', dbUser: 'u' },
      'dbUser',
    ],
    ['database not a string', { action: 'executeStatement', sqlStatement: 'select 1', database: 5 }, 'database'],
    ['describe without statementId', { action: 'describeStatement' }, 'statementId'],
    ['cancel with statementId null', { action: 'cancelStatement', statementId: null }, 'statementId'],
    ['LATEST without executionArn', { action: 'getStatementResult', statementId: 'LATEST' }, 'executionArn'],
    ['nextToken not a string', { action: 'getStatementResult', statementId: 'x', nextToken: 3 }, 'nextToken'],
  ];
  it.each(cases)('%s', async (_label, event, field) => {
    const error = await h.invokeError(event);
    expect(error.name).toBe('InvalidRequest');
    expect(error.message.startsWith(`${field}: `), error.message).toBe(true);
    expect(h.logs.at(-1)).toMatchObject({ level: 'WARN', error: 'InvalidRequest' });
  });

  it('no target anywhere → InvalidRequest naming clusterIdentifier', async () => {
    const saved = { ...process.env };
    delete process.env.REDSHIFT_CLUSTER_ID;
    try {
      const error = await h.invokeError({ action: 'executeStatement', sqlStatement: 'select 1' });
      expect([error.name, error.message.split(':')[0]]).toEqual(['InvalidRequest', 'clusterIdentifier']);
    } finally {
      process.env = saved;
    }
  });

  it('a statement-scoped field with an execute action is accepted and ignored (seed compatibility)', async () => {
    const answer = (await h.invoke({ action: 'executeStatement', sqlStatement: 'select 1', nextToken: 'unused' })) as {
      Id: string;
    };
    expect(await h.settled(answer.Id)).toBe('FINISHED');
  });
});

describe('action defaults to executeStatement with sqlStatement (as the original function)', () => {
  it('runs the statement, registers it for LATEST and answers its token', async () => {
    const fresh = executionArn('no-action');
    const answer = (await h.invoke({ sqlStatement: 'select 1', executionArn: fresh })) as { Id: string };
    expect(h.logs.at(-1)).toMatchObject({
      action: 'executeStatement',
      outcome: expect.stringMatching(/^submitted/),
      statementId: answer.Id,
      singleton: false,
    });
    expect(await h.settled(answer.Id)).toBe('FINISHED');
    const latest = (await h.invoke({ action: 'describeStatement', statementId: 'LATEST', executionArn: fresh })) as {
      Id: string;
      Status: string;
    };
    expect([latest.Id, latest.Status]).toEqual([answer.Id, 'FINISHED']);
  });
});

describe('PreviousExecutionNotFound', () => {
  it('LATEST for an execution (or step) with nothing registered', async () => {
    const fresh = executionArn('nothing');
    for (const action of ['describeStatement', 'cancelStatement', 'getStatementResult']) {
      const error = await h.invokeError({ action, statementId: 'LATEST', executionArn: fresh });
      expect(error.name).toBe('PreviousExecutionNotFound');
    }
    await h.invoke({ action: 'executeStatement', sqlStatement: 'select 1', executionArn: fresh, stepId: 'a' });
    expect(
      ((await h.invoke({ action: 'describeStatement', statementId: 'LATEST', executionArn: fresh })) as { Id: string })
        .Id,
    ).toBeDefined();
    const scoped = await h.invokeError({
      action: 'describeStatement',
      statementId: 'LATEST',
      executionArn: fresh,
      stepId: 'b',
    });
    expect(scoped.name).toBe('PreviousExecutionNotFound');
    expect(h.logs.at(-1)).toMatchObject({
      level: 'WARN',
      error: 'PreviousExecutionNotFound',
      stepId: 'b',
      executionArn: fresh,
    });
  });
});

describe('logs', () => {
  it('one JSON line per invocation with action, ids, outcome and duration; parameters by name only', async () => {
    const before = h.logs.length;
    const secret = 'p4ssw0rd-value-never-logged';
    const answer = (await h.invoke({
      action: 'executeStatement',
      sqlStatement: `select :secret::text as s, '${'x'.repeat(300)}' as long_literal`,
      parameters: { secret },
      executionArn: run,
      stepId: 'logged',
    })) as { Id: string };
    await h.settled(answer.Id);
    await h.invoke({ action: 'getStatementResult', statementId: 'LATEST', executionArn: run, stepId: 'logged' });
    await h.invoke({ action: 'describeStatement', statementId: 'LATEST', executionArn: run });
    const lines = h.logs.slice(before);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      action: 'executeStatement',
      statementId: answer.Id,
      stepId: 'logged',
      executionArn: run,
      outcome: 'submitted',
      parameterNames: ['secret'],
      durationMs: expect.any(Number),
    });
    expect((lines[0]?.sql ?? '').length).toBeLessThanOrEqual(201);
    // DescribeStatement answers carry QueryParameters: the caller gets them, the log never does.
    expect(JSON.stringify(lines)).not.toContain(secret);
    expect(lines.map((line) => line.action)).toEqual(['executeStatement', 'getStatementResult', 'describeStatement']);
  });

  it('an unexpected failure is logged at ERROR with its name and message', async () => {
    const error = await h.invokeError({ action: 'cancelStatement', statementId: 'no-such-statement' });
    expect(error.name).toMatch(/^RedshiftData\./);
    expect(h.logs.at(-1)).toMatchObject({
      level: 'ERROR',
      action: 'cancelStatement',
      error: error.name,
      statementId: 'no-such-statement',
    });
  });
});
