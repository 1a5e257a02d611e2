import type { Cleanup, Mode, PollSchedule, ResultLimits, RetryPolicy } from './model.ts';

/** The one place that holds every default of the spec. */
export const SPEC_DEFAULTS = {
  mode: 'poll' as Mode,
  /**
   * Nothing of a stopped execution should keep running (an orphan holds locks and capacity, and a
   * rerun collides with it or loads twice); the cost is a longer StatementName and ListStatements
   * for the reaper, and it is inert until the cleanup rule is deployed.
   */
  cleanup: 'cancel-on-stop' as Cleanup,
  timeoutSeconds: 3600,
  poll: { initialSeconds: 5, maxSeconds: 60, factor: 2 } satisfies PollSchedule,
  retry: { attempts: 3, intervalSeconds: 5, backoffRate: 2 } satisfies RetryPolicy,
  /**
   * `results` limits. Step Functions holds a whole state in 256 KiB; the Result sits in it beside
   * the execution input and the other steps' records. 64 KiB of JSON is a quarter of that, exact in
   * callback mode (the runtime measures the page). Poll mode can only compare DescribeStatement's
   * ResultRows and ResultSize (the data's bytes) before fetching; the JSON adds per value at most 22
   * bytes (`{"BooleanValue":false},` around a 1-byte `f`; `{"StringValue":""},` 19) and per row 3,
   * plus ColumnMetadata (~200 bytes a column), and escapes (`"` and `\` double): 64 KiB + 100 rows ×
   * (20 columns × 22 + 3) + 20 × 200 = 113,836 bytes ≈ 111 KiB for 20 columns, ≈ 182 KiB for 50.
   * 100 rows keep that overhead bounded for the narrow results checks return (counts, a few rows);
   * wider or longer results need explicit limits or an UNLOAD.
   */
  results: { maxRows: 100, maxBytes: 64 * 1024 } satisfies ResultLimits,
  stateTable: '${StateTableName}',
  runtimeFunctionArn: '${RuntimeFunctionArn}',
  /**
   * Redshift Data API reference: ExecuteStatement `Sql` and each of BatchExecuteStatement's `Sqls`
   * (1–40 items): length constraint maximum 100000 (longer: "Cannot process query string larger
   * than 100kB"). The runtime refuses the same (runtime/src/request.ts).
   */
  maxSqlCharacters: 100_000,
  /** The Data API ends any statement after 24 hours. */
  maxTimeoutSeconds: 86_400,
  /** WaitTimeSeconds of a long-polled Data API call: Valid Range 1–30 (Data API Reference). */
  maxLongPollSeconds: 30,
  /**
   * The largest `results.maxBytes`: a state holds at most 256 KiB ("Step Functions service
   * quotas": 256 KiB of data as a UTF-8 encoded string), and the step record around the Result
   * (Id, Status, ResultRows, HasResultSet, the `steps` map) takes some of it: 1 KiB kept for that.
   */
  maxResultBytes: 255 * 1024,
  /**
   * The largest `results.maxRows`: a row is at least 18 bytes of JSON (`[{"IsNull":true}],`), so
   * more rows than this can never fit beside the record in a 256 KiB state.
   */
  maxResultRows: Math.floor((255 * 1024) / 18),
} as const;
