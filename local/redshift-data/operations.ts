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
import { LongPolls, readWaitTimeSeconds, type RequestContext } from './long-poll.ts';
import { mayAccess, type Caller } from './principals.ts';
import { pageOf } from './results.ts';
import { parameterNames } from '../../generator/load/sql-tokens.ts';
import { prepareSql } from './sql.ts';
import {
  batchTotals,
  isTerminal,
  type NewStatement,
  type Statement,
  type StatementRegistry,
  type Unit,
} from './statements.ts';
import { decodeToken, encodeToken } from './tokens.ts';

export type Output = Record<string, unknown>;

export type OperationsConfig = {
  pageSize: number;
  maxActiveStatements: number;
  /** Long-polled requests (WaitTimeSeconds) allowed to wait on one statement id at once. */
  maxWaitingRequestsPerStatement: number;
  /** Issues pg_cancel_backend(pid) for a running statement's session. */
  cancelBackend: (pid: number) => Promise<void>;
};

const noResult = 'Query does not have result. Please check query status with DescribeStatement.';

/** A request's context: its long-poll controls and who signed it (statements are per role). */
export type Request = RequestContext & { caller: Caller };
export type Handler = (input: Input, request: Request) => Promise<Output>;

export class Operations {
  private readonly longPolls: LongPolls;

  constructor(
    private readonly registry: StatementRegistry,
    private readonly context: ExecutionContext,
    private readonly config: OperationsConfig,
  ) {
    this.longPolls = new LongPolls(config.maxWaitingRequestsPerStatement);
  }

  readonly handlers: Readonly<Record<string, Handler>> = {
    ExecuteStatement: async (input, request) => {
      const sql = requiredString(input, 'Sql', { min: 1, max: 100_000 });
      return this.submit(input, request, 'ExecuteStatement', [sql], false);
    },
    BatchExecuteStatement: async (input, request) => {
      const sqls = requiredStringList(input, 'Sqls', 1, 40);
      for (const sql of sqls) if (sql.length === 0) throw validation('Sqls must not contain empty SQL statements');
      return this.submit(input, request, 'BatchExecuteStatement', sqls, true);
    },
    DescribeStatement: async (input, request) => {
      const { statement, unit } = await this.waitOn(input, request);
      return unit === undefined ? describe(statement) : describeUnit(statement, unit);
    },
    CancelStatement: async (input, request) => {
      const id = requiredString(input, 'Id');
      const { statement, unit } = this.registry.findFor(id, request.caller);
      if (unit !== undefined)
        throw validation(`Cancel a batch by its statement id ${statement.id}, not by a sub-statement id`);
      await this.cancel(statement);
      return { Status: true };
    },
    GetStatementResult: async (input, request) => this.result(input, await this.waitOn(input, request)),
    // CSV results (ResultFormat CSV) are not supported locally, so after its wait V2 refuses as
    // the service does for a statement that was not run with ResultFormat CSV.
    GetStatementResultV2: async (input, request) => {
      optionalString(input, 'NextToken');
      const { statement, unit } = await this.waitOn(input, request);
      this.resultUnit(requiredString(input, 'Id'), statement, unit);
      throw validation(
        'The query result format is JSON: GetStatementResultV2 needs a statement run with ResultFormat CSV. Use GetStatementResult.',
      );
    },
    ListStatements: async (input, request) => this.listStatements(input, request.caller),
  };

  get waitingRequests(): number {
    return this.longPolls.size;
  }

  /** Cancels every statement that is still running (the endpoint is stopping). */
  async cancelAll(): Promise<void> {
    const running = this.registry.list().filter((statement) => !isTerminal(statement.status));
    await Promise.all(running.map((statement) => this.cancel(statement).catch(() => {})));
  }

  /** Resolves the Id, then holds a long-polled request until that statement or sub-statement ends. */
  private async waitOn(input: Input, request: Request): Promise<{ statement: Statement; unit?: Unit }> {
    const id = requiredString(input, 'Id');
    const seconds = readWaitTimeSeconds(input);
    const found = this.registry.findFor(id, request.caller);
    const { statement, unit } = found;
    if (seconds !== undefined) this.longPolls.admit(id);
    const ended =
      unit === undefined
        ? { done: statement.done, status: statement.status }
        : { done: unit.ended, status: unit.status };
    await this.longPolls.wait(id, seconds, ended.done, isTerminal(ended.status), request);
    return found;
  }

  private async submit(
    input: Input,
    request: Request,
    operation: string,
    sqls: string[],
    isBatch: boolean,
  ): Promise<Output> {
    const target = readTarget(input);
    const statementName = optionalString(input, 'StatementName', { max: 500 });
    const withEvent = optionalBoolean(input, 'WithEvent') ?? false;
    const parameters = optionalParameters(input, 'Parameters');
    const clientToken = optionalString(input, 'ClientToken', { min: 1, max: 64 });
    const waitSeconds = readWaitTimeSeconds(input);
    rejectUnsupported(input);
    const prepared = sqls.map((sql) => ({ sql, prepared: prepareSql(sql, parameters, { allowUnused: isBatch }) }));
    if (isBatch) checkBatchParameters(sqls, parameters);

    const spec = {
      isBatch,
      sqls: prepared,
      target,
      withEvent,
      owner: request.caller,
      ...(statementName === undefined ? {} : { statementName }),
      ...(parameters === undefined ? {} : { parameters }),
    };
    const tokenKey = clientToken === undefined ? undefined : `${operation}:${clientToken}`;
    const fingerprint = JSON.stringify({ sqls, target, withEvent, statementName, parameters });
    const previous = tokenKey === undefined ? undefined : this.registry.byToken(tokenKey, fingerprint);
    const statement = previous ?? this.create(tokenKey, fingerprint, spec);
    if (waitSeconds === undefined) return submitted(statement);
    await this.longPolls.wait(statement.id, waitSeconds, statement.done, isTerminal(statement.status), request);
    return waited(statement);
  }

  private create(tokenKey: string | undefined, fingerprint: string, spec: NewStatement): Statement {
    if (this.registry.activeCount() >= this.config.maxActiveStatements)
      throw activeStatementsExceeded(this.config.maxActiveStatements);
    const statement = this.registry.create(spec);
    if (tokenKey !== undefined) this.registry.rememberToken(tokenKey, statement, fingerprint);
    void runStatement(statement, this.context);
    return statement;
  }

  private async cancel(statement: Statement): Promise<void> {
    if (isTerminal(statement.status)) {
      throw validation(
        `Could not cancel a query that is already in ${statement.status} state with ID: ${statement.id}`,
      );
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

  /** The unit whose result a GetStatementResult(V2) call asks for, once it has ended. */
  private resultUnit(id: string, statement: Statement, unit: Unit | undefined): Unit {
    if (unit === undefined && statement.isBatch) {
      throw validation(`${noResult} For a batch, ask for a sub-statement's result with its id ${statement.id}:<n>.`);
    }
    const target = unit ?? statement.units[0];
    // Also the answer of a long poll whose wait expired before the statement ended (Management
    // Guide, long polling: "a ResourceNotFoundException is returned indicating no results are
    // available yet").
    if (target === undefined || (!isTerminal(target.status) && !isTerminal(statement.status))) {
      throw new ApiError('ResourceNotFoundException', noResult, 400, { ResourceId: id });
    }
    return target;
  }

  private async result(input: Input, { statement, unit }: { statement: Statement; unit?: Unit }): Promise<Output> {
    const id = requiredString(input, 'Id');
    const nextToken = optionalString(input, 'NextToken');
    const target = this.resultUnit(id, statement, unit);
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

  private async listStatements(input: Input, caller: Caller): Promise<Output> {
    const maxResults = optionalInteger(input, 'MaxResults', 0, 100) || 100;
    const nextToken = optionalString(input, 'NextToken');
    const namePrefix = optionalString(input, 'StatementName', { max: 500 });
    const status = optionalString(input, 'Status') ?? 'ALL';
    if (status !== 'ALL' && !allStatuses.some((s) => s === status)) {
      throw validation(
        `1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [${[...allStatuses, 'ALL'].join(', ')}]`,
      );
    }
    const database = optionalString(input, 'Database');
    const cluster = optionalString(input, 'ClusterIdentifier');
    const workgroup = optionalString(input, 'WorkgroupName');
    const sessionOnly = optionalBoolean(input, 'RoleLevel') === false;
    const after = nextToken === undefined ? Number.POSITIVE_INFINITY : readSeq(nextToken);
    const matching = this.registry
      .list()
      .filter(
        (s) =>
          s.seq < after &&
          mayAccess(caller, s.owner, sessionOnly) &&
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
  const target: Target | undefined =
    clusterIdentifier !== undefined
      ? { clusterIdentifier }
      : workgroupName !== undefined
        ? { workgroupName }
        : undefined;
  if (target === undefined) throw validation('Either ClusterIdentifier or WorkgroupName must be specified.');
  for (const [key, field] of [
    ['Database', 'database'],
    ['DbUser', 'dbUser'],
    ['SecretArn', 'secretArn'],
  ] as const) {
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
    if (!used.has(parameter.name))
      throw validation(`Parameter '${parameter.name}' is not used in any of the SQL statements`);
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

/**
 * A long-polled submit's answer: "the response returns the statement Status, RedshiftPid, and
 * HasResultSet" (Management Guide, long polling); HasResultSet only once the statement has ended.
 */
function waited(statement: Statement): Output {
  const output: Output = { ...submitted(statement), Status: statement.status, RedshiftPid: statement.pid };
  if (isTerminal(statement.status)) {
    output.HasResultSet = statement.isBatch
      ? batchTotals(statement).hasResultSet
      : (statement.units[0]?.hasResultSet ?? false);
  }
  return output;
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
  if (decoded?.id !== id || typeof decoded.offset !== 'number' || decoded.offset < 0)
    throw validation('The NextToken is invalid.');
  return decoded.offset;
}

function readSeq(token: string): number {
  const decoded = decodeToken(token);
  if (typeof decoded?.seq !== 'number') throw validation('The NextToken is invalid.');
  return decoded.seq;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
