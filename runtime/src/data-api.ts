// The Data API calls of the runtime. A service error is passed on as `RedshiftData.<Name>`, the
// name poll-mode machines raise for it, so a surrounding machine catches the same names in both modes.
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataServiceException,
  type DescribeStatementResponse,
} from '@aws-sdk/client-redshift-data';
import { redshiftDataClient } from './clients.ts';
import { RuntimeError } from './errors.ts';
import type { Target } from './config.ts';
import type { Sql, SqlParameter } from './request.ts';

export const DATA_API_ERROR_PREFIX = 'RedshiftData.';

function renamed(error: unknown): unknown {
  if (error instanceof RedshiftDataServiceException) {
    return new RuntimeError(`${DATA_API_ERROR_PREFIX}${error.name}`, error.message, { cause: error });
  }
  return error;
}

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw renamed(error);
  }
}

export function isDataApiError(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.some((name) => error.name === `${DATA_API_ERROR_PREFIX}${name}`);
}

function targetFields(target: Target) {
  return target.kind === 'cluster'
    ? {
        ClusterIdentifier: target.clusterIdentifier,
        Database: target.database,
        DbUser: target.dbUser,
        SecretArn: target.secretArn,
      }
    : { WorkgroupName: target.workgroupName, Database: target.database, SecretArn: target.secretArn };
}

export type Submission = {
  statement: Sql;
  parameters: SqlParameter[];
  target: Target;
  statementName: string;
  withEvent: boolean;
  clientToken?: string;
};

/** ExecuteStatement or BatchExecuteStatement; answers the Data API's response (Id, CreatedAt, …). */
export function submit(submission: Submission) {
  const common = {
    ...targetFields(submission.target),
    StatementName: submission.statementName,
    WithEvent: submission.withEvent,
    // Without one the SDK generates a fresh token per call (an idempotency token member).
    ...(submission.clientToken !== undefined ? { ClientToken: submission.clientToken } : {}),
    ...(submission.parameters.length > 0 ? { Parameters: submission.parameters } : {}),
  };
  const { statement } = submission;
  return call(async () => {
    const answer =
      statement.kind === 'batch'
        ? await redshiftDataClient().send(new BatchExecuteStatementCommand({ ...common, Sqls: statement.sqls }))
        : await redshiftDataClient().send(new ExecuteStatementCommand({ ...common, Sql: statement.sql }));
    if (answer.Id === undefined)
      throw new RuntimeError(
        `${DATA_API_ERROR_PREFIX}InternalServerException`,
        'the Data API answered without a statement Id',
      );
    return { ...answer, Id: answer.Id };
  });
}

export function describeStatement(id: string): Promise<DescribeStatementResponse> {
  return call(() => redshiftDataClient().send(new DescribeStatementCommand({ Id: id })));
}

export function cancelStatement(id: string) {
  return call(() => redshiftDataClient().send(new CancelStatementCommand({ Id: id })));
}

export function getStatementResult(id: string, nextToken: string | undefined) {
  return call(() =>
    redshiftDataClient().send(
      new GetStatementResultCommand({ Id: id, ...(nextToken !== undefined ? { NextToken: nextToken } : {}) }),
    ),
  );
}

/** Redshift's error text of a failed statement (a batch's own, else its failed sub-statement's). */
export function failureText(statement: DescribeStatementResponse): string {
  if (statement.Error !== undefined && statement.Error !== '') return statement.Error;
  const failed = statement.SubStatements?.find((sub) => sub.Error !== undefined && sub.Error !== '');
  return failed?.Error ?? `statement ${statement.Id ?? ''} failed without an error text`;
}
