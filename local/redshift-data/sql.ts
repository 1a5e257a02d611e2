// Turns Data API SQL into PostgreSQL SQL: named parameters become real bind parameters ($1..$n,
// never spliced into the text), and a few Redshift-only forms are rewritten.
import { validation } from './errors.ts';
import { tokenize, type Token } from '../../generator/load/sql-tokens.ts';
import type { SqlParameter } from './model.ts';

export type PreparedSql = { text: string; values: string[] };

export type PrepareOptions = {
  /** Bind parameters ($n) to write as $n::text, where PostgreSQL cannot infer a type. */
  textParameters?: ReadonlySet<number>;
  /** A batch's parameters apply to all its SQL texts: each text may use only some of them. */
  allowUnused?: boolean;
};

const dateFunctions = new Set(['datediff', 'dateadd', 'date_part', 'date_diff', 'date_add']);
const dateparts = new Set(
  (
    'millennium millennia mil mils century centuries c cent cents decade decades dec decs year years y yr yrs ' +
    'quarter quarters qtr qtrs month months mon mons week weeks w day days d hour hours h hr hrs minute minutes m ' +
    'min mins second seconds s sec secs millisecond milliseconds ms msec msecs msecond mseconds millisec millisecs ' +
    'millisecon microsecond microseconds microsec microsecs usecond useconds us usec usecs epoch dow dayofweek doy dayofyear'
  ).split(' '),
);

export function prepareSql(
  sql: string,
  parameters: readonly SqlParameter[] | undefined,
  options: PrepareOptions = {},
): PreparedSql {
  const tokens = rewriteListagg(tokenize(sql));
  const given = new Map<string, string>();
  for (const parameter of parameters ?? []) {
    if (given.has(parameter.name)) throw validation(`Parameter '${parameter.name}' is specified more than once`);
    given.set(parameter.name, parameter.value);
  }
  const positions = new Map<string, number>();
  const values: string[] = [];
  const out: string[] = [];
  tokens.forEach((token, index) => {
    if (token.kind === 'param') {
      const name = token.text.slice(1);
      const value = given.get(name);
      if (value === undefined) throw validation(`Parameter :${name} is used in the SQL but has no value in Parameters`);
      let position = positions.get(name);
      if (position === undefined) {
        values.push(value);
        position = values.length;
        positions.set(name, position);
      }
      out.push(options.textParameters?.has(position) === true ? `$${position}::text` : `$${position}`);
    } else out.push(rewriteWord(tokens, index));
  });
  for (const name of given.keys()) {
    if (options.allowUnused !== true && !positions.has(name))
      throw validation(`Parameter '${name}' is not used in the SQL`);
  }
  return { text: out.join(''), values };
}

function rewriteWord(tokens: readonly Token[], index: number): string {
  const token = tokens[index];
  if (token === undefined || token.kind !== 'word') return token?.text ?? '';
  const word = token.text.toLowerCase();
  const previous = neighbour(tokens, index, -1);
  const next = neighbour(tokens, index, 1);
  // SYSDATE: the transaction's start time, like Redshift.
  if (word === 'sysdate' && previous?.token.text !== '.' && next?.token.text !== '(') return 'localtimestamp';
  // datediff(day, a, b): Redshift takes the datepart as a bare keyword; PostgreSQL needs a string.
  if (dateparts.has(word) && previous?.token.text === '(' && next?.token.text === ',') {
    const fn = neighbour(tokens, previous.index, -1);
    if (fn?.token.kind === 'word' && dateFunctions.has(fn.token.text.toLowerCase())) return `'${word}'`;
  }
  return token.text;
}

// LISTAGG(expr, delim) WITHIN GROUP (ORDER BY …) → LISTAGG(expr, delim ORDER BY …)
function rewriteListagg(tokens: Token[]): Token[] {
  const out = [...tokens];
  for (let i = 0; i < out.length; i += 1) {
    const token = out[i];
    if (token?.kind !== 'word' || token.text.toLowerCase() !== 'listagg') continue;
    const open = neighbour(out, i, 1);
    if (open?.token.text !== '(') continue;
    const close = matchingParen(out, open.index);
    const within = neighbour(out, close ?? -1, 1);
    const group = within && neighbour(out, within.index, 1);
    const groupOpen = group && neighbour(out, group.index, 1);
    if (
      close === undefined ||
      within?.token.text.toLowerCase() !== 'within' ||
      group?.token.text.toLowerCase() !== 'group'
    )
      continue;
    if (groupOpen?.token.text !== '(') continue;
    const groupClose = matchingParen(out, groupOpen.index);
    if (groupClose === undefined) continue;
    const orderBy = out.slice(groupOpen.index + 1, groupClose);
    out.splice(close, groupClose - close + 1, { kind: 'space', text: ' ' }, ...orderBy, { kind: 'symbol', text: ')' });
  }
  return out;
}

function matchingParen(tokens: readonly Token[], open: number): number | undefined {
  let depth = 0;
  for (let j = open; j < tokens.length; j += 1) {
    const text = tokens[j]?.kind === 'symbol' ? tokens[j]?.text : undefined;
    if (text === '(') depth += 1;
    else if (text === ')') {
      depth -= 1;
      if (depth === 0) return j;
    }
  }
  return undefined;
}

function neighbour(tokens: readonly Token[], from: number, step: 1 | -1): { token: Token; index: number } | undefined {
  for (let j = from + step; j >= 0 && j < tokens.length; j += step) {
    const token = tokens[j];
    if (token !== undefined && token.kind !== 'space' && token.kind !== 'comment') return { token, index: j };
  }
  return undefined;
}
