// PostgreSQL results → Data API typed fields and column metadata, shaped like Redshift's.
import type pg from 'pg';
import type { ColumnMetadata, Field } from './model.ts';

/** Column values as PostgreSQL's text output (no JS parsing), null for SQL NULL. */
export type TextRow = (string | null)[];

export type ResultSet = {
  columns: ColumnMetadata[];
  typeOids: number[];
  rows: TextRow[];
  /** Bytes of the result as text, for DescribeStatement's ResultSize. */
  size: number;
};

const oid = {
  bool: 16,
  bytea: 17,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  xml: 142,
  float4: 700,
  float8: 701,
  money: 790,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

const builtinNames = new Map<number, string>(Object.entries(oid).map(([name, value]) => [value, name]));
const longTypes = new Set<number>([oid.int2, oid.int4, oid.int8, oid.oid]);
const doubleTypes = new Set<number>([oid.float4, oid.float8]);
const signedTypes = new Set<number>([oid.int2, oid.int4, oid.int8, oid.float4, oid.float8, oid.numeric, oid.money]);
const caseSensitiveTypes = new Set<number>([oid.text, oid.varchar, oid.bpchar, oid.name, oid.json, oid.jsonb, oid.xml]);

/** A pg type-parser table that leaves every value as PostgreSQL's text output. */
export const rawTextTypes = {
  getTypeParser:
    () =>
    (value: string): string =>
      value,
};

export function toField(typeOid: number, text: string | null): Field {
  if (text === null) return { isNull: true };
  if (longTypes.has(typeOid)) return { longValue: Number(text) };
  if (doubleTypes.has(typeOid)) {
    const value = Number(text);
    if (Number.isFinite(value)) return { doubleValue: value };
    return { doubleValue: Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity' };
  }
  if (typeOid === oid.bool) return { booleanValue: text === 't' };
  if (typeOid === oid.bytea) return { blobValue: Buffer.from(text.replace(/^\\x/, ''), 'hex').toString('base64') };
  // numeric stays a string, as in Redshift, so no precision is lost.
  return { stringValue: text };
}

export function pageOf(result: ResultSet, offset: number, size: number): Field[][] {
  return result.rows
    .slice(offset, offset + size)
    .map((row) => row.map((text, i) => toField(result.typeOids[i] ?? oid.text, text)));
}

export function textSize(rows: readonly TextRow[]): number {
  let bytes = 0;
  for (const row of rows) for (const value of row) if (value !== null) bytes += Buffer.byteLength(value);
  return bytes;
}

type CatalogRow = {
  ord: string;
  typname: string | null;
  nspname: string | null;
  relname: string | null;
  attnotnull: boolean | null;
  coldefault: string | null;
};

/**
 * Column metadata; looks the catalog up (on the statement's own connection, so temporary tables
 * resolve) only for columns that come from a table or have a type this module does not know.
 */
export async function describeColumns(
  client: pg.ClientBase,
  fields: readonly pg.FieldDef[],
): Promise<ColumnMetadata[]> {
  const needsCatalog = fields.some((field) => field.tableID !== 0 || !builtinNames.has(field.dataTypeID));
  const catalog = new Map<number, CatalogRow>();
  if (needsCatalog) {
    const lookup = await client.query<CatalogRow>(
      `select f.ord::text as ord, t.typname, n.nspname, c.relname, a.attnotnull,
              pg_get_expr(d.adbin, d.adrelid) as coldefault
         from unnest($1::oid[], $2::oid[], $3::int2[]) with ordinality as f(typ, rel, col, ord)
         left join pg_type t on t.oid = f.typ
         left join pg_class c on c.oid = f.rel and f.rel <> 0
         left join pg_namespace n on n.oid = c.relnamespace
         left join pg_attribute a on a.attrelid = f.rel and a.attnum = f.col and f.rel <> 0
         left join pg_attrdef d on d.adrelid = f.rel and d.adnum = f.col and f.rel <> 0`,
      [fields.map((f) => f.dataTypeID), fields.map((f) => f.tableID), fields.map((f) => f.columnID)],
    );
    for (const row of lookup.rows) catalog.set(Number(row.ord) - 1, row);
  }
  return fields.map((field, index) => columnMetadata(field, catalog.get(index)));
}

function columnMetadata(field: pg.FieldDef, catalog: CatalogRow | undefined): ColumnMetadata {
  const typeOid = field.dataTypeID;
  const typname = builtinNames.get(typeOid) ?? catalog?.typname ?? 'unknown';
  const { precision, scale } = precisionAndScale(typeOid, field.dataTypeModifier);
  const metadata: ColumnMetadata = {
    isCaseSensitive: caseSensitiveTypes.has(typeOid),
    isCurrency: typeOid === oid.money,
    isSigned: signedTypes.has(typeOid),
    label: field.name,
    name: field.name,
    // 0 = NOT NULL column, 1 = nullable (also for expressions, as Redshift reports them).
    nullable: catalog?.attnotnull === true ? 0 : 1,
    precision,
    scale,
    schemaName: catalog?.nspname ?? '',
    tableName: catalog?.relname ?? '',
    typeName: redshiftTypeName(typname),
    length: 0,
  };
  if (catalog?.coldefault !== null && catalog?.coldefault !== undefined) metadata.columnDefault = catalog.coldefault;
  return metadata;
}

// Redshift has no TEXT type (it is VARCHAR(256)); every other name matches PostgreSQL's typname.
function redshiftTypeName(typname: string): string {
  return typname === 'text' ? 'varchar' : typname;
}

// Values as Redshift's drivers report them.
function precisionAndScale(typeOid: number, typmod: number): { precision: number; scale: number } {
  switch (typeOid) {
    case oid.int2:
      return { precision: 5, scale: 0 };
    case oid.int4:
      return { precision: 10, scale: 0 };
    case oid.int8:
      return { precision: 19, scale: 0 };
    case oid.float4:
      return { precision: 8, scale: 8 };
    case oid.float8:
      return { precision: 17, scale: 17 };
    case oid.bool:
      return { precision: 1, scale: 0 };
    case oid.date:
      return { precision: 13, scale: 0 };
    case oid.time:
      return { precision: 15, scale: 6 };
    case oid.timetz:
      return { precision: 21, scale: 6 };
    case oid.timestamp:
      return { precision: 29, scale: 6 };
    case oid.timestamptz:
      return { precision: 35, scale: 6 };
    case oid.numeric:
      return typmod >= 4
        ? { precision: ((typmod - 4) >> 16) & 0xffff, scale: (typmod - 4) & 0xffff }
        : { precision: 0, scale: 0 };
    case oid.varchar:
    case oid.bpchar:
      return { precision: typmod >= 4 ? typmod - 4 : 65535, scale: 0 };
    case oid.text:
      return { precision: 256, scale: 0 };
    default:
      return { precision: 0, scale: 0 };
  }
}
