import type { Cleanup, Mode, PollSchedule, RetryPolicy } from './model.ts';

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
} as const;
