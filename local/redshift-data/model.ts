// Shapes of the Redshift Data API as they travel in AWS JSON 1.1 (timestamps as epoch seconds).

export type StatementStatus = 'SUBMITTED' | 'PICKED' | 'STARTED' | 'FINISHED' | 'FAILED' | 'ABORTED';
export const terminalStatuses: ReadonlySet<StatementStatus> = new Set(['FINISHED', 'FAILED', 'ABORTED']);
export const allStatuses: readonly StatementStatus[] = [
  'SUBMITTED',
  'PICKED',
  'STARTED',
  'FINISHED',
  'FAILED',
  'ABORTED',
];

export type SqlParameter = { name: string; value: string };

/** Exactly one member is set, as in the service's Field union. */
export type Field =
  | { isNull: true }
  | { booleanValue: boolean }
  | { longValue: number }
  | { doubleValue: number | 'NaN' | 'Infinity' | '-Infinity' }
  | { stringValue: string }
  | { blobValue: string };

export type ColumnMetadata = {
  isCaseSensitive: boolean;
  isCurrency: boolean;
  isSigned: boolean;
  label: string;
  name: string;
  nullable: number;
  precision: number;
  scale: number;
  schemaName: string;
  tableName: string;
  typeName: string;
  length: number;
  columnDefault?: string;
};

/** Where a statement runs: exactly one of clusterIdentifier / workgroupName. */
export type Target = {
  clusterIdentifier?: string;
  workgroupName?: string;
  database?: string;
  dbUser?: string;
  secretArn?: string;
};

export type EpochSeconds = number;

export const epochSeconds = (ms: number): EpochSeconds => ms / 1000;
