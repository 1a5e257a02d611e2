// "Redshift Data Statement Status Change" events, in the EventBridge envelope AWS delivers them in.
import { randomUUID } from 'node:crypto';
import type { Target } from './model.ts';

export type RedshiftStatusChangeEvent = {
  version: '0';
  id: string;
  'detail-type': 'Redshift Data Statement Status Change';
  source: 'aws.redshift-data';
  account: string;
  /** ISO-8601 without fractional seconds, e.g. 2024-05-01T12:00:00Z */
  time: string;
  region: string;
  resources: string[];
  detail: {
    principal: string;
    statementName?: string;
    statementId: string;
    redshiftQueryId: number;
    state: 'FINISHED' | 'FAILED' | 'ABORTED';
    rows: number;
    /** Epoch seconds: when the statement's results expire (24 hours after the event). */
    expireAt: number;
  };
};

export type EventContext = { region: string; accountId: string; principal: string };

export type TerminalStatement = {
  id: string;
  statementName?: string;
  target: Target;
  redshiftQueryId: number;
  state: 'FINISHED' | 'FAILED' | 'ABORTED';
  rows: number;
};

export function statusChangeEvent(
  statement: TerminalStatement,
  context: EventContext,
  now = Date.now(),
): RedshiftStatusChangeEvent {
  const detail: RedshiftStatusChangeEvent['detail'] = {
    principal: context.principal,
    statementId: statement.id,
    redshiftQueryId: statement.redshiftQueryId,
    state: statement.state,
    rows: statement.rows,
    expireAt: Math.floor(now / 1000) + 24 * 3600,
  };
  if (statement.statementName !== undefined) detail.statementName = statement.statementName;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Redshift Data Statement Status Change',
    source: 'aws.redshift-data',
    account: context.accountId,
    time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: context.region,
    resources: [targetArn(statement.target, context)],
    detail,
  };
}

function targetArn(target: Target, context: EventContext): string {
  if (target.workgroupName !== undefined) {
    return `arn:aws:redshift-serverless:${context.region}:${context.accountId}:workgroup/${target.workgroupName}`;
  }
  return `arn:aws:redshift:${context.region}:${context.accountId}:cluster:${target.clusterIdentifier ?? ''}`;
}

export type EventSink = {
  onEvent?: (event: RedshiftStatusChangeEvent) => void | Promise<void>;
  eventUrl?: string;
  onEventError?: (error: unknown, event: RedshiftStatusChangeEvent) => void;
};

/** Delivers events without blocking statements; drain() waits for those in flight. */
export class EventDispatcher {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly sink: EventSink) {}

  emit(event: RedshiftStatusChangeEvent): void {
    const deliveries: Promise<void>[] = [];
    if (this.sink.onEvent) deliveries.push(Promise.resolve().then(() => this.sink.onEvent?.(event)));
    if (this.sink.eventUrl !== undefined) deliveries.push(post(this.sink.eventUrl, event));
    for (const delivery of deliveries) {
      const tracked = delivery.catch((error: unknown) => this.report(error, event));
      this.inFlight.add(tracked);
      void tracked.finally(() => this.inFlight.delete(tracked));
    }
  }

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private report(error: unknown, event: RedshiftStatusChangeEvent): void {
    if (this.sink.onEventError) this.sink.onEventError(error, event);
    else
      console.error(`Redshift Data API: delivering the event for statement ${event.detail.statementId} failed:`, error);
  }
}

async function post(url: string, event: RedshiftStatusChangeEvent): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  // Drain the body so the connection can be reused.
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`POST ${url} answered HTTP ${response.status}`);
}
