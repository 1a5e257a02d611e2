// Redshift Data's completion events: EventBridge events delivered directly, or SQS records whose
// body is such an event. Anything else that looks like an event (another source, another detail
// type, a statement name outside the project's prefix) is ignored, never an error.
import { isTerminalStatus, STATEMENT_NAME_PREFIX } from './contract.ts';
import { InvalidRequest } from './errors.ts';
import { isObject } from './request.ts';

export const EVENT_SOURCE = 'aws.redshift-data';
export const EVENT_DETAIL_TYPE = 'Redshift Data Statement Status Change';

export type SqsRecord = { messageId: string; body: string };
export type SqsEvent = { Records: SqsRecord[] };

export type Completion = { statementId: string; statementName: string; state: string };

/** Why an event is not a completion to act on. */
export type Ignored = { ignored: string };

export function isEventBridgeEvent(event: Record<string, unknown>): boolean {
  return 'detail-type' in event || ('source' in event && 'detail' in event);
}

/** An SQS batch (an event with `Records` and no action); its records are checked by sqsRecords. */
export function isSqsEvent(event: Record<string, unknown>): event is SqsEvent & Record<string, unknown> {
  return Array.isArray(event.Records) && !('action' in event);
}

/** The records of an SQS batch, or InvalidRequest naming the first malformed one's field. */
export function sqsRecords(event: SqsEvent): SqsRecord[] {
  const records: unknown[] = event.Records;
  if (records.length === 0) throw new InvalidRequest('Records', 'an SQS batch holds 1 to 10,000 records; got none');
  records.forEach((record, index) => {
    if (!isObject(record)) throw new InvalidRequest(`Records[${index}]`, 'must be an SQS record object');
    if (record.eventSource !== 'aws:sqs')
      throw new InvalidRequest(
        `Records[${index}].eventSource`,
        `must be "aws:sqs", got ${JSON.stringify(record.eventSource) ?? 'nothing'}`,
      );
    if (typeof record.messageId !== 'string')
      throw new InvalidRequest(`Records[${index}].messageId`, 'must be a string (the SQS message id)');
    if (typeof record.body !== 'string')
      throw new InvalidRequest(`Records[${index}].body`, 'must be a string (the EventBridge event as JSON)');
  });
  return records as SqsRecord[];
}

export function completionOf(event: unknown): Completion | Ignored {
  if (!isObject(event)) return { ignored: 'not an event object' };
  if (event.source !== EVENT_SOURCE) return { ignored: `source ${JSON.stringify(event.source)}` };
  if (event['detail-type'] !== EVENT_DETAIL_TYPE)
    return { ignored: `detail-type ${JSON.stringify(event['detail-type'])}` };
  const detail = event.detail;
  if (!isObject(detail)) return { ignored: 'no detail' };
  const { statementId, statementName, state } = detail;
  if (typeof statementName !== 'string' || !statementName.startsWith(STATEMENT_NAME_PREFIX)) {
    return { ignored: `statementName outside ${STATEMENT_NAME_PREFIX}` };
  }
  if (typeof statementId !== 'string' || statementId === '') return { ignored: 'no statementId' };
  if (typeof state !== 'string' || !isTerminalStatus(state)) return { ignored: `state ${JSON.stringify(state)}` };
  return { statementId, statementName, state };
}
