// The statement registry and each statement's state machine:
// SUBMITTED → PICKED → STARTED → FINISHED | FAILED | ABORTED.
import { randomUUID } from 'node:crypto';
import { statementNotFound, validation } from './errors.ts';
import { terminalStatuses, type SqlParameter, type StatementStatus, type Target } from './model.ts';
import { mayAccess, type Caller } from './principals.ts';
import type { ResultSet } from './results.ts';
import type { PreparedSql } from './sql.ts';

/** One SQL text: the whole of an ExecuteStatement, or one sub-statement (`<id>:n`) of a batch. */
export type Unit = {
  id: string;
  sql: string;
  prepared: PreparedSql;
  status: StatementStatus;
  createdAt: number;
  updatedAt: number;
  startedNs?: bigint;
  durationNs: number;
  error?: string;
  hasResultSet: boolean;
  resultRows: number;
  resultSize: number;
  redshiftQueryId: number;
  result?: ResultSet;
  /** Settles when the unit reaches a terminal status (wakes long polls on a sub-statement id). */
  ended: Promise<void>;
  settleEnded: () => void;
};

export type Statement = {
  id: string;
  /** Creation order, newest highest; orders ListStatements and backs its NextToken. */
  seq: number;
  isBatch: boolean;
  units: Unit[];
  target: Target;
  statementName?: string;
  parameters?: SqlParameter[];
  withEvent: boolean;
  /** Who submitted it: only that role sees it. */
  owner: Caller;
  status: StatementStatus;
  createdAt: number;
  updatedAt: number;
  startedNs?: bigint;
  durationNs: number;
  error?: string;
  /** PostgreSQL backend pid of the statement's session; 0 until PICKED. */
  pid: number;
  cancelRequested: boolean;
  /** Set while the statement waits for a session; true if it was still waiting. */
  abandonQueue?: () => boolean;
  /** Settles when the statement reaches a terminal status. */
  done: Promise<void>;
  settle: () => void;
};

export type NewStatement = {
  isBatch: boolean;
  sqls: { sql: string; prepared: PreparedSql }[];
  target: Target;
  statementName?: string;
  parameters?: SqlParameter[];
  withEvent: boolean;
  owner: Caller;
};

const idPattern = /^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\d+)?$/;
// The service keeps statements and their results for 24 hours.
const retentionMs = 24 * 3600 * 1000;

export const isTerminal = (status: StatementStatus): boolean => terminalStatuses.has(status);

export class StatementRegistry {
  private readonly byId = new Map<string, Statement>();
  /** ClientToken → the statement it created and the request it came with, kept as long as the statement. */
  private readonly byClientToken = new Map<string, { statement: Statement; request: string }>();
  private seq = 0;

  create(spec: NewStatement, now = Date.now()): Statement {
    if (this.seq % 100 === 0) this.forgetExpired(now);
    const id = randomUUID();
    let settle!: () => void;
    const done = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const units = spec.sqls.map(
      ({ sql, prepared }, index): Unit => ({
        ...settlement(),
        id: spec.isBatch ? `${id}:${index + 1}` : id,
        sql,
        prepared,
        status: 'SUBMITTED',
        createdAt: now,
        updatedAt: now,
        durationNs: -1,
        hasResultSet: false,
        resultRows: -1,
        resultSize: -1,
        redshiftQueryId: 0,
      }),
    );
    const statement: Statement = {
      id,
      seq: (this.seq += 1),
      isBatch: spec.isBatch,
      units,
      target: spec.target,
      withEvent: spec.withEvent,
      owner: spec.owner,
      status: 'SUBMITTED',
      createdAt: now,
      updatedAt: now,
      durationNs: -1,
      pid: 0,
      cancelRequested: false,
      done,
      settle,
    };
    if (spec.statementName !== undefined) statement.statementName = spec.statementName;
    if (spec.parameters !== undefined) statement.parameters = spec.parameters;
    this.byId.set(id, statement);
    return statement;
  }

  /**
   * The statement a ClientToken already created: the API reference gives ClientToken as "a unique,
   * case-sensitive identifier that you provide to ensure the idempotency of the request", so a repeat
   * answers with the first statement instead of running the SQL again. The Data API documents no
   * error for a token reused with a different request; this endpoint refuses it (ValidationException)
   * so that a token collision in what we generate cannot pass unnoticed.
   */
  byToken(key: string, request: string): Statement | undefined {
    const known = this.byClientToken.get(key);
    if (known !== undefined && known.request !== request) {
      throw validation(
        'ClientToken was already used with a different request; use a new ClientToken for a new statement.',
      );
    }
    return known?.statement;
  }

  rememberToken(key: string, statement: Statement, request: string): void {
    this.byClientToken.set(key, { statement, request });
  }

  /** Resolves a statement or sub-statement id, with the service's errors for bad ones. */
  find(id: string): { statement: Statement; unit?: Unit } {
    if (!idPattern.test(id)) {
      throw validation('id must satisfy regex pattern: ^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\\d+)?$');
    }
    const [base = '', suffix] = id.split(':');
    const statement = this.byId.get(base);
    if (statement === undefined) throw statementNotFound(id);
    if (suffix === undefined) return { statement };
    const unit = statement.isBatch ? statement.units[Number(suffix) - 1] : undefined;
    if (unit === undefined) throw statementNotFound(id);
    return { statement, unit };
  }

  /** As `find`, for `caller`: another role's statement is answered as one that does not exist. */
  findFor(id: string, caller: Caller): { statement: Statement; unit?: Unit } {
    const found = this.find(id);
    if (!mayAccess(caller, found.statement.owner)) throw statementNotFound(id);
    return found;
  }

  /** Newest first. */
  list(): Statement[] {
    return [...this.byId.values()].sort((a, b) => b.seq - a.seq);
  }

  forgetExpired(now = Date.now()): void {
    for (const [id, statement] of this.byId) {
      if (isTerminal(statement.status) && statement.updatedAt < now - retentionMs) this.byId.delete(id);
    }
    for (const [token, { statement }] of this.byClientToken) {
      if (!this.byId.has(statement.id)) this.byClientToken.delete(token);
    }
  }

  activeCount(): number {
    let count = 0;
    for (const statement of this.byId.values()) if (!isTerminal(statement.status)) count += 1;
    return count;
  }
}

export function setStatus(
  target: { status: StatementStatus; updatedAt: number; settleEnded?: () => void },
  status: StatementStatus,
): void {
  target.status = status;
  target.updatedAt = Date.now();
  if (isTerminal(status)) target.settleEnded?.();
}

function settlement(): { ended: Promise<void>; settleEnded: () => void } {
  let settleEnded!: () => void;
  const ended = new Promise<void>((resolve) => {
    settleEnded = resolve;
  });
  return { ended, settleEnded };
}

export function elapsedNs(startedNs: bigint | undefined): number {
  return startedNs === undefined ? 0 : Number(process.hrtime.bigint() - startedNs);
}

/** Aggregates for a batch's top level: rows and sizes summed over its sub-statements. */
export function batchTotals(statement: Statement): { resultRows: number; resultSize: number; hasResultSet: boolean } {
  const counted = statement.units.filter((unit) => unit.resultRows >= 0);
  const sized = statement.units.filter((unit) => unit.resultSize >= 0);
  return {
    resultRows: counted.length === 0 ? -1 : counted.reduce((sum, unit) => sum + unit.resultRows, 0),
    resultSize: sized.length === 0 ? -1 : sized.reduce((sum, unit) => sum + unit.resultSize, 0),
    hasResultSet: statement.units.some((unit) => unit.hasResultSet),
  };
}
