// Step Functions' "Step Functions Execution Status Change" events (EventBridge, source aws.states):
// an execution that ended ABORTED, TIMED_OUT or FAILED may leave statements running, which the
// runtime then cancels (cleanup.ts). Other statuses, and machines outside the configured set, are
// ignored, never an error.
import { isObject } from './request.ts';
import type { Ignored } from './events.ts';

export const EXECUTION_EVENT_SOURCE = 'aws.states';
export const EXECUTION_EVENT_DETAIL_TYPE = 'Step Functions Execution Status Change';
/** The statuses after which nothing of the execution may keep running. */
export const STOPPED_STATUSES: readonly string[] = ['ABORTED', 'TIMED_OUT', 'FAILED'];

export type StoppedExecution = { executionArn: string; stateMachineArn: string; status: string };

/** Which state machines' executions the runtime cleans up after (the event rule's own filter). */
export type MachineFilter = { arns: readonly string[]; namePrefix?: string };

type Env = Readonly<Record<string, string | undefined>>;

/** `CLEANUP_STATE_MACHINE_ARNS` (comma-separated) and `CLEANUP_STATE_MACHINE_PREFIX` (a name prefix); neither: every machine. */
export function machineFilter(env: Env = process.env): MachineFilter | undefined {
  const arns = (env.CLEANUP_STATE_MACHINE_ARNS ?? '')
    .split(',')
    .map((arn) => arn.trim())
    .filter((arn) => arn !== '');
  const namePrefix = env.CLEANUP_STATE_MACHINE_PREFIX?.trim() || undefined;
  if (arns.length === 0 && namePrefix === undefined) return undefined;
  return namePrefix === undefined ? { arns } : { arns, namePrefix };
}

const STATE_MACHINE_ARN = /^arn:[a-z-]+:states:[a-z0-9-]*:\d*:stateMachine:([^:/]+)(?::[^:/]+)?$/;

function isOurs(stateMachineArn: string, filter: MachineFilter | undefined): boolean {
  if (filter === undefined) return true;
  // A version or alias ARN (…:stateMachine:name:1) belongs to its machine.
  const unqualified = stateMachineArn.split(':').slice(0, 7).join(':');
  if (filter.arns.includes(stateMachineArn) || filter.arns.includes(unqualified)) return true;
  const name = STATE_MACHINE_ARN.exec(stateMachineArn)?.[1];
  return filter.namePrefix !== undefined && name?.startsWith(filter.namePrefix) === true;
}

export function isExecutionEvent(event: unknown): boolean {
  return isObject(event) && event.source === EXECUTION_EVENT_SOURCE;
}

export function stoppedExecutionOf(
  event: unknown,
  filter: MachineFilter | undefined = machineFilter(),
): StoppedExecution | Ignored {
  if (!isObject(event)) return { ignored: 'not an event object' };
  if (event.source !== EXECUTION_EVENT_SOURCE) return { ignored: `source ${JSON.stringify(event.source)}` };
  if (event['detail-type'] !== EXECUTION_EVENT_DETAIL_TYPE)
    return { ignored: `detail-type ${JSON.stringify(event['detail-type'])}` };
  const detail = event.detail;
  if (!isObject(detail)) return { ignored: 'no detail' };
  const { executionArn, stateMachineArn, status } = detail;
  if (typeof executionArn !== 'string' || typeof stateMachineArn !== 'string')
    return { ignored: 'no executionArn or stateMachineArn' };
  if (typeof status !== 'string' || !STOPPED_STATUSES.includes(status))
    return { ignored: `status ${JSON.stringify(status)}` };
  if (!isOurs(stateMachineArn, filter)) return { ignored: `state machine ${stateMachineArn} is not one of ours` };
  return { executionArn, stateMachineArn, status };
}
