// Step Functions holds a state's input and output, and each service answer a Task receives, in
// 256 KiB of UTF-8 JSON; over it the execution fails with States.DataLimitExceeded, which no Catch
// sees ("Step Functions service quotas"; "Error handling in Step Functions"). This view bounds, per
// statement step, what the pipeline itself keeps in the state while the step runs (the records of
// the steps before it and the step's own working data) and the largest answer one of its Tasks
// receives (DescribeStatement carries the SQL text). The execution input comes on top of the state
// and is the user's to keep small. Sizes are worst cases of JSON text, not measurements.
import { reaperPageSize } from '../compile/reaper.ts';
import type { PipelinePlan, StatementStepPlan, StepPlan } from '../compile/plan.ts';
import type { Pipeline, StatementStep } from '../load/model.ts';
import { statementSteps } from '../load/steps.ts';

export const STATE_LIMIT_BYTES = 256 * 1024;

/** The largest Data API number (a long) and statement id (a UUID, with `:<n>` for a sub-statement). */
const LONG = 9_223_372_036_854_775_807n;
const STATEMENT_ID = 'x'.repeat(40);
/**
 * Redshift's error text and an error's Cause have no documented bound; counted as 2 KiB each (the
 * longest messages, with a Lambda error's JSON and trace, run to a few hundred bytes).
 */
const ERROR_TEXT_BYTES = 2048;
/** Members of a DescribeStatement answer besides the SQL, parameters and error (ids, times, target names up to 63 characters, Database, DbUser or SecretArn up to 2 KiB). */
const DESCRIBE_FIXED_BYTES = 3 * 1024;
/** A SQL parameter's value (from the execution input: unknown when generating), for list pages. */
const PARAMETER_VALUE_BYTES = 1024;
/** A sub-statement's members besides its SQL text and error. */
const SUB_STATEMENT_FIXED_BYTES = 400;

export type StepStateSize = {
  readonly stepId: string;
  /** The state while the step runs, without the execution input: earlier records + its own data. */
  readonly stateBytes: number;
  /** The largest answer one of the step's Tasks receives (connector output), parameter values aside. */
  readonly answerBytes: number;
};

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');
/** A member `"key":value,` of an object. */
const member = (key: string, valueBytes: number): number => jsonBytes(key) + 2 + valueBytes;

/** The step record of the contract at its largest, `results` counted at its byte limit. */
function recordBytes(step: StatementStep): number {
  const record = `{"Id":${jsonBytes(STATEMENT_ID)},"Status":"SUBMITTED","ResultRows":${LONG},"HasResultSet":false}`;
  return member(step.id, Buffer.byteLength(record) + (step.results ? member('Result', step.results.maxBytes) : 0));
}

function sqlTexts(step: StatementStep): readonly string[] {
  return step.statement.kind === 'batch' ? step.statement.sqls : [step.statement.sql];
}

/**
 * What a running step keeps beside its record: the poll counters, what it keeps of DescribeStatement
 * (a batch with results also the sub-statement it fetches, `Fetched`), the lock, a caught error.
 */
function workingBytes(plan: StatementStepPlan): number {
  const { step } = plan;
  const subStatements = step.statement.kind === 'batch' ? step.statement.sqls.length : 1;
  const run = `{"Id":${jsonBytes(STATEMENT_ID)},"Interval":${LONG},"Remaining":${LONG},"NextWait":${LONG},"Poll":${LONG},"Wait":${LONG}}`;
  const statement =
    step.mode === 'poll'
      ? jsonBytes({ Status: 'SUBMITTED', ResultRows: 0, ResultSize: 0, HasResultSet: false }) +
        2 * String(LONG).length +
        // `$..Error`: a batch's own error and each sub-statement's.
        (subStatements + (step.statement.kind === 'batch' ? 1 : 0)) * (ERROR_TEXT_BYTES + 4) +
        (step.results && step.statement.kind === 'batch'
          ? (subStatements + 1) * (jsonBytes(STATEMENT_ID) + 2 * String(LONG).length + 3) + 64
          : 0)
      : 0;
  const lock = plan.lock?.takenBy === 'machine' ? 1024 + 2048 : 0;
  return Buffer.byteLength(run) + statement + lock + ERROR_TEXT_BYTES * 2;
}

/** DescribeStatement's whole answer (poll mode) or GetStatementResult's page, whichever is larger. */
function answerBytes(step: StatementStep): number {
  const texts = sqlTexts(step);
  const sql = texts.reduce((sum, text) => sum + jsonBytes(text), 0);
  const parameters = step.parameters.reduce((sum, { name }) => sum + jsonBytes({ name, value: '' }), 0);
  const describe =
    step.mode === 'poll'
      ? DESCRIBE_FIXED_BYTES +
        parameters +
        ERROR_TEXT_BYTES +
        (step.statement.kind === 'batch' ? sql + texts.length * (SUB_STATEMENT_FIXED_BYTES + ERROR_TEXT_BYTES) : sql)
      : 0;
  return Math.max(describe, step.results?.maxBytes ?? 0);
}

/**
 * A ListStatements entry of the step's statement: its SQL texts, its parameters (names, and values
 * from the execution input counted at PARAMETER_VALUE_BYTES each) and the members around them.
 */
function listEntryBytes(step: StatementStep): number {
  const parameters = step.parameters.reduce(
    (sum, { name }) => sum + jsonBytes({ name, value: '' }) + PARAMETER_VALUE_BYTES,
    0,
  );
  return DESCRIBE_FIXED_BYTES + parameters + sqlTexts(step).reduce((sum, text) => sum + jsonBytes(text), 0);
}

/** The reaper's ListStatements page size for the statements of these pipelines. */
export function reaperPageSizeFor(pipelines: readonly Pipeline[]): number {
  return reaperPageSize(largestListEntryBytes(pipelines));
}

/** The largest ListStatements entry among the pipelines' statements (0 when none). */
function largestListEntryBytes(pipelines: readonly Pipeline[]): number {
  return Math.max(0, ...pipelines.flatMap((pipeline) => statementSteps(pipeline.steps)).map(listEntryBytes));
}

/** Walks the steps in order; a parallel's branches start from the same records and all add theirs. */
function walk(steps: readonly StepPlan[], before: number, into: StepStateSize[]): number {
  let records = before;
  for (const plan of steps) {
    if (plan.kind === 'parallel') {
      const added = plan.branches.map((branch) => walk(branch, records, into) - records);
      const allAdded = added.reduce((sum, bytes) => sum + bytes, 0);
      // The Parallel's output (compile/parallel.ts) is the first branch's whole state beside the
      // merged records of every branch, so the records before it are there twice until Merge.
      into.push({
        stepId: plan.step.id,
        stateBytes: 2 * jsonBytes({ steps: {} }) + 2 * records + (added[0] ?? 0) + allAdded,
        answerBytes: 0,
      });
      records += allAdded;
      continue;
    }
    const record = recordBytes(plan.step);
    into.push({
      stepId: plan.step.id,
      stateBytes: jsonBytes({ steps: {} }) + records + workingBytes(plan) + record,
      answerBytes: answerBytes(plan.step),
    });
    records += record;
  }
  return records;
}

/**
 * Worst-case state and answer size of every statement step and every parallel step (its output),
 * in the order they end (a parallel after its branches' steps).
 */
export function stepStateSizes(plan: Pick<PipelinePlan, 'steps'>): StepStateSize[] {
  const sizes: StepStateSize[] = [];
  walk(plan.steps, 0, sizes);
  return sizes;
}

/** The step whose state or answer comes closest to 256 KiB. */
export function largestStateSize(sizes: readonly StepStateSize[]): StepStateSize & { readonly bytes: number } {
  const bytes = (size: StepStateSize) => Math.max(size.stateBytes, size.answerBytes);
  const largest = sizes.reduce<StepStateSize | undefined>(
    (best, size) => (best === undefined || bytes(size) > bytes(best) ? size : best),
    undefined,
  ) ?? { stepId: '', stateBytes: 0, answerBytes: 0 };
  return { ...largest, bytes: bytes(largest) };
}
