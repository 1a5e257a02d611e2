// A local Redshift Data API endpoint backed by PostgreSQL.
export { startRedshiftDataApi } from './server.ts';
export type { RedshiftDataApi, StartRedshiftDataApiOptions } from './server.ts';
export type { RedshiftStatusChangeEvent } from './events.ts';
export type { ColumnMetadata, Field, SqlParameter, StatementStatus } from './model.ts';
export { installRedshiftCompat } from './compat.ts';
