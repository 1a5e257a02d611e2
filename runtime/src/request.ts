// Parses an invocation event (invocation.ts: the fields, shared with the generator) into a typed
// request; every malformed field is an InvalidRequest naming that field.
import { type ResultLimits, STATEMENT_NAME_PREFIX } from './contract.ts';
import { InvalidRequest } from './errors.ts';
import type { TargetOverrides } from './config.ts';
import {
  ACTIONS,
  INVOCATION_FIELDS,
  type Action,
  type InvocationField,
  type UncheckedInvocation,
} from './invocation.ts';

export { ACTIONS, type Action };
export type ExecuteAction = 'executeStatement' | 'executeSingletonStatement' | 'batchExecuteStatement';

export const LATEST = 'LATEST';
/** Data API StatementName prefix of every statement the project runs; the event rule matches it. */

export type SqlParameter = { name: string; value: string };
export type Sql = { kind: 'single'; sql: string } | { kind: 'batch'; sqls: string[] };

export type ExecuteRequest = {
  action: ExecuteAction;
  singleton: boolean;
  statement: Sql;
  parameters: SqlParameter[];
  executionArn?: string;
  taskToken?: string;
  stepId?: string;
  statementName?: string;
  /** Data API ClientToken (1-64 characters): a repeated submit answers the first one's statement. */
  clientToken?: string;
  target: TargetOverrides;
};

/** A statement named by id, or the latest one registered for an execution (and step). */
export type StatementRef = { kind: 'id'; id: string } | { kind: 'latest'; executionArn: string; stepId?: string };

export type StatementRequest = {
  /** `timeoutStatement`: the step's Task timed out; settle its statement (completion.ts settleTimedOutStatement). */
  action: 'describeStatement' | 'cancelStatement' | 'getStatementResult' | 'timeoutStatement';
  statement: StatementRef;
  nextToken?: string;
  /**
   * getStatementResult only: `stepFunctions` answers exactly `{Records, ColumnMetadata, TotalNumRows,
   * NextToken?}` with every member name capitalized as Step Functions' aws-sdk integration returns
   * them, so that a callback-mode step record equals a poll-mode one.
   */
  format?: 'dataApi' | 'stepFunctions';
  /** getStatementResult only: refuse a result over these (Redshift.ResultTooLarge); both or neither. */
  limits?: ResultLimits;
  /** Given for logging even when the statement is named by id. */
  executionArn?: string;
  stepId?: string;
};

/** The scheduled sweep: complete every observed statement that ended with its event lost. */
export type ReconcileRequest = { action: 'reconcileStatements' };

export type Request = ExecuteRequest | StatementRequest | ReconcileRequest;

const EXECUTE_ACTIONS: readonly string[] = [
  'executeStatement',
  'executeSingletonStatement',
  'batchExecuteStatement',
] satisfies ExecuteAction[];

export function isExecuteRequest(request: Request): request is ExecuteRequest {
  return EXECUTE_ACTIONS.includes(request.action);
}

const KNOWN_FIELDS: ReadonlySet<string> = new Set(INVOCATION_FIELDS);

// Service limits, so that a bad value fails here with the field's name rather than deep in an API.
const MAX = {
  sql: 100_000,
  token: 2048,
  arn: 2048,
  id: 256,
  stepId: 128,
  statementName: 500,
  clientToken: 64,
  name: 2048,
  sqls: 40,
  parameters: 128,
} as const;
const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isAction(value: unknown): value is Action {
  return typeof value === 'string' && (ACTIONS as readonly string[]).includes(value);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(event: UncheckedInvocation, field: InvocationField, max: number): string | undefined {
  const value = event[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidRequest(field, `must be a string, got ${describeType(value)}`);
  if (value.trim() === '') throw new InvalidRequest(field, 'must not be empty');
  if (value.length > max) throw new InvalidRequest(field, `must be at most ${max} characters, got ${value.length}`);
  return value;
}

function requiredString(event: UncheckedInvocation, field: InvocationField, max: number, why: string): string {
  const value = optionalString(event, field, max);
  if (value === undefined) throw new InvalidRequest(field, `required ${why}`);
  return value;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function parseSqls(value: unknown): string[] {
  if (!Array.isArray(value))
    throw new InvalidRequest('sqls', `must be an array of SQL strings, got ${describeType(value)}`);
  if (value.length === 0) throw new InvalidRequest('sqls', 'must hold at least one SQL statement');
  if (value.length > MAX.sqls)
    throw new InvalidRequest('sqls', `must hold at most ${MAX.sqls} statements (Data API limit), got ${value.length}`);
  return value.map((sql, index) => {
    const field = `sqls[${index}]`;
    if (typeof sql !== 'string') throw new InvalidRequest(field, `must be a string, got ${describeType(sql)}`);
    if (sql.trim() === '') throw new InvalidRequest(field, 'must not be empty');
    if (sql.length > MAX.sql) throw new InvalidRequest(field, `must be at most ${MAX.sql} characters`);
    return sql;
  });
}

function parameterValue(value: unknown, field: string): string {
  if (typeof value === 'string') return value;
  // The Data API takes strings only; other JSON scalars are passed as their text.
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return String(value);
  throw new InvalidRequest(field, `must be a string, number or boolean, got ${describeType(value)}`);
}

/** `{name: value}` (the contract), or the Data API's own `[{name, value}]`. */
function parseParameters(value: unknown): SqlParameter[] {
  if (value === undefined || value === null) return [];
  let parameters: SqlParameter[];
  if (Array.isArray(value)) {
    parameters = value.map((entry, index) => {
      const field = `parameters[${index}]`;
      if (!isObject(entry))
        throw new InvalidRequest(field, `must be an object {name, value}, got ${describeType(entry)}`);
      if (typeof entry.name !== 'string')
        throw new InvalidRequest(`${field}.name`, `must be a string, got ${describeType(entry.name)}`);
      return { name: entry.name, value: parameterValue(entry.value, `${field}.value`) };
    });
  } else if (isObject(value)) {
    parameters = Object.entries(value).map(([name, entry]) => ({
      name,
      value: parameterValue(entry, `parameters.${name}`),
    }));
  } else {
    throw new InvalidRequest('parameters', `must be an object of name → value, got ${describeType(value)}`);
  }
  if (parameters.length > MAX.parameters)
    throw new InvalidRequest('parameters', `at most ${MAX.parameters} parameters`);
  const seen = new Set<string>();
  for (const { name } of parameters) {
    if (!PARAMETER_NAME.test(name))
      throw new InvalidRequest(
        `parameters.${name}`,
        'a parameter name is a letter or underscore followed by letters, digits or underscores',
      );
    if (seen.has(name)) throw new InvalidRequest(`parameters.${name}`, 'given more than once');
    seen.add(name);
  }
  return parameters;
}

function parseTarget(event: UncheckedInvocation): TargetOverrides {
  const target: TargetOverrides = {};
  for (const field of ['clusterIdentifier', 'workgroupName', 'database', 'dbUser', 'secretArn'] as const) {
    const value = optionalString(event, field, MAX.name);
    if (value !== undefined) target[field] = value;
  }
  return target;
}

function parseExecute(event: UncheckedInvocation, action: ExecuteAction): ExecuteRequest {
  const hasSql = event.sqlStatement !== undefined && event.sqlStatement !== null;
  const hasSqls = event.sqls !== undefined && event.sqls !== null;
  let statement: Sql;
  if (action === 'batchExecuteStatement') {
    if (hasSql)
      throw new InvalidRequest('sqlStatement', 'not allowed with batchExecuteStatement: give the statements in sqls');
    if (!hasSqls) throw new InvalidRequest('sqls', 'required with batchExecuteStatement');
    statement = { kind: 'batch', sqls: parseSqls(event.sqls) };
  } else {
    if (hasSql && hasSqls) throw new InvalidRequest('sqls', 'give either sqlStatement or sqls (a batch), not both');
    statement = hasSqls
      ? { kind: 'batch', sqls: parseSqls(event.sqls) }
      : { kind: 'single', sql: requiredString(event, 'sqlStatement', MAX.sql, `with ${action}`) };
  }
  const request: ExecuteRequest = {
    action,
    singleton: action === 'executeSingletonStatement',
    statement,
    parameters: parseParameters(event.parameters),
    target: parseTarget(event),
  };
  const executionArn = optionalString(event, 'executionArn', MAX.arn);
  const taskToken = optionalString(event, 'taskToken', MAX.token);
  const stepId = optionalString(event, 'stepId', MAX.stepId);
  const statementName = optionalString(event, 'statementName', MAX.statementName);
  if (executionArn !== undefined) request.executionArn = executionArn;
  if (taskToken !== undefined) request.taskToken = taskToken;
  if (stepId !== undefined) request.stepId = stepId;
  const clientToken = optionalString(event, 'clientToken', MAX.clientToken);
  if (clientToken !== undefined) request.clientToken = clientToken;
  if (statementName !== undefined) {
    // Completion events reach the runtime only for names under the prefix (the event rule's filter).
    if (taskToken !== undefined && !statementName.startsWith(STATEMENT_NAME_PREFIX)) {
      throw new InvalidRequest(
        'statementName',
        `must start with "${STATEMENT_NAME_PREFIX}" when a taskToken is given, or the completion event never reaches the runtime`,
      );
    }
    request.statementName = statementName;
  }
  return request;
}

function parseStatementAction(event: UncheckedInvocation, action: StatementRequest['action']): StatementRequest {
  const statementId = requiredString(
    event,
    'statementId',
    MAX.id,
    `with ${action} (a statement id, or "${LATEST}" with executionArn)`,
  );
  const executionArn = optionalString(event, 'executionArn', MAX.arn);
  const stepId = optionalString(event, 'stepId', MAX.stepId);
  let statement: StatementRef;
  if (statementId === LATEST) {
    if (executionArn === undefined) throw new InvalidRequest('executionArn', `required with statementId "${LATEST}"`);
    statement = { kind: 'latest', executionArn, ...(stepId !== undefined ? { stepId } : {}) };
  } else {
    statement = { kind: 'id', id: statementId };
  }
  const request: StatementRequest = { action, statement };
  if (executionArn !== undefined) request.executionArn = executionArn;
  if (stepId !== undefined) request.stepId = stepId;
  if (action === 'getStatementResult') {
    const nextToken = optionalString(event, 'nextToken', 1_000_000);
    if (nextToken !== undefined) request.nextToken = nextToken;
    const format = optionalString(event, 'format', 20);
    if (format !== undefined) {
      if (format !== 'dataApi' && format !== 'stepFunctions')
        throw new InvalidRequest('format', `must be "dataApi" (default) or "stepFunctions", got "${format}"`);
      request.format = format;
    }
    const limits = parseLimits(event);
    if (limits !== undefined) request.limits = limits;
  }
  return request;
}

// Step Functions holds a state in 256 KiB: a larger limit would let a result through that the
// machine cannot hold (States.DataLimitExceeded, which no Catch handles).
const STATE_BYTES = 256 * 1024;

function positiveInteger(event: UncheckedInvocation, field: 'maxRows' | 'maxBytes'): number | undefined {
  const value = event[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > STATE_BYTES)
    throw new InvalidRequest(field, `must be a whole number from 1 to ${STATE_BYTES}, got ${describeType(value)}`);
  return value;
}

function parseLimits(event: UncheckedInvocation): ResultLimits | undefined {
  const maxRows = positiveInteger(event, 'maxRows');
  const maxBytes = positiveInteger(event, 'maxBytes');
  if (maxRows === undefined && maxBytes === undefined) return undefined;
  if (maxRows === undefined || maxBytes === undefined)
    throw new InvalidRequest(maxRows === undefined ? 'maxRows' : 'maxBytes', 'give maxRows and maxBytes together');
  return { maxRows, maxBytes };
}

export function parseRequest(event: unknown): Request {
  if (!isObject(event)) throw new InvalidRequest('event', `must be a JSON object, got ${describeType(event)}`);
  for (const field of Object.keys(event)) {
    if (!KNOWN_FIELDS.has(field))
      throw new InvalidRequest(field, `unknown field; known fields: ${[...KNOWN_FIELDS].join(', ')}`);
  }
  // As in the original function: a statement without an action is executed.
  const hasSqlStatement = event.sqlStatement !== undefined && event.sqlStatement !== null;
  const action = event.action ?? (hasSqlStatement ? 'executeStatement' : undefined);
  if (action === undefined || action === null)
    throw new InvalidRequest('action', `required without sqlStatement: one of ${ACTIONS.join(', ')}`);
  if (!isAction(action))
    throw new InvalidRequest('action', `must be one of ${ACTIONS.join(', ')}, got ${describeType(action)}`);
  switch (action) {
    case 'executeStatement':
    case 'executeSingletonStatement':
    case 'batchExecuteStatement':
      return parseExecute(event, action);
    case 'describeStatement':
    case 'cancelStatement':
    case 'getStatementResult':
    case 'timeoutStatement':
      return parseStatementAction(event, action);
    case 'reconcileStatements':
      return { action };
  }
}
