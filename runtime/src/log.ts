// One CloudWatch-style structured JSON line per invocation. SQL parameter values are never logged:
// SQL text only truncated, parameters only by name.
export type LogLevel = 'INFO' | 'WARN' | 'ERROR';

export type LogRecord = {
  level: LogLevel;
  timestamp: string;
  requestId?: string;
  /** An action, or `completion` for Redshift Data events (direct or through SQS). */
  action: string;
  outcome: string;
  durationMs: number;
  statementId?: string;
  stepId?: string;
  executionArn?: string;
  statementName?: string;
  singleton?: boolean;
  callback?: boolean;
  sql?: string;
  parameterNames?: string[];
  error?: string;
  message?: string;
  records?: {
    messageId?: string;
    statementId?: string;
    stepId?: string;
    executionArn?: string;
    outcome: string;
    error?: string;
  }[];
};

export type LogSink = (line: string) => void;

const SQL_LOG_CHARS = 200;

let sink: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};

/** Replaces where log lines go (tests capture them); answers the previous sink. */
export function setLogSink(next: LogSink): LogSink {
  const previous = sink;
  sink = next;
  return previous;
}

export function truncateSql(sql: string): string {
  const collapsed = sql.replace(/\s+/g, ' ').trim();
  return collapsed.length <= SQL_LOG_CHARS ? collapsed : `${collapsed.slice(0, SQL_LOG_CHARS)}…`;
}

export function writeLog(record: LogRecord): void {
  try {
    sink(JSON.stringify(record));
  } catch {
    // Logging never fails an invocation.
  }
}
