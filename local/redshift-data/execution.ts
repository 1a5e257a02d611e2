// Runs statements on their own PostgreSQL sessions and drives their state machine.
import type pg from 'pg';
import type { ConnectionPool, Connection } from './connections.ts';
import { describeColumns, rawTextTypes, textSize, type ResultSet } from './results.ts';
import { prepareSql } from './sql.ts';
import { elapsedNs, isTerminal, setStatus, type Statement, type Unit } from './statements.ts';

export type ExecutionContext = {
  pool: ConnectionPool;
  nextQueryId: () => number;
  /** Called once, when the statement has reached its terminal status. */
  onTerminal: (statement: Statement) => void;
};

class Cancelled extends Error {}

// "could not determine data type of parameter $n": Data API values are untyped strings, so
// such a parameter is retried as text (e.g. `:flag is null`).
const indeterminateParameter = '42P18';
// Result rows are meaningful for these command tags only; DDL and the like report -1.
const rowCountCommands = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY', 'FETCH', 'MOVE']);

export async function runStatement(statement: Statement, context: ExecutionContext): Promise<void> {
  const acquisition = context.pool.acquire();
  statement.abandonQueue = acquisition.abandon;
  let connection: Connection;
  try {
    connection = await acquisition.connection;
  } catch (error) {
    finish(statement, context, 'FAILED', errorText(error));
    return;
  } finally {
    delete statement.abandonQueue;
  }
  if (statement.cancelRequested || isTerminal(statement.status)) {
    context.pool.release(connection, true);
    finish(statement, context, 'ABORTED');
    return;
  }
  statement.pid = connection.pid;
  setStatus(statement, 'PICKED');

  let currentUnit: Unit | undefined;
  try {
    if (statement.isBatch) await connection.client.query('begin');
    for (const unit of statement.units) {
      if (statement.cancelRequested) throw new Cancelled();
      currentUnit = unit;
      startUnit(statement, unit, context);
      await runUnit(connection.client, unit, statement);
      setStatus(unit, 'FINISHED');
      unit.durationNs = elapsedNs(unit.startedNs);
    }
    currentUnit = undefined;
    if (statement.isBatch) {
      if (statement.cancelRequested) throw new Cancelled();
      await connection.client.query('commit');
    }
  } catch (error) {
    const aborted = statement.cancelRequested;
    if (currentUnit !== undefined) {
      endUnit(currentUnit, aborted ? 'ABORTED' : 'FAILED', aborted ? undefined : errorText(error));
    }
    for (const unit of statement.units) if (!isTerminal(unit.status)) endUnit(unit, 'ABORTED');
    if (aborted) {
      // Close the session so nothing of the cancelled statement lingers on the server.
      await context.pool.destroy(connection);
      finish(statement, context, 'ABORTED');
    } else {
      const usable = statement.isBatch
        ? await connection.client.query('rollback').then(
            () => true,
            () => false,
          )
        : true;
      context.pool.release(connection, usable && !isConnectionError(error));
      finish(statement, context, 'FAILED', errorText(error));
    }
    return;
  }
  context.pool.release(connection, true);
  finish(statement, context, statement.cancelRequested ? 'ABORTED' : 'FINISHED');
}

function startUnit(statement: Statement, unit: Unit, context: ExecutionContext): void {
  unit.startedNs = process.hrtime.bigint();
  unit.redshiftQueryId = context.nextQueryId();
  setStatus(unit, 'STARTED');
  if (statement.status !== 'STARTED') {
    statement.startedNs = unit.startedNs;
    setStatus(statement, 'STARTED');
  }
}

function endUnit(unit: Unit, status: 'FAILED' | 'ABORTED', error?: string): void {
  setStatus(unit, status);
  unit.durationNs = unit.startedNs === undefined ? 0 : elapsedNs(unit.startedNs);
  if (error !== undefined) unit.error = error;
}

async function runUnit(client: pg.ClientBase, unit: Unit, statement: Statement): Promise<void> {
  let prepared = unit.prepared;
  const textParameters = new Set<number>();
  let result: pg.QueryResult<unknown[]> | undefined;
  while (result === undefined) {
    try {
      result = await query(client, prepared.text, prepared.values, statement.isBatch);
    } catch (error) {
      const position = indeterminatePosition(error);
      if (position === undefined || textParameters.has(position)) throw error;
      textParameters.add(position);
      prepared = prepareSql(unit.sql, statement.parameters, { textParameters, allowUnused: true });
    }
  }
  const hasResultSet = result.fields.length > 0;
  unit.hasResultSet = hasResultSet;
  if (hasResultSet) {
    const rows = result.rows.map((row) => row.map((value) => (value === null ? null : String(value))));
    const resultSet: ResultSet = {
      columns: await describeColumns(client, result.fields),
      typeOids: result.fields.map((field) => field.dataTypeID),
      rows,
      size: textSize(rows),
    };
    unit.result = resultSet;
    unit.resultRows = rows.length;
    unit.resultSize = resultSet.size;
  } else {
    unit.resultRows = result.rowCount !== null && rowCountCommands.has(result.command) ? result.rowCount : -1;
    unit.resultSize = 0;
  }
}

// Inside a batch's transaction a failed attempt would abort the transaction, so the first
// attempt of a parameterised statement runs under a savepoint that a retry can roll back to.
async function query(
  client: pg.ClientBase,
  text: string,
  values: string[],
  savepoint: boolean,
): Promise<pg.QueryResult<unknown[]>> {
  const config = { text, rowMode: 'array' as const, types: rawTextTypes, ...(values.length > 0 ? { values } : {}) };
  if (!savepoint || values.length === 0) return lastResult(await client.query(config));
  await client.query('savepoint sfn_redshift_parameters');
  try {
    const result = lastResult(await client.query(config));
    await client.query('release savepoint sfn_redshift_parameters');
    return result;
  } catch (error) {
    if (indeterminatePosition(error) !== undefined) await client.query('rollback to savepoint sfn_redshift_parameters');
    throw error;
  }
}

function indeterminatePosition(error: unknown): number | undefined {
  if (sqlState(error) !== indeterminateParameter || !(error instanceof Error)) return undefined;
  const match = /parameter \$(\d+)/.exec(error.message);
  return match ? Number(match[1]) : undefined;
}

// Several statements in one SQL text (simple protocol) give one result each: keep the last.
function lastResult(result: pg.QueryResult<unknown[]> | pg.QueryResult<unknown[]>[]): pg.QueryResult<unknown[]> {
  if (!Array.isArray(result)) return result;
  const last = result[result.length - 1];
  if (last === undefined) throw new Error('The SQL text contains no statement');
  return last;
}

function finish(
  statement: Statement,
  context: ExecutionContext,
  status: 'FINISHED' | 'FAILED' | 'ABORTED',
  error?: string,
): void {
  if (isTerminal(statement.status)) return;
  for (const unit of statement.units) if (!isTerminal(unit.status)) endUnit(unit, 'ABORTED');
  if (error !== undefined) statement.error = error;
  statement.durationNs = elapsedNs(statement.startedNs);
  setStatus(statement, status);
  context.onTerminal(statement);
  statement.settle();
}

/** Ends a statement that never reached a session (cancelled while queued, or the endpoint stopping). */
export function abortQueued(statement: Statement, context: ExecutionContext): void {
  finish(statement, context, 'ABORTED');
}

function sqlState(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function isConnectionError(error: unknown): boolean {
  const code = sqlState(error);
  return code === undefined || code.startsWith('08') || code === '57P01';
}

function errorText(error: unknown): string {
  if (error instanceof Error) return sqlState(error) === undefined ? error.message : `ERROR: ${error.message}`;
  return String(error);
}
