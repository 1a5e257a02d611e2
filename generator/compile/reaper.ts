// The reaper: a small Lambda-free state machine that cancels what a stopped execution left
// running. The Data API shows a role only the statements that role submitted (ListStatements
// RoleLevel), and poll-mode statements are submitted by the pipeline's own role, so the reaper runs
// as that role: the cleanup rule ("Step Functions Execution Status Change", ABORTED / TIMED_OUT /
// FAILED) starts it with the event as input. It lists the role's running statements named
// `sfn-redshift/…`, keeps those whose last name part is the stopped execution's
// `<stateMachineName>:<executionName>` (runtime/src/contract.ts) and cancels them. One definition
// serves every pipeline; a singleton lock whose statement it cancelled is stale by the contract (its
// statement is terminal) and the next acquirer takes it over. The runtime Lambda cleans up the
// statements it submitted itself (callback steps) and releases their locks.
import { RUNNING_STATUSES, STATEMENT_NAME_PREFIX } from '../../runtime/src/contract.ts';
import type { JsonObject, Retrier, State, StateMachine } from './asl.ts';
import { TRANSIENT_DATA_API_ERRORS } from './errors.ts';
import { DATA_API } from './integrations.ts';

export const REAPER_FILE = 'reaper.asl.json';
const STOPPED_STATUSES = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;
/** Retries of a transient Data API error: the reaper has no spec, so fixed and generous. */
const RETRY: readonly Retrier[] = [
  { ErrorEquals: TRANSIENT_DATA_API_ERRORS, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 },
];
const ALREADY_ENDED = ['RedshiftData.ValidationException', 'RedshiftData.ResourceNotFoundException'];

/**
 * A ListStatements page holds each statement's SQL text, and a Task's answer over 256 KiB fails the
 * reaper with States.DataLimitExceeded ("Step Functions service quotas"), so a page is only as long
 * as the largest statements it may list allow: 80 % of 256 KiB over the largest entry, 1 to 100
 * (ListStatements MaxResults, Data API reference).
 */
export function reaperPageSize(largestEntryBytes: number): number {
  return Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor((0.8 * 256 * 1024) / Math.max(1, largestEntryBytes))));
}
const MAX_PAGE_SIZE = 100;

/** State names of one sweep: the second sweep's carry a prefix, since names are unique per machine. */
type Named = (name: string) => string;

function listStatements(pageSize: number, named: Named, extra: JsonObject): State {
  return {
    Type: 'Task',
    Resource: DATA_API.listStatements.resource,
    Parameters: {
      StatementName: STATEMENT_NAME_PREFIX,
      'Status.$': '$.Status',
      RoleLevel: true,
      MaxResults: pageSize,
      ...extra,
    },
    ResultPath: '$.page',
    Retry: RETRY,
    Next: named('EachStatement'),
  };
}

/** Per listed statement: cancel it when its name ends with the stopped execution's suffix. */
const perStatement = (named: Named): StateMachine => ({
  StartAt: named('Named'),
  States: {
    [named('Named')]: {
      Type: 'Choice',
      Choices: [{ Variable: '$.Parts[3]', IsPresent: true, Next: named('SameExecution') }],
      Default: named('NotThisExecution'),
    },
    [named('SameExecution')]: {
      Type: 'Choice',
      Choices: [{ Variable: '$.Parts[3]', StringEqualsPath: '$.Suffix', Next: named('Cancel') }],
      Default: named('NotThisExecution'),
    },
    [named('Cancel')]: {
      Type: 'Task',
      Comment: 'Ended meanwhile (ValidationException) or gone: nothing left running',
      Resource: DATA_API.cancelStatement.resource,
      Parameters: { 'Id.$': '$.Id' },
      ResultPath: null,
      Retry: RETRY,
      Catch: [{ ErrorEquals: ALREADY_ENDED, ResultPath: null, Next: named('NotThisExecution') }],
      End: true,
    },
    [named('NotThisExecution')]: { Type: 'Succeed' },
  },
});

/** Per running status: list (page by page) and cancel what belongs to the execution. */
const perStatus = (pageSize: number, named: Named): StateMachine => ({
  StartAt: named('List'),
  States: {
    [named('List')]: listStatements(pageSize, named, {}),
    [named('EachStatement')]: {
      Type: 'Map',
      ItemsPath: '$.page.Statements',
      ItemSelector: {
        'Id.$': '$$.Map.Item.Value.Id',
        'Parts.$': "States.StringSplit($$.Map.Item.Value.StatementName, '/')",
        'Suffix.$': '$.Suffix',
      },
      MaxConcurrency: 10,
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, ...perStatement(named) },
      ResultPath: null,
      Next: named('MorePages'),
    },
    [named('MorePages')]: {
      Type: 'Choice',
      Choices: [{ Variable: '$.page.NextToken', IsPresent: true, Next: named('ListMore') }],
      Default: named('Listed'),
    },
    [named('ListMore')]: listStatements(pageSize, named, { 'NextToken.$': '$.page.NextToken' }),
    // Only the status leaves the iteration: the sweep's Map collects every iteration's output, and
    // the last page of each status would otherwise add up there.
    [named('Listed')]: { Type: 'Pass', OutputPath: '$.Status', End: true },
  },
});

/**
 * How long after the first sweep the reaper sweeps again. Stopping an execution cannot recall a
 * Data API request a Task already sent, so a statement may appear after the first sweep listed
 * nothing; a minute is ample for a request in flight to arrive (a judgement: AWS documents no bound).
 */
export const SETTLE_SECONDS = 60;

/** Lists and cancels the stopped execution's running statements, status after status. */
function sweep(pageSize: number, named: Named, next: string): State {
  return {
    Type: 'Map',
    ItemsPath: '$.reap.Statuses',
    ItemSelector: { 'Status.$': '$$.Map.Item.Value', 'Suffix.$': '$.reap.Suffix' },
    // One status after the other, in the order a statement goes through them (SUBMITTED → PICKED →
    // STARTED): a statement that moves on while the reaper lists is met again under its next
    // status, where lists running side by side could miss it between two of them. MaxConcurrency 1
    // runs the iterations in the order of the array ("Map state", Step Functions developer guide).
    MaxConcurrency: 1,
    ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, ...perStatus(pageSize, named) },
    ResultPath: null,
    Next: next,
  };
}

/**
 * The reaper machine's definition (the same for every pipeline and role). `pageSize`: statements
 * per ListStatements page (reaperPageSize); 1 when the statements it may meet are unknown.
 */
export function reaperMachine(pageSize = 1): StateMachine {
  return {
    Comment:
      'sfn-redshift reaper: cancels the running statements of a stopped execution (started by the cleanup rule, runs as the pipeline role)',
    StartAt: 'Stopped',
    States: {
      Stopped: {
        Type: 'Choice',
        Choices: [
          {
            Or: STOPPED_STATUSES.map((status) => ({ Variable: '$.detail.status', StringEquals: status })),
            Next: 'Execution',
          },
        ],
        Default: 'NothingToDo',
      },
      Execution: {
        Type: 'Pass',
        Comment: 'The StatementName suffix of the stopped execution: <stateMachineName>:<executionName>',
        Parameters: {
          'Suffix.$':
            "States.Format('{}:{}', States.ArrayGetItem(States.StringSplit($.detail.stateMachineArn, ':'), 6), $.detail.name)",
          Statuses: [...RUNNING_STATUSES],
        },
        ResultPath: '$.reap',
        Next: 'EachStatus',
      },
      EachStatus: sweep(pageSize, (name) => name, 'Settle'),
      Settle: {
        Type: 'Wait',
        Comment: `A submit the stopped execution sent before it stopped may reach the Data API after the first sweep: sweep again after ${SETTLE_SECONDS} s`,
        Seconds: SETTLE_SECONDS,
        Next: 'EachStatusAgain',
      },
      EachStatusAgain: sweep(pageSize, (name) => `Again${name}`, 'Reaped'),
      Reaped: { Type: 'Succeed' },
      NothingToDo: { Type: 'Succeed' },
    },
  };
}
