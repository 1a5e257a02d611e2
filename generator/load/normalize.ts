import { readFileSync, realpathSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { describeUtf8Problem, firstUtf8Problem } from './utf8.ts';
import { STATEMENT_NAME_PREFIX } from '../../runtime/src/contract.ts';
import { SPEC_DEFAULTS } from './defaults.ts';
import { formatByteSize, parseByteSize } from './byte-sizes.ts';
import { formatDuration, parseDuration } from './durations.ts';
import type { SpecError } from './errors.ts';
import type {
  Cleanup,
  Mode,
  ParameterValue,
  Pipeline,
  PollSchedule,
  RawPipeline,
  RawPoll,
  RawResults,
  RawRetry,
  RawStep,
  RawTarget,
  ResultLimits,
  RetryPolicy,
  SqlParameter,
  Statement,
  Step,
  Target,
} from './model.ts';
import type { FieldPath, SpecSource } from './source.ts';
import { parameterNames } from './sql-tokens.ts';

/** What a step inherits from the pipeline (and from enclosing parallel steps). */
type Inherited = {
  readonly mode: Mode;
  readonly timeoutSeconds: number;
  readonly poll: PollSchedule;
  readonly retry: RetryPolicy;
  /** The limits of `results` (used only by steps that fetch results). */
  readonly results: ResultLimits;
  readonly target: RawTarget;
};

type Context = {
  readonly source: SpecSource;
  readonly specDirectory: string;
  readonly pipeline: string;
  readonly cleanup: Cleanup;
  readonly errors: SpecError[];
  readonly sqlRoot: string | undefined;
};

const JSON_PATH = /^\$\$?(\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\]|\['[^'\\]+'\])+$/;

/** Fills every default, merges targets, reads SQL files; reports what only merged values reveal. */
export function normalizePipeline(
  source: SpecSource,
  spec: RawPipeline,
  specPath: string,
  sqlRoot?: string,
): { pipeline: Pipeline; errors: SpecError[] } {
  const cleanup = spec.cleanup ?? SPEC_DEFAULTS.cleanup;
  const context: Context = {
    source,
    specDirectory: dirname(specPath),
    pipeline: spec.pipeline,
    cleanup,
    errors: [],
    sqlRoot,
  };
  checkTarget(context, spec.target, ['target'], true);
  const inherited = override(
    context,
    {
      mode: spec.mode ?? SPEC_DEFAULTS.mode,
      timeoutSeconds: SPEC_DEFAULTS.timeoutSeconds,
      poll: SPEC_DEFAULTS.poll,
      retry: SPEC_DEFAULTS.retry,
      results: SPEC_DEFAULTS.results,
      target: spec.target,
    },
    { ...spec.defaults },
    ['defaults'],
  );
  const pipeline: Pipeline = {
    file: source.file,
    name: spec.pipeline,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    stateTable: spec.stateTable ?? SPEC_DEFAULTS.stateTable,
    runtimeFunctionArn: spec.runtimeFunctionArn ?? SPEC_DEFAULTS.runtimeFunctionArn,
    cleanup,
    steps: normalizeSteps(context, spec.steps, ['steps'], inherited),
  };
  return { pipeline, errors: context.errors };
}

function normalizeSteps(context: Context, steps: readonly RawStep[], path: FieldPath, inherited: Inherited): Step[] {
  return steps.map((step, index) => normalizeStep(context, step, [...path, index], inherited));
}

function normalizeStep(context: Context, step: RawStep, path: FieldPath, parent: Inherited): Step {
  const inherited = override(context, parent, step, path);
  const description = step.description !== undefined ? { description: step.description } : {};
  if (step.parallel) {
    return {
      kind: 'parallel',
      id: step.id,
      ...description,
      branches: step.parallel.map((branch, index) =>
        normalizeSteps(context, branch.steps, [...path, 'parallel', index, 'steps'], inherited),
      ),
    };
  }
  const statement = readStatement(context, step, path);
  return {
    kind: 'statement',
    id: step.id,
    ...description,
    statement,
    parameters: normalizeParameters(context, step, path, statement),
    ...(step.results === undefined || step.results === false ? {} : { results: inherited.results }),
    singleton: step.singleton ?? false,
    timeoutSeconds: inherited.timeoutSeconds,
    poll: inherited.poll,
    retry: inherited.retry,
    mode: inherited.mode,
    target: toTarget(inherited.target),
    statementName: `${STATEMENT_NAME_PREFIX}${context.pipeline}/${step.id}`,
    cleanup: context.cleanup,
  };
}

/** Settings of `overrides` (a step, a parallel step or the pipeline defaults) over `parent`. */
function override(
  context: Context,
  parent: Inherited,
  overrides: {
    mode?: Mode;
    timeout?: string | number;
    poll?: RawPoll;
    retry?: RawRetry;
    results?: RawResults | boolean;
    target?: RawTarget;
  },
  path: FieldPath,
): Inherited {
  const timeoutSeconds =
    duration(context, overrides.timeout, [...path, 'timeout'], DURATION_LIMITS.timeout) ?? parent.timeoutSeconds;
  const longPollSeconds =
    duration(context, overrides.poll?.longPoll, [...path, 'poll', 'longPoll'], DURATION_LIMITS.longPoll) ??
    parent.poll.longPollSeconds;
  const poll: PollSchedule = {
    initialSeconds:
      duration(context, overrides.poll?.initial, [...path, 'poll', 'initial'], DURATION_LIMITS.wait) ??
      parent.poll.initialSeconds,
    maxSeconds:
      duration(context, overrides.poll?.max, [...path, 'poll', 'max'], DURATION_LIMITS.wait) ?? parent.poll.maxSeconds,
    factor: overrides.poll?.factor ?? parent.poll.factor,
    ...(longPollSeconds === undefined ? {} : { longPollSeconds }),
  };
  if (overrides.poll && poll.maxSeconds < poll.initialSeconds) {
    context.errors.push(
      context.source.error(
        'invalid-value',
        [...path, 'poll'],
        `max (${formatDuration(poll.maxSeconds)}) is shorter than initial (${formatDuration(poll.initialSeconds)}); max must be at least initial`,
      ),
    );
  }
  const retry: RetryPolicy = {
    attempts: overrides.retry?.attempts ?? parent.retry.attempts,
    intervalSeconds:
      duration(context, overrides.retry?.interval, [...path, 'retry', 'interval'], DURATION_LIMITS.retryInterval) ??
      parent.retry.intervalSeconds,
    backoffRate: overrides.retry?.factor ?? parent.retry.backoffRate,
  };
  let target = parent.target;
  if (overrides.target && overrides.target !== parent.target) {
    target = mergeTarget(parent.target, overrides.target);
    checkTarget(context, target, [...path, 'target'], false);
  }
  const results = resultLimits(context, parent.results, overrides.results, [...path, 'results']);
  return { mode: overrides.mode ?? parent.mode, timeoutSeconds, poll, retry, results, target };
}

/** `results` given as an object overrides the inherited limits; `true` keeps them. */
function resultLimits(
  context: Context,
  parent: ResultLimits,
  raw: RawResults | boolean | undefined,
  path: FieldPath,
): ResultLimits {
  if (raw === undefined || typeof raw === 'boolean') return parent;
  return {
    maxRows: rowLimit(context, raw.maxRows, [...path, 'maxRows']) ?? parent.maxRows,
    maxBytes: byteLimit(context, raw.maxBytes, [...path, 'maxBytes']) ?? parent.maxBytes,
  };
}

const ROWS = new Intl.NumberFormat('en-US');

/** The schema has refused anything but a positive integer; what is left is the upper bound. */
function rowLimit(context: Context, raw: number | undefined, path: FieldPath): number | undefined {
  if (raw !== undefined && raw > SPEC_DEFAULTS.maxResultRows) {
    context.errors.push(
      context.source.error(
        'invalid-value',
        path,
        `${ROWS.format(raw)} rows can never fit: a row takes at least 18 bytes of JSON ('[{"IsNull":true}],') and a state holds 256 KiB (Step Functions quota), so use 1 to ${ROWS.format(SPEC_DEFAULTS.maxResultRows)}`,
        'value',
      ),
    );
  }
  return raw;
}

function shownSize(raw: string | number, bytes: number | undefined): string {
  return typeof raw === 'string' || bytes === undefined ? `'${String(raw)}'` : `${ROWS.format(bytes)} bytes`;
}

/** Bytes of a byte-size field; reports zero and sizes that could never fit in a state. */
function byteLimit(context: Context, raw: string | number | undefined, path: FieldPath): number | undefined {
  if (raw === undefined) return undefined;
  const bytes = parseByteSize(raw);
  const valid = `use 1 to ${formatByteSize(SPEC_DEFAULTS.maxResultBytes)} (${ROWS.format(SPEC_DEFAULTS.maxResultBytes)} bytes)`;
  if (bytes === 0) {
    context.errors.push(context.source.error('invalid-value', path, `'${String(raw)}' is zero; ${valid}`, 'value'));
    return 1;
  }
  if (bytes === undefined || bytes > SPEC_DEFAULTS.maxResultBytes) {
    context.errors.push(
      context.source.error(
        'invalid-value',
        path,
        `${shownSize(raw, bytes)} can never fit: a state holds at most 256 KiB (Step Functions quota) and the step record around the result needs some of it, so ${valid}`,
        'value',
      ),
    );
  }
  return bytes ?? SPEC_DEFAULTS.maxResultBytes;
}

/**
 * Ranges of the durations we emit into ASL, each within what Step Functions and the Data API accept
 * (ASL spec: Wait `Seconds`, Retrier `IntervalSeconds` and Task `TimeoutSeconds` are positive
 * integers, at most 99999999; Data API `WaitTimeSeconds` 1–30) and, tighter, what makes sense in a
 * statement's life: the Data API ends every statement after 24 hours.
 */
const DURATION_LIMITS = {
  timeout: {
    max: SPEC_DEFAULTS.maxTimeoutSeconds,
    why: 'the Data API ends every statement after 24h (it is the Task TimeoutSeconds in callback mode)',
  },
  longPoll: { max: SPEC_DEFAULTS.maxLongPollSeconds, why: 'a Data API call waits at most 30s (WaitTimeSeconds 1–30)' },
  wait: {
    max: SPEC_DEFAULTS.maxTimeoutSeconds,
    why: 'a statement runs at most 24h, so a longer Wait (ASL Seconds) never ends inside its budget',
  },
  retryInterval: {
    max: SPEC_DEFAULTS.maxTimeoutSeconds,
    why: 'a retry that waits longer than a statement may run (24h) is no retry (ASL IntervalSeconds)',
  },
} as const;

/** Seconds of a duration field, or undefined when absent; reports 0 and values beyond the field's range. */
function duration(
  context: Context,
  raw: string | number | undefined,
  path: FieldPath,
  limit: { max: number; why: string },
): number | undefined {
  if (raw === undefined) return undefined;
  // The schema has already rejected anything that is not a duration; 0s, 0m, 0h0m pass its pattern.
  const value = parseDuration(raw);
  if (value === undefined) {
    context.errors.push(
      context.source.error(
        'invalid-duration',
        path,
        `'${String(raw)}' is zero; a duration must be at least 1s (Step Functions takes positive whole seconds here)`,
        'value',
      ),
    );
    return 1;
  }
  if (value > limit.max) {
    context.errors.push(
      context.source.error(
        'invalid-duration',
        path,
        `${formatDuration(value)} is too long; ${limit.why}, so use 1s to ${formatDuration(limit.max)}`,
        'value',
      ),
    );
  }
  return value;
}

/** Naming a cluster or a workgroup switches the kind of target; credentials replace each other. */
export function mergeTarget(base: RawTarget, overrides: RawTarget): RawTarget {
  const merged: RawTarget = { ...base };
  if (overrides.cluster !== undefined) delete merged.workgroup;
  if (overrides.workgroup !== undefined) {
    delete merged.cluster;
    delete merged.dbUser;
  }
  if (overrides.dbUser !== undefined) {
    delete merged.secretArn;
    delete merged.secretKmsKeyArn;
  }
  if (overrides.secretArn !== undefined && overrides.secretKmsKeyArn === undefined) delete merged.secretKmsKeyArn;
  if (overrides.secretArn !== undefined) delete merged.dbUser;
  return { ...merged, ...overrides };
}

function checkTarget(context: Context, target: RawTarget, path: FieldPath, isPipelineTarget: boolean): void {
  const { source, errors } = context;
  const where = isPipelineTarget ? 'the pipeline target' : 'this step target (merged over the pipeline target)';
  if (target.cluster !== undefined && target.workgroup !== undefined) {
    errors.push(source.error('target-conflict', path, `${where} names both cluster and workgroup; give exactly one`));
  } else if (target.cluster === undefined && target.workgroup === undefined) {
    errors.push(source.error('missing-field', path, `${where} names neither cluster nor workgroup; give exactly one`));
  }
  if (target.workgroup !== undefined && target.dbUser !== undefined) {
    errors.push(
      source.error(
        'target-conflict',
        [...path, 'dbUser'],
        `dbUser works only with a provisioned cluster; a workgroup authenticates with secretArn or the caller's IAM identity`,
      ),
    );
  }
  if (target.dbUser !== undefined && target.secretArn !== undefined) {
    errors.push(source.error('target-conflict', [...path, 'secretArn'], `give either dbUser or secretArn, not both`));
  }
  if (target.secretKmsKeyArn !== undefined && target.secretArn === undefined) {
    errors.push(
      source.error(
        'target-conflict',
        [...path, 'secretKmsKeyArn'],
        `secretKmsKeyArn is the key of the secret's encryption: give secretArn too, or drop it`,
      ),
    );
  }
}

function toTarget(raw: RawTarget): Target {
  const database = raw.database ?? '';
  const secretArn = {
    ...(raw.secretArn !== undefined ? { secretArn: raw.secretArn } : {}),
    ...(raw.secretKmsKeyArn !== undefined ? { secretKmsKeyArn: raw.secretKmsKeyArn } : {}),
  };
  if (raw.workgroup !== undefined) return { kind: 'workgroup', workgroup: raw.workgroup, database, ...secretArn };
  return {
    kind: 'cluster',
    cluster: raw.cluster ?? '',
    database,
    ...(raw.dbUser !== undefined ? { dbUser: raw.dbUser } : {}),
    ...secretArn,
  };
}

function readStatement(context: Context, step: RawStep, path: FieldPath): Statement {
  if (step.sqls) return { kind: 'batch', sqls: step.sqls };
  if (step.sqlFile === undefined) return { kind: 'single', sql: step.sql ?? '' };
  const field = [...path, 'sqlFile'];
  const fail = (code: SpecError['code'], detail: string): Statement => {
    context.errors.push(context.source.error(code, field, detail, 'value'));
    return { kind: 'single', sql: '' };
  };
  const file = resolve(context.specDirectory, step.sqlFile);
  let bytes: Buffer;
  try {
    const real = realpathSync(file);
    if (context.sqlRoot !== undefined && !isInside(context.sqlRoot, real)) {
      return fail(
        'sql-file-outside',
        `'${step.sqlFile}' resolves to ${real}, outside the project ${context.sqlRoot} (the nearest directory above the spec with package.json or .git); its SQL would be embedded in the committed outputs. Keep SQL files inside, or pass --allow-sql-outside`,
      );
    }
    bytes = readFileSync(real);
  } catch {
    return fail(
      'sql-file-not-found',
      `cannot read '${step.sqlFile}' (looked for ${file}); the path is relative to the spec file`,
    );
  }
  const problem = firstUtf8Problem(bytes);
  if (problem)
    return fail(
      'invalid-encoding',
      `${step.sqlFile}:${problem.line}:${problem.column}: ${describeUtf8Problem(problem)}`,
    );
  const sql = bytes.toString('utf8').trim();
  if (sql === '') return fail('invalid-value', `'${step.sqlFile}' is empty; it must hold one SQL statement`);
  if (sql.length > SPEC_DEFAULTS.maxSqlCharacters) {
    return fail(
      'sql-too-long',
      `'${step.sqlFile}' holds ${sql.length.toLocaleString('en-US')} characters; the Data API takes at most ${SPEC_DEFAULTS.maxSqlCharacters.toLocaleString('en-US')} per statement (ExecuteStatement Sql), so split it or load it with COPY`,
    );
  }
  return { kind: 'single', sql };
}

function isInside(root: string, path: string): boolean {
  const fromRoot = relative(root, path);
  return (
    fromRoot === '' ||
    (!fromRoot.startsWith(`..${sep}`) && fromRoot !== '..' && !fromRoot.startsWith(sep) && !/^[A-Za-z]:/.test(fromRoot))
  );
}

function normalizeParameters(context: Context, step: RawStep, path: FieldPath, statement: Statement): SqlParameter[] {
  const declared = step.parameters ?? {};
  const texts = statement.kind === 'batch' ? statement.sqls : [statement.sql];
  const referenced = new Set(texts.flatMap(parameterNames));
  const parameters: SqlParameter[] = [];
  for (const [name, raw] of Object.entries(declared)) {
    const parameterPath = [...path, 'parameters', name];
    if (!referenced.has(name)) {
      context.errors.push(
        context.source.error(
          'invalid-parameter',
          parameterPath,
          `parameter '${name}' is not used by the SQL; refer to it as :${name} or remove it`,
        ),
      );
    }
    parameters.push({ name, value: parameterValue(context, raw, parameterPath) });
  }
  for (const name of referenced) {
    if (!(name in declared)) {
      const field = step.sqlFile !== undefined ? 'sqlFile' : step.sqls !== undefined ? 'sqls' : 'sql';
      context.errors.push(
        context.source.error(
          'invalid-parameter',
          [...path, field],
          `the SQL uses :${name} but the step has no parameter '${name}'; add it under parameters`,
        ),
      );
    }
  }
  return parameters;
}

function parameterValue(context: Context, raw: string | number | boolean, path: FieldPath): ParameterValue {
  if (typeof raw === 'string' && (raw.startsWith('$.') || raw.startsWith('$$.'))) {
    if (!JSON_PATH.test(raw)) {
      context.errors.push(
        context.source.error(
          'invalid-parameter',
          path,
          `'${raw}' is not a supported JSONPath; use dotted names and indexes such as $.runDate or $.batch.days[0]`,
          'value',
        ),
      );
    }
    return { kind: 'path', path: raw };
  }
  return { kind: 'literal', value: String(raw) };
}
