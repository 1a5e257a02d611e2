// The local Data API through the real @aws-sdk/client-redshift-data client: requests, results,
// batches and errors. Running statements, cancel, limits and events: redshift-data-lifecycle.test.ts.
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  ListStatementsCommand,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/shared-postgres.ts';
import { startRedshiftDataApi, type RedshiftDataApi } from '../../local/redshift-data/index.ts';
import { dataClient, rejectsWith, run, waitFor } from './redshift-data-helpers.ts';

let postgres: TestDatabase;
let api: RedshiftDataApi;
let client: RedshiftDataClient;
let admin: pg.Client;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

beforeAll(async () => {
  postgres = await testDatabase();
  api = await startRedshiftDataApi({ databaseUrl: postgres.url, pageSize: 2 });
  client = dataClient(api.endpoint);
  admin = new pg.Client(postgres.url);
  await admin.connect();
});

afterAll(async () => {
  client?.destroy();
  await admin?.end();
  await api?.stop();
  await postgres?.drop();
});

describe('ExecuteStatement and DescribeStatement', () => {
  it('runs a statement and describes it as the service does', async () => {
    const before = Date.now();
    const submitted = await client.send(
      new ExecuteStatementCommand({
        Sql: 'select 1 as one',
        ClusterIdentifier: 'analytics',
        Database: 'dev',
        DbUser: 'etl',
      }),
    );
    expect(submitted.Id).toMatch(uuid);
    expect(submitted.CreatedAt).toBeInstanceOf(Date);
    expect(Math.abs((submitted.CreatedAt?.getTime() ?? 0) - before)).toBeLessThan(5_000);
    expect(submitted).toMatchObject({ ClusterIdentifier: 'analytics', Database: 'dev', DbUser: 'etl' });

    const described = await waitFor(client, String(submitted.Id));
    expect(described).toMatchObject({
      Id: submitted.Id,
      Status: 'FINISHED',
      QueryString: 'select 1 as one',
      HasResultSet: true,
      ResultRows: 1,
      ClusterIdentifier: 'analytics',
      Database: 'dev',
      DbUser: 'etl',
    });
    expect(described.Error).toBeUndefined();
    expect(described.Duration).toBeGreaterThan(0);
    expect(described.RedshiftPid).toBeGreaterThan(0);
    expect(described.RedshiftQueryId).toBeGreaterThan(0);
    expect(described.ResultSize).toBeGreaterThan(0);
    expect(described.UpdatedAt?.getTime()).toBeGreaterThanOrEqual(described.CreatedAt?.getTime() ?? Infinity);
    expect(api.statementPid(String(submitted.Id))).toBe(described.RedshiftPid);
  });

  it('echoes a workgroup target and a secret ARN', async () => {
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rs-etl';
    const submitted = await client.send(
      new ExecuteStatementCommand({ Sql: 'select 1', WorkgroupName: 'wg', SecretArn: secretArn, Database: 'dev' }),
    );
    expect(submitted).toMatchObject({ WorkgroupName: 'wg', SecretArn: secretArn });
    expect(submitted.ClusterIdentifier).toBeUndefined();
    expect(await waitFor(client, String(submitted.Id))).toMatchObject({
      Status: 'FINISHED',
      WorkgroupName: 'wg',
      SecretArn: secretArn,
    });
  });

  it('needs exactly one of ClusterIdentifier and WorkgroupName', async () => {
    await rejectsWith(
      client.send(new ExecuteStatementCommand({ Sql: 'select 1', Database: 'dev' })),
      'ValidationException',
      /ClusterIdentifier or WorkgroupName/,
    );
    await rejectsWith(
      client.send(new ExecuteStatementCommand({ Sql: 'select 1', ClusterIdentifier: 'c', WorkgroupName: 'w' })),
      'ValidationException',
      /not both/,
    );
  });

  it('reports DML affected rows, -1 for DDL, and FAILED with the database error', async () => {
    expect(await run(client, 'create table dml_rows (id int)')).toMatchObject({
      Status: 'FINISHED',
      ResultRows: -1,
      HasResultSet: false,
    });
    expect(await run(client, 'insert into dml_rows select generate_series(1, 3)')).toMatchObject({
      ResultRows: 3,
      HasResultSet: false,
    });
    expect(await run(client, 'update dml_rows set id = id + 1 where id > 1')).toMatchObject({ ResultRows: 2 });
    expect(await run(client, 'delete from dml_rows')).toMatchObject({ ResultRows: 3 });

    const failed = await run(client, 'select * from no_such_table');
    expect(failed.Status).toBe('FAILED');
    expect(failed.Error).toBe('ERROR: relation "no_such_table" does not exist');
    expect(failed.HasResultSet).toBe(false);
  });

  it('rejects malformed ids and answers ResourceNotFoundException for unknown ones', async () => {
    await rejectsWith(
      client.send(new DescribeStatementCommand({ Id: 'not-an-id' })),
      'ValidationException',
      /regex pattern/,
    );
    const unknown = '00000000-0000-4000-8000-000000000000';
    await rejectsWith(
      client.send(new DescribeStatementCommand({ Id: unknown })),
      'ResourceNotFoundException',
      /Query does not exist/,
    );
    await rejectsWith(client.send(new GetStatementResultCommand({ Id: unknown })), 'ResourceNotFoundException');
    await rejectsWith(client.send(new DescribeStatementCommand({ Id: `${unknown}:1` })), 'ResourceNotFoundException');
  });
});

describe('named parameters', () => {
  it('binds values as data, never as SQL text', async () => {
    await admin.query('create table victim (id int)');
    const evil = "'; drop table victim; --";
    const described = await run(client, 'select :value as value, :value = :other as same', {
      Parameters: [
        { name: 'value', value: evil },
        { name: 'other', value: 'x' },
      ],
    });
    expect(described.Status).toBe('FINISHED');
    expect(described.QueryParameters).toEqual([
      { name: 'value', value: evil },
      { name: 'other', value: 'x' },
    ]);
    const result = await client.send(new GetStatementResultCommand({ Id: described.Id }));
    expect(result.Records).toEqual([[{ stringValue: evil }, { booleanValue: false }]]);
    expect((await admin.query(`select to_regclass('victim') is not null as present`)).rows[0]).toEqual({
      present: true,
    });
  });

  it('lets PostgreSQL type the values from their context, as Redshift converts them', async () => {
    const described = await run(client, `select :day::date + 1 as next_day, :n + 1 as n, :flag is null as missing`, {
      Parameters: [
        { name: 'day', value: '2024-02-28' },
        { name: 'n', value: '41' },
        { name: 'flag', value: 'x' },
      ],
    });
    expect(described.Status).toBe('FINISHED');
    const result = await client.send(new GetStatementResultCommand({ Id: described.Id }));
    expect(result.Records).toEqual([[{ stringValue: '2024-02-29' }, { longValue: 42 }, { booleanValue: false }]]);
  });

  it('rejects a missing or an unused parameter before running anything', async () => {
    const send = (sql: string, parameters: { name: string; value: string }[]) =>
      client.send(new ExecuteStatementCommand({ Sql: sql, ClusterIdentifier: 'c', Parameters: parameters }));
    await rejectsWith(send('select :a, :b', [{ name: 'a', value: '1' }]), 'ValidationException', /:b/);
    await rejectsWith(
      send('select :a', [
        { name: 'a', value: '1' },
        { name: 'extra', value: '2' },
      ]),
      'ValidationException',
      /'extra' is not used/,
    );
    await rejectsWith(send('select 1', [{ name: 'bad-name', value: '1' }]), 'ValidationException', /pattern/);
  });
});

describe('GetStatementResult', () => {
  it('returns typed fields and Redshift-style column metadata', async () => {
    await admin.query(`create table typed (
      i2 int2, i4 int4 not null, i8 int8, num numeric(10, 2), f4 float4, f8 float8, b bool,
      vc varchar(20) not null default 'none', ch char(3), t text, d date, ts timestamp, tstz timestamptz, bin bytea)`);
    await admin.query(`insert into typed values
      (1, 2, 9007199254740991, 12345.67, 1.5, 2.25, true, 'héllo', 'ab', 'text', '2024-02-29', '2024-02-29 13:14:15.123456', '2024-02-29 13:14:15+02', '\\xdeadbeef'),
      (null, 3, null, null, 'NaN', '-Infinity', null, 'x', null, null, null, null, null, null)`);
    const described = await run(client, 'select * from typed order by i4');
    const result = await client.send(new GetStatementResultCommand({ Id: described.Id }));
    expect(result.TotalNumRows).toBe(2);
    expect(result.NextToken).toBeUndefined();
    expect(result.Records?.[0]).toEqual([
      { longValue: 1 },
      { longValue: 2 },
      { longValue: 9007199254740991 },
      { stringValue: '12345.67' },
      { doubleValue: 1.5 },
      { doubleValue: 2.25 },
      { booleanValue: true },
      { stringValue: 'héllo' },
      { stringValue: 'ab ' },
      { stringValue: 'text' },
      { stringValue: '2024-02-29' },
      { stringValue: '2024-02-29 13:14:15.123456' },
      { stringValue: '2024-02-29 11:14:15+00' },
      { blobValue: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) },
    ]);
    expect(result.Records?.[1]?.slice(0, 7)).toEqual([
      { isNull: true },
      { longValue: 3 },
      { isNull: true },
      { isNull: true },
      { doubleValue: NaN },
      { doubleValue: -Infinity },
      { isNull: true },
    ]);

    const columns = result.ColumnMetadata ?? [];
    expect(columns.map((c) => c.typeName)).toEqual([
      'int2',
      'int4',
      'int8',
      'numeric',
      'float4',
      'float8',
      'bool',
      'varchar',
      'bpchar',
      'varchar',
      'date',
      'timestamp',
      'timestamptz',
      'bytea',
    ]);
    expect(columns[1]).toEqual({
      isCaseSensitive: false,
      isCurrency: false,
      isSigned: true,
      label: 'i4',
      name: 'i4',
      nullable: 0,
      precision: 10,
      scale: 0,
      schemaName: 'public',
      tableName: 'typed',
      typeName: 'int4',
      length: 0,
    });
    expect(columns[3]).toMatchObject({ name: 'num', precision: 10, scale: 2, isSigned: true, nullable: 1 });
    expect(columns[7]).toMatchObject({
      name: 'vc',
      precision: 20,
      isCaseSensitive: true,
      isSigned: false,
      nullable: 0,
      columnDefault: "'none'::character varying",
    });
    expect(columns[0]?.columnDefault).toBeUndefined();
  });

  it('describes computed columns without a table', async () => {
    const described = await run(client, `select 1 + 1 as two, 'x' || 'y' as xy, count(*) from (values (1)) v(a)`);
    const result = await client.send(new GetStatementResultCommand({ Id: described.Id }));
    expect(result.ColumnMetadata?.map((c) => [c.name, c.typeName, c.tableName, c.schemaName, c.nullable])).toEqual([
      ['two', 'int4', '', '', 1],
      ['xy', 'varchar', '', '', 1],
      ['count', 'int8', '', '', 1],
    ]);
    expect(result.Records).toEqual([[{ longValue: 2 }, { stringValue: 'xy' }, { longValue: 1 }]]);
  });

  it('pages with NextToken at the configured page size', async () => {
    const described = await run(client, 'select n from generate_series(1, 5) n order by n');
    const pages: number[][] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(new GetStatementResultCommand({ Id: described.Id, NextToken: nextToken }));
      expect(page.TotalNumRows).toBe(5);
      pages.push((page.Records ?? []).map((record) => Number(record[0]?.longValue)));
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
    expect(pages).toEqual([[1, 2], [3, 4], [5]]);
    await rejectsWith(
      client.send(new GetStatementResultCommand({ Id: described.Id, NextToken: 'garbage' })),
      'ValidationException',
      /NextToken/,
    );
  });

  it('returns an empty page for an empty result set', async () => {
    const described = await run(client, 'select 1 as a where false');
    expect(described).toMatchObject({ HasResultSet: true, ResultRows: 0 });
    const result = await client.send(new GetStatementResultCommand({ Id: described.Id }));
    expect(result).toMatchObject({ Records: [], TotalNumRows: 0 });
    expect(result.ColumnMetadata?.[0]?.name).toBe('a');
  });

  it('has no result for statements without a result set or that failed', async () => {
    const ddl = await run(client, 'create table no_result (id int)');
    await rejectsWith(
      client.send(new GetStatementResultCommand({ Id: ddl.Id })),
      'ValidationException',
      /does not have result/,
    );
    const failed = await run(client, 'select 1/0');
    expect(failed.Error).toMatch(/division by zero/);
    await rejectsWith(
      client.send(new GetStatementResultCommand({ Id: failed.Id })),
      'ValidationException',
      /does not have result/,
    );
  });
});

describe('ResultRows and ResultSize (Data API Reference, DescribeStatement and SubStatementData)', () => {
  // "ResultRows: Either the number of rows returned from the SQL statement or the number of rows
  // affected"; "ResultSize: The size in bytes of the returned results. A -1 indicates the value is
  // null." The reference names no encoding: the local Data API counts the UTF-8 bytes of the
  // values as text (NULL adds none), which is what `results` limits compare before fetching.
  it('a query: its rows, and the UTF-8 bytes of its values', async () => {
    const described = await run(
      client,
      "select repeat('é', 10) as word, null::text as nothing from generate_series(1, 3)",
    );
    expect(described).toMatchObject({ Status: 'FINISHED', HasResultSet: true, ResultRows: 3, ResultSize: 60 });
  });

  it('a batch: each sub-statement reports its own, the batch their sums', async () => {
    const submitted = await client.send(
      new BatchExecuteStatementCommand({
        Sqls: ['select n from generate_series(1, 4) n', 'create temp table sizes_t (n int)', "select repeat('x', 10)"],
        ClusterIdentifier: 'analytics',
        Database: 'dev',
        DbUser: 'etl',
      }),
    );
    const id = String(submitted.Id);
    const described = await waitFor(client, id);
    expect(described.SubStatements?.map((sub) => [sub.HasResultSet, sub.ResultRows, sub.ResultSize])).toEqual([
      [true, 4, 4],
      [false, -1, 0],
      [true, 1, 10],
    ]);
    expect(described).toMatchObject({ HasResultSet: true, ResultRows: 5, ResultSize: 14 });
    expect(await client.send(new DescribeStatementCommand({ Id: `${id}:3` }))).toMatchObject({
      ResultRows: 1,
      ResultSize: 10,
    });
  });
});

describe('BatchExecuteStatement', () => {
  it('runs the SQL texts in order as sub-statements <id>:n', async () => {
    await admin.query('create table batch_t (id int primary key, day date)');
    const submitted = await client.send(
      new BatchExecuteStatementCommand({
        Sqls: [
          'insert into batch_t values (1, :day), (2, :day)',
          'update batch_t set id = id + 10',
          'select id, day from batch_t order by id',
        ],
        Parameters: [{ name: 'day', value: '2024-05-01' }],
        ClusterIdentifier: 'analytics',
        Database: 'dev',
        DbUser: 'etl',
        StatementName: 'sfn-redshift/batch/ok',
      }),
    );
    expect(submitted).toMatchObject({ ClusterIdentifier: 'analytics', Database: 'dev', DbUser: 'etl' });
    const id = String(submitted.Id);
    const described = await waitFor(client, id);
    expect(described).toMatchObject({ Status: 'FINISHED', HasResultSet: true, ResultRows: 6 });
    expect(described.QueryString).toBeUndefined();
    expect(described.SubStatements?.map((s) => [s.Id, s.Status, s.ResultRows, s.HasResultSet, s.QueryString])).toEqual([
      [`${id}:1`, 'FINISHED', 2, false, 'insert into batch_t values (1, :day), (2, :day)'],
      [`${id}:2`, 'FINISHED', 2, false, 'update batch_t set id = id + 10'],
      [`${id}:3`, 'FINISHED', 2, true, 'select id, day from batch_t order by id'],
    ]);
    const queryIds = described.SubStatements?.map((s) => Number(s.RedshiftQueryId)) ?? [];
    expect(new Set(queryIds).size).toBe(3);
    expect(described.RedshiftQueryId).toBe(queryIds[2]);

    const sub = await client.send(new DescribeStatementCommand({ Id: `${id}:3` }));
    expect(sub).toMatchObject({
      Id: `${id}:3`,
      Status: 'FINISHED',
      ResultRows: 2,
      RedshiftPid: described.RedshiftPid,
      ClusterIdentifier: 'analytics',
    });
    expect(sub.SubStatements).toBeUndefined();
    const result = await client.send(new GetStatementResultCommand({ Id: `${id}:3` }));
    expect(result.Records).toEqual([
      [{ longValue: 11 }, { stringValue: '2024-05-01' }],
      [{ longValue: 12 }, { stringValue: '2024-05-01' }],
    ]);
    await rejectsWith(client.send(new GetStatementResultCommand({ Id: id })), 'ValidationException', /sub-statement/);
    await rejectsWith(client.send(new DescribeStatementCommand({ Id: `${id}:4` })), 'ResourceNotFoundException');
  });

  it('rolls the whole batch back when a sub-statement fails', async () => {
    await admin.query('create table batch_rollback (id int primary key)');
    const submitted = await client.send(
      new BatchExecuteStatementCommand({
        Sqls: [
          'insert into batch_rollback values (1)',
          'insert into batch_rollback values (1)',
          'insert into batch_rollback values (3)',
        ],
        WorkgroupName: 'wg',
      }),
    );
    const described = await waitFor(client, String(submitted.Id));
    const [first, second, third] = described.SubStatements ?? [];
    expect(described.Status).toBe('FAILED');
    expect(second?.Status).toBe('FAILED');
    expect(second?.Error).toMatch(/^ERROR: duplicate key value violates unique constraint/);
    expect(described.Error).toBe(second?.Error);
    expect(first?.Status).toBe('FINISHED');
    expect(third?.Status).toBe('ABORTED');
    expect((await admin.query('select count(*)::int as n from batch_rollback')).rows[0]).toEqual({ n: 0 });
  });

  it('retries an untyped parameter as text without breaking the transaction', async () => {
    const submitted = await client.send(
      new BatchExecuteStatementCommand({
        Sqls: [
          'create table batch_untyped (v text)',
          'insert into batch_untyped values (:v)',
          'select :v is null as missing, count(*) from batch_untyped',
        ],
        Parameters: [{ name: 'v', value: 'x' }],
        ClusterIdentifier: 'c',
      }),
    );
    const described = await waitFor(client, String(submitted.Id));
    expect(described.Status).toBe('FINISHED');
    const result = await client.send(new GetStatementResultCommand({ Id: `${submitted.Id}:3` }));
    expect(result.Records).toEqual([[{ booleanValue: false }, { longValue: 1 }]]);
  });

  it('rejects a parameter that no SQL text uses, and empty Sqls', async () => {
    await rejectsWith(
      client.send(
        new BatchExecuteStatementCommand({
          Sqls: ['select :a', 'select 2'],
          Parameters: [
            { name: 'a', value: '1' },
            { name: 'b', value: '2' },
          ],
          ClusterIdentifier: 'c',
        }),
      ),
      'ValidationException',
      /'b' is not used/,
    );
    await rejectsWith(
      client.send(new BatchExecuteStatementCommand({ Sqls: [], ClusterIdentifier: 'c' })),
      'ValidationException',
    );
  });
});

describe('ClientToken', () => {
  it('returns the same statement for a repeated token', async () => {
    const input = { Sql: 'select 42', ClusterIdentifier: 'c', ClientToken: 'token-1' };
    const first = await client.send(new ExecuteStatementCommand(input));
    const second = await client.send(new ExecuteStatementCommand(input));
    const other = await client.send(new ExecuteStatementCommand({ ...input, ClientToken: 'token-2' }));
    expect(second.Id).toBe(first.Id);
    expect(second.CreatedAt).toEqual(first.CreatedAt);
    expect(other.Id).not.toBe(first.Id);
    const listed = await client.send(new ListStatementsCommand({ MaxResults: 100 }));
    expect(listed.Statements?.filter((s) => s.Id === first.Id)).toHaveLength(1);
  });

  it('is 1 to 64 characters (API model: ClientToken min 1, max 64), checked before anything runs', async () => {
    const input = { Sql: 'select 1', ClusterIdentifier: 'c' };
    await rejectsWith(
      client.send(new ExecuteStatementCommand({ ...input, ClientToken: 'x'.repeat(65) })),
      'ValidationException',
      /'clientToken' failed to satisfy constraint/,
    );
    await rejectsWith(
      client.send(
        new BatchExecuteStatementCommand({ Sqls: ['select 1'], ClusterIdentifier: 'c', ClientToken: 'x'.repeat(65) }),
      ),
      'ValidationException',
      /'clientToken' failed to satisfy constraint/,
    );
    const longest = await client.send(new ExecuteStatementCommand({ ...input, ClientToken: 'y'.repeat(64) }));
    expect(longest.Id).toMatch(uuid);
  });

  it('a repeated BatchExecuteStatement returns the same batch; a token reused for another request is refused', async () => {
    const batch = { Sqls: ['select 1', 'select 2'], ClusterIdentifier: 'c', ClientToken: 'batch-token' };
    const first = await client.send(new BatchExecuteStatementCommand(batch));
    expect((await client.send(new BatchExecuteStatementCommand(batch))).Id).toBe(first.Id);
    await rejectsWith(
      client.send(new BatchExecuteStatementCommand({ ...batch, Sqls: ['select 3'] })),
      'ValidationException',
      /ClientToken was already used/,
    );
    await rejectsWith(
      client.send(
        new ExecuteStatementCommand({
          Sql: 'select 42',
          ClusterIdentifier: 'c',
          StatementName: 'other',
          ClientToken: 'token-1',
        }),
      ),
      'ValidationException',
      /ClientToken was already used/,
    );
  });
});

describe('ListStatements', () => {
  it('filters by name prefix (case-sensitive) and status, newest first, with paging', async () => {
    const a1 = await run(client, 'select 1', { StatementName: 'list/alpha-1' });
    const a2 = await run(client, 'select 2', { StatementName: 'list/alpha-2' });
    const b1 = await run(client, 'select nope', { StatementName: 'list/beta-1' });
    const batch = await client.send(
      new BatchExecuteStatementCommand({
        Sqls: ['select 1', 'select 2'],
        ClusterIdentifier: 'c',
        StatementName: 'list/batch',
      }),
    );
    await waitFor(client, String(batch.Id));

    const alpha = await client.send(new ListStatementsCommand({ StatementName: 'list/alpha' }));
    expect(alpha.Statements?.map((s) => s.Id)).toEqual([a2.Id, a1.Id]);
    expect(alpha.Statements?.[0]).toMatchObject({
      StatementName: 'list/alpha-2',
      QueryString: 'select 2',
      Status: 'FINISHED',
      IsBatchStatement: false,
    });
    expect((await client.send(new ListStatementsCommand({ StatementName: 'LIST/alpha' }))).Statements).toEqual([]);

    const failed = await client.send(new ListStatementsCommand({ StatementName: 'list/', Status: 'FAILED' }));
    expect(failed.Statements?.map((s) => s.Id)).toEqual([b1.Id]);
    const batches = await client.send(new ListStatementsCommand({ StatementName: 'list/batch' }));
    expect(batches.Statements?.[0]).toMatchObject({ IsBatchStatement: true, QueryStrings: ['select 1', 'select 2'] });

    const paged: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new ListStatementsCommand({ StatementName: 'list/', MaxResults: 1, NextToken: nextToken }),
      );
      expect(page.Statements?.length).toBe(1);
      paged.push(String(page.Statements?.[0]?.Id));
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
    expect(paged).toEqual([batch.Id, b1.Id, a2.Id, a1.Id]);

    await rejectsWith(
      client.send(new ListStatementsCommand({ Status: 'DONE' as never })),
      'ValidationException',
      /enum/,
    );
  });
});

describe('Redshift SQL on PostgreSQL', () => {
  it('accepts bare dateparts, SYSDATE, GETDATE and LISTAGG … WITHIN GROUP', async () => {
    const described = await run(
      client,
      `select datediff(day, '2024-01-01', '2024-03-01') as days, dateadd(month, 1, '2024-01-31')::date::text as next,
              sysdate <= getdate() + interval '1 second' as now_ok, nvl(null, 'dflt') as n,
              listagg(x, ',') within group (order by x desc) as l
         from (values ('a'), ('b')) v(x)`,
    );
    expect(described.Status).toBe('FINISHED');
    const result = await client.send(new GetStatementResultCommand({ Id: described.Id }));
    expect(result.Records).toEqual([
      [
        { longValue: 60 },
        { stringValue: '2024-02-29' },
        { booleanValue: true },
        { stringValue: 'dflt' },
        { stringValue: 'b,a' },
      ],
    ]);
  });

  it('installs the compatibility functions in a database it is pointed at', async () => {
    const external = await testDatabase();
    const other = await startRedshiftDataApi({ databaseUrl: external.url });
    const otherClient = dataClient(other.endpoint);
    try {
      const described = await run(otherClient, `select current_database(), len('abcd')`);
      const result = await otherClient.send(new GetStatementResultCommand({ Id: described.Id }));
      expect(result.Records).toEqual([[{ stringValue: new URL(external.url).pathname.slice(1) }, { longValue: 4 }]]);
    } finally {
      otherClient.destroy();
      await other.stop();
      await external.drop();
    }
  });

  it('starts every statement in a fresh session', async () => {
    const set = await run(client, `select set_config('search_path', 'nowhere', false)`);
    expect(set.Status).toBe('FINISHED');
    const temp = await run(client, 'create temp table scratch (id int)');
    expect(temp.Status).toBe('FINISHED');
    const described = await run(
      client,
      `select current_setting('search_path') as path, to_regclass('pg_temp.scratch') is null as gone`,
    );
    const result = await client.send(new GetStatementResultCommand({ Id: described.Id }));
    expect(result.Records).toEqual([[{ stringValue: '"$user", public' }, { booleanValue: true }]]);
  });
});

describe('AWS JSON 1.1 protocol', () => {
  const post = (target: string | undefined, body: string) =>
    fetch(api.endpoint, {
      method: 'POST',
      // Signed as the SDK signs (the local Data API reads only the access key id of the Credential).
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/redshift-data/aws4_request, SignedHeaders=host, Signature=0',
        ...(target === undefined ? {} : { 'x-amz-target': target }),
      },
      body,
    });

  it('answers errors as HTTP 400 with __type and message', async () => {
    const response = await post('RedshiftData.DescribeStatement', JSON.stringify({ Id: 'nope' }));
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await response.json()).toEqual({
      __type: 'ValidationException',
      message: 'id must satisfy regex pattern: ^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\\d+)?$',
    });
  });

  it('rejects unknown operations and malformed bodies', async () => {
    const unknown = await post('RedshiftData.ListTables', '{}');
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { __type: string }).__type).toBe('UnknownOperationException');
    const missing = await post(undefined, '{}');
    expect(((await missing.json()) as { __type: string }).__type).toBe('UnknownOperationException');
    const malformed = await post('RedshiftData.DescribeStatement', '{nope');
    expect(((await malformed.json()) as { __type: string }).__type).toBe('SerializationException');
  });

  it('sends timestamps as epoch seconds', async () => {
    const response = await post(
      'RedshiftData.ExecuteStatement',
      JSON.stringify({ Sql: 'select 1', ClusterIdentifier: 'c' }),
    );
    const body = (await response.json()) as { Id: string; CreatedAt: unknown };
    expect(typeof body.CreatedAt).toBe('number');
    expect(Math.abs(Number(body.CreatedAt) - Date.now() / 1000)).toBeLessThan(60);
    await waitFor(client, body.Id);
  });
});
