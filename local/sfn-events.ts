// "Step Functions Execution Status Change" events, in the EventBridge envelope AWS delivers them in
// (Step Functions Developer Guide, "Automating Step Functions event delivery with EventBridge"),
// and the local stand-in for the rules that route them.
import { randomUUID } from 'node:crypto';
import type { ExecutionRecord, ExecutionStatus } from './executor/registry.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './executor/aws.ts';

export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';

export type ExecutionStatusChangeEvent = {
  version: '0';
  id: string;
  'detail-type': typeof EXECUTION_STATUS_CHANGE;
  source: 'aws.states';
  account: string;
  /** ISO-8601 without fractional seconds. */
  time: string;
  region: string;
  resources: string[];
  detail: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: ExecutionStatus;
    /** Epoch milliseconds. */
    startDate: number;
    stopDate: number | null;
    input: string;
    output: string | null;
    inputDetails: { included: boolean };
    outputDetails: { included: boolean } | null;
    error: string | null;
    cause: string | null;
  };
};

export function executionStatusChangeEvent(record: ExecutionRecord, now = Date.now()): ExecutionStatusChangeEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': EXECUTION_STATUS_CHANGE,
    source: 'aws.states',
    account: LOCAL_ACCOUNT,
    time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [record.executionArn],
    detail: {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate.getTime(),
      stopDate: record.stopDate ? record.stopDate.getTime() : null,
      input: record.input,
      output: record.output ?? null,
      inputDetails: { included: true },
      outputDetails: record.output !== undefined ? { included: true } : null,
      error: record.error ?? null,
      cause: record.cause ?? null,
    },
  };
}

/**
 * An EventBridge rule on these events: which machines (a name prefix and/or ARNs, as the
 * runtime template's rule) and statuses it matches, and its target: an in-process Lambda function
 * (name or ARN) or a state machine definition started with the event as input.
 */
export type ExecutionEventRule = {
  stateMachineNamePrefix?: string;
  stateMachineArns?: readonly string[];
  /** Default: every status. */
  statuses?: readonly ExecutionStatus[];
  target: { function: string } | { stateMachine: { name: string; definition: unknown } };
};

export function ruleMatches(rule: ExecutionEventRule, event: ExecutionStatusChangeEvent): boolean {
  const { stateMachineArn, status } = event.detail;
  if (rule.statuses !== undefined && !rule.statuses.includes(status)) return false;
  const byArn = rule.stateMachineArns?.includes(stateMachineArn) ?? false;
  const name = stateMachineArn.split(':')[6] ?? '';
  const byPrefix = rule.stateMachineNamePrefix !== undefined && name.startsWith(rule.stateMachineNamePrefix);
  const unrestricted = rule.stateMachineArns === undefined && rule.stateMachineNamePrefix === undefined;
  return unrestricted || byArn || byPrefix;
}
