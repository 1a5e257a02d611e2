// Every action of the runtime with explicit ids and with LATEST (with and without stepId), against
// real SQL on the local Data API; synchronous answers in the Data API's response syntax.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecuteStatementCommand, ListStatementsCommand } from '@aws-sdk/client-redshift-data';
import { executionArn, startRuntimeHarness, type RuntimeHarness } from './harness.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
type Answer = Record<string, unknown>;

let h: RuntimeHarness;

beforeAll(async () => {
  h = await startRuntimeHarness({
    pageSize: 2,
    initSql: `
      create table numbers (n int);
      insert into numbers select generate_series(1, 5);
      create table audit (tag text);`,
  });
});
afterAll(async () => {
  await h?.stop();
});

const answer = async (event: unknown) => (await h.invoke(event)) as Answer;
const idOf = (value: Answer) => {
  expect(typeof value.Id).toBe('string');
  return value.Id as string;
};

describe('executeStatement', () => {
  it('answers ExecuteStatement syntax: Id, ISO CreatedAt, the environment target, no SDK metadata', async () => {
    const result = await answer({ action: 'executeStatement', sqlStatement: 'select 1 as one' });
    expect(result).toEqual({
      Id: expect.any(String),
      CreatedAt: expect.stringMatching(ISO),
      ClusterIdentifier: 'analytics',
      Database: 'dev',
      DbUser: 'etl',
    });
    expect(await h.settled(idOf(result))).toBe('FINISHED');
  });

  it('passes parameters by name (non-string literals as their text)', async () => {
    const id = idOf(
      await answer({
        action: 'executeStatement',
        sqlStatement: 'select :word::text as w, :n::int + 1 as m',
        parameters: { word: 'hello', n: 41 },
      }),
    );
    await h.settled(id);
    const result = await answer({ action: 'getStatementResult', statementId: id });
    expect(result.Records).toEqual([[{ stringValue: 'hello' }, { longValue: 42 }]]);
  });

  it('passes statementName through, else names the statement sfn-redshift/runtime/<stepId or action>', async () => {
    const own = idOf(
      await answer({
        action: 'executeStatement',
        sqlStatement: 'select 1',
        statementName: 'sfn-redshift/nightly/load',
      }),
    );
    const byStep = idOf(await answer({ action: 'executeStatement', sqlStatement: 'select 2', stepId: 'load' }));
    const byAction = idOf(await answer({ action: 'executeStatement', sqlStatement: 'select 3' }));
    await Promise.all([own, byStep, byAction].map((id) => h.settled(id)));
    const { Statements } = await h.stack.clients.runtimeRedshiftData.send(
      new ListStatementsCommand({ RoleLevel: true, MaxResults: 100 }),
    );
    const names = new Map((Statements ?? []).map((statement) => [statement.Id, statement.StatementName]));
    expect(names.get(own)).toBe('sfn-redshift/nightly/load');
    expect(names.get(byStep)).toBe('sfn-redshift/runtime/load');
    expect(names.get(byAction)).toBe('sfn-redshift/runtime/executeStatement');
    // Not observed (no taskToken, not a singleton): run without WithEvent, so no completion event.
    // Events go out in the order statements end: once a later statement's event is here, any
    // event of these three would be too.
    const later = await h.stack.clients.redshiftData.send(
      new ExecuteStatementCommand({
        ClusterIdentifier: 'analytics',
        Database: 'dev',
        DbUser: 'etl',
        Sql: 'select 1',
        WithEvent: true,
      }),
    );
    await h.eventFor(later.Id ?? '');
    expect(h.events.some((event) => [own, byStep, byAction].includes(event.detail.statementId))).toBe(false);
  });

  it('a target override naming a workgroup replaces the environment target as a whole', async () => {
    const result = await answer({
      action: 'executeStatement',
      sqlStatement: 'select 1',
      workgroupName: 'serverless',
      database: 'dev',
    });
    expect(result.WorkgroupName).toBe('serverless');
    expect(result.ClusterIdentifier).toBeUndefined();
    expect(result.DbUser).toBeUndefined();
    const cluster = await answer({
      action: 'executeStatement',
      sqlStatement: 'select 1',
      clusterIdentifier: 'other',
      database: 'dev',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rs',
    });
    expect(cluster).toMatchObject({
      ClusterIdentifier: 'other',
      SecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rs',
    });
    expect(cluster.DbUser).toBeUndefined();
  });

  it('passes clientToken as the Data API ClientToken: a repeated submit (a Lambda retry) answers the first statement', async () => {
    const event = {
      action: 'executeStatement',
      sqlStatement: "insert into audit values ('once')",
      clientToken: 'exec-1/step/0',
    };
    const first = idOf(await answer(event));
    expect(idOf(await answer(event))).toBe(first);
    await h.settled(first);
    const counted = await answer({
      action: 'executeStatement',
      sqlStatement: "select count(*) from audit where tag = 'once'",
    });
    await h.settled(idOf(counted));
    expect((await answer({ action: 'getStatementResult', statementId: idOf(counted) })).Records).toEqual([
      [{ longValue: 1 }],
    ]);
    const tooLong = await h.invokeError({ ...event, clientToken: 'x'.repeat(65) });
    expect(tooLong).toMatchObject({
      name: 'InvalidRequest',
      message: 'clientToken: must be at most 64 characters, got 65',
    });
  });

  it('passes Data API errors on as RedshiftData.<Name>', async () => {
    const error = await h.invokeError({
      action: 'describeStatement',
      statementId: '00000000-0000-0000-0000-000000000000',
    });
    expect(error.name).toBe('RedshiftData.ResourceNotFoundException');
  });
});

describe('batchExecuteStatement', () => {
  it('runs the statements as one batch; describe shows the batch, results come from a sub-statement', async () => {
    const run = executionArn('batch');
    const id = idOf(
      await answer({
        action: 'batchExecuteStatement',
        sqls: ["insert into audit values ('batch')", 'select n from numbers where n <= 3 order by n'],
        executionArn: run,
        stepId: 'facts',
      }),
    );
    await h.settled(id);
    const described = await answer({
      action: 'describeStatement',
      statementId: 'LATEST',
      executionArn: run,
      stepId: 'facts',
    });
    expect(described.Id).toBe(id);
    expect(described.Status).toBe('FINISHED');
    expect((described.SubStatements as Answer[]).map((sub) => sub.Id)).toEqual([`${id}:1`, `${id}:2`]);
    // LATEST results of a batch: the last sub-statement with a result set, its Id in the answer.
    const page = await answer({
      action: 'getStatementResult',
      statementId: 'LATEST',
      executionArn: run,
      stepId: 'facts',
    });
    expect(page.Id).toBe(`${id}:2`);
    expect(page.Records).toEqual([[{ longValue: 1 }], [{ longValue: 2 }]]);
    const explicit = await answer({ action: 'getStatementResult', statementId: `${id}:2`, nextToken: page.NextToken });
    expect(explicit.Records).toEqual([[{ longValue: 3 }]]);
  });

  it('executeStatement with sqls is a batch as well', async () => {
    const id = idOf(await answer({ action: 'executeStatement', sqls: ['select 1', 'select 2'] }));
    await h.settled(id);
    expect(((await answer({ action: 'describeStatement', statementId: id })).SubStatements as unknown[]).length).toBe(
      2,
    );
  });
});

describe('describeStatement, cancelStatement, getStatementResult', () => {
  it('describe by id: DescribeStatement syntax with ISO timestamps', async () => {
    const id = idOf(await answer({ action: 'executeStatement', sqlStatement: 'select n from numbers' }));
    await h.settled(id);
    const described = await answer({ action: 'describeStatement', statementId: id });
    expect(described).toMatchObject({
      Id: id,
      Status: 'FINISHED',
      HasResultSet: true,
      ResultRows: 5,
      QueryString: 'select n from numbers',
    });
    expect(described.CreatedAt).toMatch(ISO);
    expect(described.UpdatedAt).toMatch(ISO);
    expect(described).not.toHaveProperty('$metadata');
  });

  it('getStatementResult pages with nextToken until the last page', async () => {
    const id = idOf(await answer({ action: 'executeStatement', sqlStatement: 'select n from numbers order by n' }));
    await h.settled(id);
    const seen: number[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await answer({
        action: 'getStatementResult',
        statementId: id,
        ...(nextToken !== undefined ? { nextToken } : {}),
      });
      pages++;
      expect(page.TotalNumRows).toBe(5);
      expect((page.ColumnMetadata as Answer[])[0]?.name).toBe('n');
      for (const record of page.Records as { longValue: number }[][]) seen.push(record[0]?.longValue ?? -1);
      nextToken = page.NextToken as string | undefined;
    } while (nextToken !== undefined && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it('getStatementResult with format stepFunctions: exactly the page, with Step Functions member names', async () => {
    const run = executionArn('format');
    const id = idOf(
      await answer({
        action: 'executeStatement',
        sqlStatement: 'select n from numbers order by n',
        executionArn: run,
        stepId: 'nums',
      }),
    );
    await h.settled(id);
    const page = await answer({
      action: 'getStatementResult',
      statementId: 'LATEST',
      executionArn: run,
      stepId: 'nums',
      format: 'stepFunctions',
    });
    expect(Object.keys(page).sort()).toEqual(['ColumnMetadata', 'NextToken', 'Records', 'TotalNumRows']);
    expect((page.Records as unknown[][])[0]).toEqual([{ LongValue: 1 }]);
    expect((page.ColumnMetadata as Answer[])[0]).toMatchObject({ Name: 'n', TypeName: 'int4' });
    const error = await h.invokeError({ action: 'getStatementResult', statementId: id, format: 'csv' });
    expect([error.name, error.message]).toEqual([
      'InvalidRequest',
      'format: must be "dataApi" (default) or "stepFunctions", got "csv"',
    ]);
  });

  it('cancel by id: CancelStatement syntax, the statement ends ABORTED', async () => {
    const id = idOf(await answer({ action: 'executeStatement', sqlStatement: 'select pg_sleep(30)' }));
    await h.started(id);
    expect(await answer({ action: 'cancelStatement', statementId: id })).toEqual({ Status: true });
    expect(await h.settled(id)).toBe('ABORTED');
  });
});

describe('LATEST', () => {
  it('without stepId: the execution’s latest statement of any step; with stepId: that step’s', async () => {
    const run = executionArn('latest');
    const other = executionArn('other');
    const first = idOf(
      await answer({
        action: 'executeStatement',
        sqlStatement: "select 'first' as v",
        executionArn: run,
        stepId: 'first',
      }),
    );
    await h.settled(first);
    const second = idOf(
      await answer({
        action: 'executeStatement',
        sqlStatement: "select 'second' as v",
        executionArn: run,
        stepId: 'second',
      }),
    );
    const foreign = idOf(
      await answer({
        action: 'executeStatement',
        sqlStatement: "select 'foreign' as v",
        executionArn: other,
        stepId: 'first',
      }),
    );
    await Promise.all([h.settled(second), h.settled(foreign)]);

    const latest = await answer({ action: 'describeStatement', statementId: 'LATEST', executionArn: run });
    expect(latest.Id).toBe(second);
    expect(
      (await answer({ action: 'describeStatement', statementId: 'LATEST', executionArn: run, stepId: 'first' })).Id,
    ).toBe(first);
    expect(
      (await answer({ action: 'describeStatement', statementId: 'LATEST', executionArn: run, stepId: 'second' })).Id,
    ).toBe(second);
    expect((await answer({ action: 'describeStatement', statementId: 'LATEST', executionArn: other })).Id).toBe(
      foreign,
    );

    const results = await answer({
      action: 'getStatementResult',
      statementId: 'LATEST',
      executionArn: run,
      stepId: 'first',
    });
    expect(results).toMatchObject({ Id: first, Records: [[{ stringValue: 'first' }]] });
    const any = await answer({ action: 'getStatementResult', statementId: 'LATEST', executionArn: run });
    expect(any).toMatchObject({ Id: second, Records: [[{ stringValue: 'second' }]] });
  });

  it('parallel branches of one execution never see each other’s statements', async () => {
    const run = executionArn('parallel');
    const branches = ['left', 'right', 'middle'];
    const ids = await Promise.all(
      branches.map(async (stepId) =>
        idOf(
          await answer({
            action: 'executeStatement',
            sqlStatement: `select '${stepId}' as branch`,
            executionArn: run,
            stepId,
          }),
        ),
      ),
    );
    await Promise.all(ids.map((id) => h.settled(id)));
    for (const [index, stepId] of branches.entries()) {
      const page = await answer({ action: 'getStatementResult', statementId: 'LATEST', executionArn: run, stepId });
      expect(page).toMatchObject({ Id: ids[index], Records: [[{ stringValue: stepId }]] });
    }
    // Without a step: one of them, whichever the Data API created last.
    expect(ids).toContain((await answer({ action: 'describeStatement', statementId: 'LATEST', executionArn: run })).Id);
  });

  it('getStatementResult LATEST pages with nextToken', async () => {
    const run = executionArn('paging');
    await answer({
      action: 'executeStatement',
      sqlStatement: 'select n from numbers order by n desc',
      executionArn: run,
      stepId: 'count',
    });
    const latest = (
      await answer({ action: 'describeStatement', statementId: 'LATEST', executionArn: run, stepId: 'count' })
    ).Id as string;
    await h.settled(latest);
    const first = await answer({
      action: 'getStatementResult',
      statementId: 'LATEST',
      executionArn: run,
      stepId: 'count',
    });
    expect(first.Records).toEqual([[{ longValue: 5 }], [{ longValue: 4 }]]);
    expect(typeof first.NextToken).toBe('string');
    const second = await answer({
      action: 'getStatementResult',
      statementId: 'LATEST',
      executionArn: run,
      stepId: 'count',
      nextToken: first.NextToken,
    });
    expect(second).toMatchObject({ Id: latest, Records: [[{ longValue: 3 }], [{ longValue: 2 }]] });
  });

  it('cancelStatement LATEST with stepId cancels that step’s statement and names it', async () => {
    const run = executionArn('cancel');
    const slow = idOf(
      await answer({
        action: 'executeStatement',
        sqlStatement: 'select pg_sleep(30)',
        executionArn: run,
        stepId: 'slow',
      }),
    );
    const quick = idOf(
      await answer({
        action: 'executeStatement',
        sqlStatement: 'select pg_sleep(30)',
        executionArn: run,
        stepId: 'quick',
      }),
    );
    await Promise.all([h.started(slow), h.started(quick)]);
    expect(
      await answer({ action: 'cancelStatement', statementId: 'LATEST', executionArn: run, stepId: 'slow' }),
    ).toEqual({ Status: true, Id: slow });
    expect(await h.settled(slow)).toBe('ABORTED');
    expect(await answer({ action: 'cancelStatement', statementId: 'LATEST', executionArn: run })).toEqual({
      Status: true,
      Id: quick,
    });
    expect(await h.settled(quick)).toBe('ABORTED');
  });

  it('a statement submitted outside the runtime is not in the registry', async () => {
    const run = executionArn('outside');
    await h.stack.clients.redshiftData.send(
      new ExecuteStatementCommand({ ClusterIdentifier: 'analytics', Database: 'dev', DbUser: 'etl', Sql: 'select 1' }),
    );
    const error = await h.invokeError({ action: 'describeStatement', statementId: 'LATEST', executionArn: run });
    expect(error.name).toBe('PreviousExecutionNotFound');
    expect(error.message).toContain(run);
    const scoped = await h.invokeError({
      action: 'getStatementResult',
      statementId: 'LATEST',
      executionArn: run,
      stepId: 'nothing',
    });
    expect(scoped.name).toBe('PreviousExecutionNotFound');
    expect(scoped.message).toContain('step nothing');
  });
});
