import { describe, expect, it } from 'vitest';
import { ApiError } from '../../local/redshift-data/errors.ts';
import { prepareSql } from '../../local/redshift-data/sql.ts';
import { parameterNames, tokenize } from '../../generator/load/sql-tokens.ts';

const p = (name: string, value: string) => ({ name, value });

function validationMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).type).toBe('ValidationException');
    return (error as ApiError).message;
  }
  throw new Error('expected a ValidationException');
}

describe('tokenize', () => {
  it('gives back the input exactly', () => {
    const sql = `select 'it''s', E'a\\'b', $$x:y$$, $t$:z$t$, "we""ird:col", a::int -- :c\n/* :d /* nested */ :e */ :f`;
    expect(
      tokenize(sql)
        .map((t) => t.text)
        .join(''),
    ).toBe(sql);
  });
});

describe('prepareSql', () => {
  it('binds named parameters as $n in order of first use, reusing a repeated name', () => {
    const prepared = prepareSql('select :b, :a, :b', [p('a', '1'), p('b', '2')]);
    expect(prepared).toEqual({ text: 'select $1, $2, $1', values: ['2', '1'] });
  });

  it('leaves casts, strings, quoted identifiers, dollar quotes and comments alone', () => {
    const sql = `select x::date, ':no', E':no\\'', "a:no", $$ :no $$ -- :no\n/* :no */ from t where d = :d`;
    const prepared = prepareSql(sql, [p('d', '2024-01-01')]);
    expect(prepared.text).toBe(sql.replace('= :d', '= $1'));
    expect(prepared.values).toEqual(['2024-01-01']);
  });

  it('never splices values into the SQL text', () => {
    const evil = "'; drop table x; --";
    const prepared = prepareSql('select :v', [p('v', evil)]);
    expect(prepared.text).toBe('select $1');
    expect(prepared.text).not.toContain('drop');
  });

  it('rejects a missing, an unused and a repeated parameter', () => {
    expect(validationMessage(() => prepareSql('select :a, :b', [p('a', '1')]))).toContain(':b');
    expect(validationMessage(() => prepareSql('select :a', [p('a', '1'), p('zz', '2')]))).toContain("'zz'");
    expect(validationMessage(() => prepareSql('select :a', [p('a', '1'), p('a', '2')]))).toContain('more than once');
    expect(validationMessage(() => prepareSql('select :a', undefined))).toContain(':a');
  });

  it('allows unused parameters for a batch text', () => {
    expect(prepareSql('select 1', [p('a', '1')], { allowUnused: true })).toEqual({ text: 'select 1', values: [] });
  });

  it('casts chosen parameters to text on request', () => {
    const prepared = prepareSql('select :a is null, :b + 1', [p('a', 'x'), p('b', '1')], {
      textParameters: new Set([1]),
    });
    expect(prepared.text).toBe('select $1::text is null, $2 + 1');
  });

  it('quotes bare dateparts of datediff/dateadd/date_part', () => {
    expect(
      prepareSql('select datediff(day, a, b), DATEADD( month , 1, c), date_part(dow, d), foo(day, 1)', undefined).text,
    ).toBe("select datediff('day', a, b), DATEADD( 'month' , 1, c), date_part('dow', d), foo(day, 1)");
  });

  it('turns SYSDATE into the transaction timestamp, but not a qualified name or a function call', () => {
    expect(prepareSql('select sysdate, t.sysdate, sysdate() from t', undefined).text).toBe(
      'select localtimestamp, t.sysdate, sysdate() from t',
    );
  });

  it('moves LISTAGG … WITHIN GROUP (ORDER BY …) into the aggregate call', () => {
    expect(prepareSql("select listagg(name, ',') within group (order by f(id) desc) from t", undefined).text).toBe(
      "select listagg(name, ',' order by f(id) desc) from t",
    );
  });

  it('lists parameter names in order of first use', () => {
    expect(parameterNames("select :b, ':x', :a, :b")).toEqual(['b', 'a']);
  });
});
