/** A `:name` reference in SQL text, found outside literals, quoted identifiers, comments and `::` casts. */
export type ParameterReference = { readonly name: string; readonly start: number; readonly end: number };

const NAME_START = /[A-Za-z_]/;
const NAME_PART = /[A-Za-z0-9_]/;

export function findParameterReferences(sql: string): ParameterReference[] {
  const references: ParameterReference[] = [];
  let index = 0;
  const skipUntil = (terminator: string, from: number): number => {
    const end = sql.indexOf(terminator, from);
    return end === -1 ? sql.length : end + terminator.length;
  };
  while (index < sql.length) {
    const char = sql[index] as string;
    const next = sql[index + 1] ?? '';
    if (char === "'" || char === '"') {
      index = skipQuoted(sql, index, char);
    } else if (char === '-' && next === '-') {
      index = skipUntil('\n', index);
    } else if (char === '/' && next === '*') {
      index = skipUntil('*/', index + 2);
    } else if (char === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(index));
      index = tag ? skipUntil(tag[0], index + tag[0].length) : index + 1;
    } else if (char === ':' && next === ':') {
      index += 2;
    } else if (char === ':' && NAME_START.test(next) && sql[index - 1] !== ':') {
      let end = index + 1;
      while (end < sql.length && NAME_PART.test(sql[end] as string)) end += 1;
      references.push({ name: sql.slice(index + 1, end), start: index, end });
      index = end;
    } else {
      index += 1;
    }
  }
  return references;
}

/** Index after a quoted run starting at `start`; a doubled quote is an escaped quote. */
function skipQuoted(sql: string, start: number, quote: string): number {
  let index = start + 1;
  while (index < sql.length) {
    if (sql[index] === quote) {
      if (sql[index + 1] === quote) index += 2;
      else return index + 1;
    } else {
      index += 1;
    }
  }
  return sql.length;
}
