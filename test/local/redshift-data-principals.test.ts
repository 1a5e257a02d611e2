// Statements are seen only by the IAM role that submitted them, as in AWS (Redshift Data API
// Reference, ListStatements RoleLevel: "all statements run by the caller's IAM role"; the Service
// Authorization Reference's redshift-data:statement-owner-iam-userid on Describe/Cancel/GetStatementResult).
import {
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  ListStatementsCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/shared-postgres.ts';
import { startRedshiftDataApi, type RedshiftDataApi } from '../../local/redshift-data/index.ts';
import { rejectsWith, waitFor } from './redshift-data-helpers.ts';

const MACHINE_ROLE = 'arn:aws:iam::123456789012:role/pipeline';
const RUNTIME_ROLE = 'arn:aws:iam::123456789012:role/runtime';

let postgres: TestDatabase;
let api: RedshiftDataApi;
const clients: RedshiftDataClient[] = [];

function clientAs(accessKeyId: string): RedshiftDataClient {
  const client = new RedshiftDataClient({
    endpoint: api.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  postgres = await testDatabase();
  // Two sessions of the pipeline role, one of the runtime role.
  api = await startRedshiftDataApi({
    databaseUrl: postgres.url,
    principals: { AKIAMACHINE1: MACHINE_ROLE, AKIAMACHINE2: MACHINE_ROLE, AKIARUNTIME: RUNTIME_ROLE },
  });
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await api?.stop();
  await postgres?.drop();
});

const submit = async (client: RedshiftDataClient, sql: string, name: string): Promise<string> =>
  String(
    (
      await client.send(
        new ExecuteStatementCommand({
          Sql: sql,
          ClusterIdentifier: 'c',
          Database: 'dev',
          DbUser: 'etl',
          StatementName: name,
        }),
      )
    ).Id,
  );

describe('principals', () => {
  it("another role's statement does not exist for Describe, Cancel and GetStatementResult, and is not listed", async () => {
    const machine = clientAs('AKIAMACHINE1');
    const runtime = clientAs('AKIARUNTIME');
    const id = await submit(machine, 'select 1 as n', 'sfn-redshift/p/visible');
    await waitFor(machine, id);
    await rejectsWith(runtime.send(new DescribeStatementCommand({ Id: id })), 'ResourceNotFoundException');
    await rejectsWith(runtime.send(new CancelStatementCommand({ Id: id })), 'ResourceNotFoundException');
    await rejectsWith(runtime.send(new GetStatementResultCommand({ Id: id })), 'ResourceNotFoundException');
    const listed = await runtime.send(
      new ListStatementsCommand({ StatementName: 'sfn-redshift/p/visible', Status: 'ALL' }),
    );
    expect(listed.Statements ?? []).toEqual([]);
    const own = await machine.send(
      new ListStatementsCommand({ StatementName: 'sfn-redshift/p/visible', Status: 'ALL' }),
    );
    expect(own.Statements?.map((s) => s.Id)).toEqual([id]);
  });

  it('another session of the same role sees and cancels it; RoleLevel false lists only the own session', async () => {
    const first = clientAs('AKIAMACHINE1');
    const second = clientAs('AKIAMACHINE2');
    const id = await submit(first, 'select pg_sleep(30)', 'sfn-redshift/p/sessions');
    await waitFor(second, id, (d) => d.Status === 'STARTED');
    const roleLevel = await second.send(
      new ListStatementsCommand({ StatementName: 'sfn-redshift/p/sessions', Status: 'STARTED' }),
    );
    expect(roleLevel.Statements?.map((s) => s.Id)).toEqual([id]);
    const sessionLevel = await second.send(
      new ListStatementsCommand({ StatementName: 'sfn-redshift/p/sessions', Status: 'STARTED', RoleLevel: false }),
    );
    expect(sessionLevel.Statements ?? []).toEqual([]);
    await second.send(new CancelStatementCommand({ Id: id }));
    expect((await waitFor(first, id)).Status).toBe('ABORTED');
  });

  it('refuses an access key it does not know, and an unsigned request', async () => {
    await rejectsWith(clientAs('AKIASTRANGER').send(new ListStatementsCommand({})), 'UnrecognizedClientException');
    const response = await fetch(api.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'RedshiftData.ListStatements', 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { __type: string }).__type).toBe('MissingAuthenticationTokenException');
  });
});
