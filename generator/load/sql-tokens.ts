// A lexer that is just precise enough to find named parameters and Redshift-only syntax without
// touching string literals, quoted identifiers, comments or `::` casts. Concatenating the tokens'
// text gives back the input exactly. Shared by spec validation and the local Data API.

export type TokenKind = 'space' | 'comment' | 'string' | 'quoted' | 'word' | 'param' | 'number' | 'symbol';
export type Token = { kind: TokenKind; text: string };

const wordStart = /[A-Za-z_\u0080-\uffff]/;
const wordPart = /[A-Za-z0-9_$\u0080-\uffff]/;

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number): void => {
    tokens.push({ kind, text: sql.slice(i, end) });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i] ?? '';
    const next = sql[i + 1] ?? '';
    if (/\s/.test(c))
      push(
        'space',
        scanWhile(sql, i, (ch) => /\s/.test(ch)),
      );
    else if (c === '-' && next === '-') push('comment', lineEnd(sql, i));
    else if (c === '/' && next === '*') push('comment', blockCommentEnd(sql, i));
    else if (c === "'") push('string', quotedEnd(sql, i, "'", false));
    else if ((c === 'E' || c === 'e') && next === "'") push('string', quotedEnd(sql, i + 1, "'", true));
    else if (c === '"') push('quoted', quotedEnd(sql, i, '"', false));
    else if (c === '$' && dollarTag(sql, i) !== undefined) push('string', dollarQuotedEnd(sql, i));
    else if (c === ':' && next === ':') push('symbol', i + 2);
    else if (c === ':' && wordStart.test(next))
      push(
        'param',
        scanWhile(sql, i + 1, (ch) => /[A-Za-z0-9_]/.test(ch)),
      );
    else if (wordStart.test(c))
      push(
        'word',
        scanWhile(sql, i, (ch) => wordPart.test(ch)),
      );
    else if (/[0-9]/.test(c))
      push(
        'number',
        scanWhile(sql, i, (ch) => /[0-9.eE]/.test(ch)),
      );
    else push('symbol', i + 1);
  }
  return tokens;
}

function scanWhile(sql: string, from: number, test: (ch: string) => boolean): number {
  let j = from;
  while (j < sql.length && test(sql[j] ?? '')) j += 1;
  return j;
}

function lineEnd(sql: string, from: number): number {
  const end = sql.indexOf('\n', from);
  return end === -1 ? sql.length : end;
}

// PostgreSQL block comments nest.
function blockCommentEnd(sql: string, from: number): number {
  let depth = 0;
  let j = from;
  while (j < sql.length) {
    if (sql.startsWith('/*', j)) {
      depth += 1;
      j += 2;
    } else if (sql.startsWith('*/', j)) {
      depth -= 1;
      j += 2;
      if (depth === 0) return j;
    } else j += 1;
  }
  return sql.length;
}

function quotedEnd(sql: string, from: number, quote: string, backslashEscapes: boolean): number {
  let j = from + 1;
  while (j < sql.length) {
    const ch = sql[j];
    if (backslashEscapes && ch === '\\') j += 2;
    else if (ch === quote && sql[j + 1] === quote) j += 2;
    else if (ch === quote) return j + 1;
    else j += 1;
  }
  return sql.length;
}

function dollarTag(sql: string, from: number): string | undefined {
  const match = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(from, from + 64));
  return match?.[0];
}

function dollarQuotedEnd(sql: string, from: number): number {
  const tag = dollarTag(sql, from) ?? '$$';
  const end = sql.indexOf(tag, from + tag.length);
  return end === -1 ? sql.length : end + tag.length;
}

/** Names of the :parameters used in the SQL, in order of first use. */
export function parameterNames(sql: string): string[] {
  const names = tokenize(sql)
    .filter((token) => token.kind === 'param')
    .map((token) => token.text.slice(1));
  return [...new Set(names)];
}
