// Redshift Data's completion events: EventBridge events delivered directly, or SQS records whose
// body is such an event. Anything else that looks like an event (another source, another detail
// type, a statement name outside the project's prefix) is ignored, never an error.
import { STATEMENT_NAME_PREFIX } from './contract.ts';
import { isObject } from './request.ts';

export const EVENT_SOURCE = 'aws.redshift-data';
export const EVENT_DETAIL_TYPE = 'Redshift Data Statement Status Change';
const COMPLETION_STATES = new Set(['FINISHED', 'FAILED', 'ABORTED']);

export type SqsRecord = { messageId: string; body: string };
export type SqsEvent = { Records: SqsRecord[] };

export type Completion = { statementId: string; statementName: string; state: string };

/** Why an event is not a completion to act on. */
export type Ignored = { ignored: string };

export function isEventBridgeEvent(event: Record<string, unknown>): boolean {
  return 'detail-type' in event || ('source' in event && 'detail' in event);
}

export function isSqsEvent(event: Record<string, unknown>): event is SqsEvent & Record<string, unknown> {
  const records = event.Records;
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every((record) => isObject(record) && record.eventSource === 'aws:sqs' && typeof record.messageId === 'string' && typeof record.body === 'string')
  );
}

export function completionOf(event: unknown): Completion | Ignored {
  if (!isObject(event)) return { ignored: 'not an event object' };
  if (event.source !== EVENT_SOURCE) return { ignored: `source ${JSON.stringify(event.source)}` };
  if (event['detail-type'] !== EVENT_DETAIL_TYPE) return { ignored: `detail-type ${JSON.stringify(event['detail-type'])}` };
  const detail = event.detail;
  if (!isObject(detail)) return { ignored: 'no detail' };
  const { statementId, statementName, state } = detail;
  if (typeof statementName !== 'string' || !statementName.startsWith(STATEMENT_NAME_PREFIX)) {
    return { ignored: `statementName outside ${STATEMENT_NAME_PREFIX}` };
  }
  if (typeof statementId !== 'string' || statementId === '') return { ignored: 'no statementId' };
  if (typeof state !== 'string' || !COMPLETION_STATES.has(state)) return { ignored: `state ${JSON.stringify(state)}` };
  return { statementId, statementName, state };
}
