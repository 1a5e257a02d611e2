// The Data API operations: request members in, response members out (timestamps in epoch seconds).
import { ApiError, activeStatementsExceeded, validation } from './errors.ts';
import { abortQueued, runStatement, type ExecutionContext } from './execution.ts';
import {
  optionalBoolean,
  optionalInteger,
  optionalParameters,
  optionalString,
  requiredString,
  requiredStringList,
  type Input,
} from './input.ts';
import { allStatuses, epochSeconds, type SqlParameter, type Target } from './model.ts';
import { pageOf } from './results.ts';
import { parameterNames } from '../../generator/load/sql-tokens.ts';
import { prepareSql } from './sql.ts';
import { batchTotals, isTerminal, type Statement, type StatementRegistry, type Unit } from './statements.ts';
import { decodeToken, encodeToken } from './tokens.ts';

export type Output = Record<string, unknown>;

export type OperationsConfig = {
  pageSize: number;
  maxActiveStatements: number;
  /** Issues pg_cancel_backend(pid) for a running statement's session. */
  cancelBackend: (pid: number) => Promise<void>;
};

const noResult = 'Query does not have result. Please check query status with DescribeStatement.';

export class Operations {
  constructor(
    private readonly registry: StatementRegistry,
    private readonly context: ExecutionContext,
    private readonly config: OperationsConfig,
  ) {}

  readonly handlers: Readonly<Record<string, (input: Input) => Promise<Output>>> = {
    ExecuteStatement: async (input) => {
      const sql = requiredString(input, 'Sql', { min: 1, max: 100_000 });
      return this.submit(input, 'ExecuteStatement', [sql], false);
    },
    BatchExecuteStatement: async (input) => {
      const sqls = requiredStringList(input, 'Sqls', 1, 40);
      for (const sql of sqls) if (sql.length === 0) throw validation('Sqls must not contain empty SQL statements');
      return this.submit(input, 'BatchExecuteStatement', sqls, true);
    },
    DescribeStatement: async (input) => {
      const { statement, unit } = this.registry.find(requiredString(input, 'Id'));
      return unit === undefined ? describe(statement) : describeUnit(statement, unit);
    },
    CancelStatement: async (input) => {
      const id = requiredString(input, 'Id');
      const { statement, unit } = this.registry.find(id);
      if (unit !== undefined) throw validation(`Cancel a batch by its statement id ${statement.id}, not by a sub-statement id`);
      await this.cancel(statement);
      return { Status: true };
    },
    GetStatementResult: async (input) => this.result(input),
    ListStatements: async (input) => this.listStatements(input),
  };

  /** Cancels every statement that is still running (the endpoint is stopping). */
  async cancelAll(): Promise<void> {
    const running = this.registry.list().filter((statement) => !isTerminal(statement.status));
    await Promise.all(running.map((statement) => this.cancel(statement).catch(() => {})));
  }

  private async submit(input: Input, operation: string, sqls: string[], isBatch: boolean): Promise<Output> {
    const target = readTarget(input);
    const statementName = optionalString(input, 'StatementName', { max: 500 });
    const withEvent = optionalBoolean(input, 'WithEvent') ?? false;
    const parameters = optionalParameters(input, 'Parameters');
    const clientToken = optionalString(input, 'ClientToken', { min: 1, max: 64 });
    rejectUnsupported(input);
    const prepared = sqls.map((sql) => ({ sql, prepared: prepareSql(sql, parameters, { allowUnused: isBatch }) }));
    if (isBatch) checkBatchParameters(sqls, parameters);

    const tokenKey = clientToken === undefined ? undefined : `${operation}:${clientToken}`;
    const previous = tokenKey === undefined ? undefined : this.registry.byToken(tokenKey);
    if (previous !== undefined) return submitted(previous);
    if (this.registry.activeCount() >= this.config.maxActiveStatements) throw activeStatementsExceeded(this.config.maxActiveStatements);

    const spec = { isBatch, sqls: prepared, target, withEvent, ...(statementName === undefined ? {} : { statementName }), ...(parameters === undefined ? {} : { parameters }) };
    const statement = this.registry.create(spec);
    if (tokenKey !== undefined) this.registry.rememberToken(tokenKey, statement);
    void runStatement(statement, this.context);
    return submitted(statement);
  }

  private async cancel(statement: Statement): Promise<void> {
    if (isTerminal(statement.status)) {
      throw validation(`Could not cancel a query that is already in ${statement.status} state with ID: ${statement.id}`);
    }
    statement.cancelRequested = true;
    if (statement.abandonQueue?.() === true) {
      abortQueued(statement, this.context);
      return;
    }
    // A cancel that reaches the backend just before its query starts is lost: repeat until the
    // statement has ended, and answer once it has (so a DescribeStatement right after sees ABORTED).
    const deadline = Date.now() + 10_000;
    while (!isTerminal(statement.status) && Date.now() < deadline) {
      if (statement.pid > 0) await this.config.cancelBackend(statement.pid);
      await Promise.race([statement.done, delay(25)]);
    }
  }

  private async result(input: Input): Promise<Output> {
    const id = requiredString(input, 'Id');
    const nextToken = optionalString(input, 'NextToken');
    const { statement, unit } = this.registry.find(id);
    if (unit === undefined && statement.isBatch) {
      throw validation(`${noResult} For a batch, ask for a sub-statement's result with its id ${statement.id}:<n>.`);
    }
    const target = unit ?? statement.units[0];
    if (target === undefined || (!isTerminal(target.status) && !isTerminal(statement.status))) {
      throw new ApiError('ResourceNotFoundException', noResult, 400, { ResourceId: id });
    }
    const resultSet = target.status === 'FINISHED' ? target.result : undefined;
    if (resultSet === undefined) throw validation(noResult);
    const offset = nextToken === undefined ? 0 : readOffset(nextToken, target.id);
    const end = offset + this.config.pageSize;
    const output: Output = {
      Records: pageOf(resultSet, offset, this.config.pageSize),
      ColumnMetadata: resultSet.columns,
      TotalNumRows: resultSet.rows.length,
    };
    if (end < resultSet.rows.length) output.NextToken = encodeToken({ id: target.id, offset: end });
    return output;
  }

  private async listStatements(input: Input): Promise<Output> {
    const maxResults = optionalInteger(input, 'MaxResults', 0, 100) || 100;
    const nextToken = optionalString(input, 'NextToken');
    const namePrefix = optionalString(input, 'StatementName', { max: 500 });
    const status = optionalString(input, 'Status') ?? 'ALL';
    if (status !== 'ALL' && !allStatuses.some((s) => s === status)) {
      throw validation(`1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [${[...allStatuses, 'ALL'].join(', ')}]`);
    }
    const database = optionalString(input, 'Database');
    const cluster = optionalString(input, 'ClusterIdentifier');
    const workgroup = optionalString(input, 'WorkgroupName');
    const after = nextToken === undefined ? Number.POSITIVE_INFINITY : readSeq(nextToken);
    const matching = this.registry.list().filter(
      (s) =>
        s.seq < after &&
        (status === 'ALL' || s.status === status) &&
        (namePrefix === undefined || (s.statementName ?? '').startsWith(namePrefix)) &&
        (database === undefined || s.target.database === database) &&
        (cluster === undefined || s.target.clusterIdentifier === cluster) &&
        (workgroup === undefined || s.target.workgroupName === workgroup),
    );
    const page = matching.slice(0, maxResults);
    const output: Output = { Statements: page.map(listEntry) };
    const last = page[page.length - 1];
    if (matching.length > maxResults && last !== undefined) output.NextToken = encodeToken({ seq: last.seq });
    return output;
  }
}

function readTarget(input: Input): Target {
  const clusterIdentifier = optionalString(input, 'ClusterIdentifier');
  const workgroupName = optionalString(input, 'WorkgroupName');
  if (clusterIdentifier !== undefined && workgroupName !== undefined) {
    throw validation('Specify either ClusterIdentifier or WorkgroupName, not both.');
  }
  const target: Target | undefined = clusterIdentifier !== undefined ? { clusterIdentifier } : workgroupName !== undefined ? { workgroupName } : undefined;
  if (target === undefined) throw validation('Either ClusterIdentifier or WorkgroupName must be specified.');
  for (const [key, field] of [['Database', 'database'], ['DbUser', 'dbUser'], ['SecretArn', 'secretArn']] as const) {
    const value = optionalString(input, key);
    if (value !== undefined) target[field] = value;
  }
  return target;
}

function rejectUnsupported(input: Input): void {
  if (input.SessionId !== undefined || input.SessionKeepAliveSeconds !== undefined) {
    throw validation('Sessions (SessionId, SessionKeepAliveSeconds) are not supported by the local Redshift Data API.');
  }
  const format = optionalString(input, 'ResultFormat');
  if (format !== undefined && format !== 'JSON') {
    throw validation(`ResultFormat ${format} is not supported by the local Redshift Data API; use JSON.`);
  }
}

function checkBatchParameters(sqls: readonly string[], parameters: readonly SqlParameter[] | undefined): void {
  const used = new Set(sqls.flatMap((sql) => parameterNames(sql)));
  for (const parameter of parameters ?? []) {
    if (!used.has(parameter.name)) throw validation(`Parameter '${parameter.name}' is not used in any of the SQL statements`);
  }
}

function targetMembers(target: Target): Output {
  const output: Output = {};
  if (target.clusterIdentifier !== undefined) output.ClusterIdentifier = target.clusterIdentifier;
  if (target.workgroupName !== undefined) output.WorkgroupName = target.workgroupName;
  if (target.database !== undefined) output.Database = target.database;
  if (target.dbUser !== undefined) output.DbUser = target.dbUser;
  if (target.secretArn !== undefined) output.SecretArn = target.secretArn;
  return output;
}

function submitted(statement: Statement): Output {
  return { Id: statement.id, CreatedAt: epochSeconds(statement.createdAt), ...targetMembers(statement.target) };
}

function describe(statement: Statement): Output {
  const single = statement.isBatch ? undefined : statement.units[0];
  const totals = single ?? batchTotals(statement);
  const output: Output = {
    Id: statement.id,
    Status: statement.status,
    CreatedAt: epochSeconds(statement.createdAt),
    UpdatedAt: epochSeconds(statement.updatedAt),
    Duration: isTerminal(statement.status) ? statement.durationNs : -1,
    HasResultSet: totals.hasResultSet,
    ResultRows: totals.resultRows,
    ResultSize: totals.resultSize,
    RedshiftPid: statement.pid,
    RedshiftQueryId: lastQueryId(statement),
    ...targetMembers(statement.target),
  };
  if (single !== undefined) output.QueryString = single.sql;
  if (statement.error !== undefined && statement.status === 'FAILED') output.Error = statement.error;
  if (statement.parameters !== undefined) output.QueryParameters = statement.parameters;
  if (statement.isBatch) output.SubStatements = statement.units.map(subStatement);
  return output;
}

function describeUnit(statement: Statement, unit: Unit): Output {
  const output: Output = {
    ...subStatement(unit),
    RedshiftPid: statement.pid,
    ...targetMembers(statement.target),
  };
  if (statement.parameters !== undefined) output.QueryParameters = statement.parameters;
  return output;
}

function subStatement(unit: Unit): Output {
  const output: Output = {
    Id: unit.id,
    Status: unit.status,
    CreatedAt: epochSeconds(unit.createdAt),
    UpdatedAt: epochSeconds(unit.updatedAt),
    Duration: isTerminal(unit.status) ? unit.durationNs : -1,
    HasResultSet: unit.hasResultSet,
    QueryString: unit.sql,
    RedshiftQueryId: unit.redshiftQueryId,
    ResultRows: unit.resultRows,
    ResultSize: unit.resultSize,
  };
  if (unit.error !== undefined && unit.status === 'FAILED') output.Error = unit.error;
  return output;
}

function listEntry(statement: Statement): Output {
  const output: Output = {
    Id: statement.id,
    Status: statement.status,
    CreatedAt: epochSeconds(statement.createdAt),
    UpdatedAt: epochSeconds(statement.updatedAt),
    IsBatchStatement: statement.isBatch,
  };
  if (statement.isBatch) output.QueryStrings = statement.units.map((unit) => unit.sql);
  else output.QueryString = statement.units[0]?.sql;
  if (statement.statementName !== undefined) output.StatementName = statement.statementName;
  if (statement.target.secretArn !== undefined) output.SecretArn = statement.target.secretArn;
  if (statement.parameters !== undefined) output.QueryParameters = statement.parameters;
  return output;
}

function lastQueryId(statement: Statement): number {
  const started = statement.units.filter((unit) => unit.redshiftQueryId > 0);
  return started[started.length - 1]?.redshiftQueryId ?? 0;
}

function readOffset(token: string, id: string): number {
  const decoded = decodeToken(token);
  if (decoded?.id !== id || typeof decoded.offset !== 'number' || decoded.offset < 0) throw validation('The NextToken is invalid.');
  return decoded.offset;
}

function readSeq(token: string): number {
  const decoded = decodeToken(token);
  if (typeof decoded?.seq !== 'number') throw validation('The NextToken is invalid.');
  return decoded.seq;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
