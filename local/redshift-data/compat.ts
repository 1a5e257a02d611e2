// Redshift functions that PostgreSQL lacks, installed as SQL functions so typical Redshift SQL
// runs unchanged. Keyword arguments (datediff(day, …)), SYSDATE and LISTAGG … WITHIN GROUP need
// the rewrite in sql.ts as well; these definitions cover the quoted forms.
import type pg from 'pg';

// Bump when the definitions change: an up-to-date database is then left untouched.
const compatVersion = 1;

// Long, but SQL text rather than logic: one CREATE FUNCTION per Redshift function, read top to bottom.
function definitions(schema: string): string {
  const s = schema;
  return `
create or replace function ${s}.getdate() returns timestamp language sql stable
  as $$ select date_trunc('second', statement_timestamp())::timestamp $$;

create or replace function ${s}.nvl(anycompatible, anycompatible) returns anycompatible
  language sql immutable as $$ select coalesce($1, $2) $$;
create or replace function ${s}.nvl(anycompatible, anycompatible, anycompatible) returns anycompatible
  language sql immutable as $$ select coalesce($1, $2, $3) $$;
create or replace function ${s}.nvl2(anyelement, anycompatible, anycompatible) returns anycompatible
  language sql immutable as $$ select case when $1 is not null then $2 else $3 end $$;

create or replace function ${s}.len(text) returns integer language sql immutable as $$ select length($1) $$;
create or replace function ${s}.len(bpchar) returns integer language sql immutable as $$ select length($1) $$;
create or replace function ${s}.charindex(text, text) returns integer language sql immutable
  as $$ select strpos($2, $1) $$;

create or replace function ${s}.convert_timezone(text, text, timestamp) returns timestamp
  language sql stable as $$ select ($3 at time zone $1) at time zone $2 $$;
create or replace function ${s}.convert_timezone(text, timestamp) returns timestamp
  language sql stable as $$ select ($2 at time zone 'UTC') at time zone $1 $$;
create or replace function ${s}.convert_timezone(text, timestamptz) returns timestamp
  language sql stable as $$ select $2 at time zone $1 $$;
create or replace function ${s}.convert_timezone(text, text, text) returns timestamp
  language sql stable as $$ select ($3::timestamp at time zone $1) at time zone $2 $$;
create or replace function ${s}.convert_timezone(text, text) returns timestamp
  language sql stable as $$ select ($2::timestamp at time zone 'UTC') at time zone $1 $$;

create or replace function ${s}.sfn_redshift_datepart(part text) returns text language plpgsql immutable as $$
begin
  case lower(trim(part))
    when 'millennium', 'millennia', 'mil', 'mils' then return 'millennium';
    when 'century', 'centuries', 'c', 'cent', 'cents' then return 'century';
    when 'decade', 'decades', 'dec', 'decs' then return 'decade';
    when 'year', 'years', 'y', 'yr', 'yrs' then return 'year';
    when 'quarter', 'quarters', 'qtr', 'qtrs' then return 'quarter';
    when 'month', 'months', 'mon', 'mons' then return 'month';
    when 'week', 'weeks', 'w' then return 'week';
    when 'day', 'days', 'd' then return 'day';
    when 'hour', 'hours', 'h', 'hr', 'hrs' then return 'hour';
    when 'minute', 'minutes', 'm', 'min', 'mins' then return 'minute';
    when 'second', 'seconds', 's', 'sec', 'secs' then return 'second';
    when 'millisecond', 'milliseconds', 'ms', 'msec', 'msecs', 'msecond', 'mseconds', 'millisec', 'millisecs', 'millisecon'
      then return 'millisecond';
    when 'microsecond', 'microseconds', 'microsec', 'microsecs', 'microsecond', 'usecond', 'useconds', 'us', 'usec', 'usecs'
      then return 'microsecond';
    else raise exception 'datepart "%" is not supported', part using errcode = '22023';
  end case;
end $$;

-- Redshift counts the datepart boundaries crossed between the two values, not whole intervals.
create or replace function ${s}.datediff(text, timestamp, timestamp) returns bigint language plpgsql immutable as $$
declare
  part text := ${s}.sfn_redshift_datepart($1);
  a timestamp := $2;
  b timestamp := $3;
  months bigint := (extract(year from b)::bigint * 12 + extract(month from b)::bigint)
                 - (extract(year from a)::bigint * 12 + extract(month from a)::bigint);
begin
  if a is null or b is null then return null; end if;
  case part
    when 'millennium' then return (extract(millennium from b) - extract(millennium from a))::bigint;
    when 'century' then return (extract(century from b) - extract(century from a))::bigint;
    when 'decade' then return (extract(decade from b) - extract(decade from a))::bigint;
    when 'year' then return (extract(year from b) - extract(year from a))::bigint;
    when 'quarter' then return (extract(year from b)::bigint * 4 + extract(quarter from b)::bigint)
                             - (extract(year from a)::bigint * 4 + extract(quarter from a)::bigint);
    when 'month' then return months;
    when 'week' then return (date_trunc('week', b)::date - date_trunc('week', a)::date) / 7;
    when 'day' then return b::date - a::date;
    when 'hour' then return ((extract(epoch from date_trunc('hour', b)) - extract(epoch from date_trunc('hour', a))) / 3600)::bigint;
    when 'minute' then return ((extract(epoch from date_trunc('minute', b)) - extract(epoch from date_trunc('minute', a))) / 60)::bigint;
    when 'second' then return (extract(epoch from date_trunc('second', b)) - extract(epoch from date_trunc('second', a)))::bigint;
    when 'millisecond' then
      return ((extract(epoch from date_trunc('milliseconds', b)) - extract(epoch from date_trunc('milliseconds', a))) * 1000)::bigint;
    else return ((extract(epoch from b) - extract(epoch from a)) * 1000000)::bigint;
  end case;
end $$;
create or replace function ${s}.datediff(text, timestamptz, timestamptz) returns bigint language sql stable
  as $$ select ${s}.datediff($1, $2::timestamp, $3::timestamp) $$;
create or replace function ${s}.datediff(text, text, text) returns bigint language sql stable
  as $$ select ${s}.datediff($1, $2::timestamp, $3::timestamp) $$;
create or replace function ${s}.datediff(text, time, time) returns bigint language sql immutable
  as $$ select ${s}.datediff($1, '2000-01-01'::date + $2, '2000-01-01'::date + $3) $$;

create or replace function ${s}.dateadd(text, bigint, timestamp) returns timestamp language plpgsql immutable as $$
declare
  part text := ${s}.sfn_redshift_datepart($1);
  unit interval := case part
    when 'millennium' then interval '1000 years' when 'century' then interval '100 years'
    when 'decade' then interval '10 years' when 'year' then interval '1 year'
    when 'quarter' then interval '3 months' when 'month' then interval '1 month'
    when 'week' then interval '7 days' when 'day' then interval '1 day'
    when 'hour' then interval '1 hour' when 'minute' then interval '1 minute'
    when 'second' then interval '1 second' when 'millisecond' then interval '1 millisecond'
    else interval '1 microsecond' end;
begin
  return $3 + unit * $2;
end $$;
create or replace function ${s}.dateadd(text, bigint, timestamptz) returns timestamptz language sql stable
  as $$ select (${s}.dateadd($1, $2, $3::timestamp))::timestamptz $$;
create or replace function ${s}.dateadd(text, bigint, date) returns timestamp language sql immutable
  as $$ select ${s}.dateadd($1, $2, $3::timestamp) $$;
-- A string literal picks the text overload (PostgreSQL prefers the string category for unknown
-- literals); without it, it would resolve to timestamptz, unlike Redshift.
create or replace function ${s}.dateadd(text, bigint, text) returns timestamp language sql stable
  as $$ select ${s}.dateadd($1, $2, $3::timestamp) $$;

create or replace function ${s}.sfn_redshift_listagg_step(state text, value text, delimiter text) returns text
  language sql immutable as $$
    select case when value is null then state when state is null then value else state || delimiter || value end
  $$;
create or replace function ${s}.sfn_redshift_listagg_step(state text, value text) returns text
  language sql immutable as $$ select case when value is null then state else coalesce(state, '') || value end $$;
create or replace aggregate ${s}.listagg(text, text) (sfunc = ${s}.sfn_redshift_listagg_step, stype = text);
create or replace aggregate ${s}.listagg(text) (sfunc = ${s}.sfn_redshift_listagg_step, stype = text);

create or replace function ${s}.sfn_redshift_compat_version() returns integer language sql immutable
  as $$ select ${compatVersion} $$;
`;
}

/**
 * Installs the Redshift compatibility functions (idempotent, safe to run concurrently).
 * They go into pg_catalog when the user is a superuser, so they resolve whatever the search_path,
 * like Redshift's built-ins; otherwise into public.
 */
export async function installRedshiftCompat(client: pg.ClientBase): Promise<void> {
  const probe = await client.query<{ superuser: boolean; installed: number }>(
    `select rolsuper as superuser,
            coalesce((select max(substring(prosrc from '\\d+')::int) from pg_proc
                       where proname = 'sfn_redshift_compat_version'), 0) as installed
       from pg_roles where rolname = current_user`,
  );
  const row = probe.rows[0];
  if (row?.installed === compatVersion) return;
  const schema = row?.superuser === true ? 'pg_catalog' : 'public';
  await client.query('begin');
  try {
    // Concurrent CREATE OR REPLACE of one function fails with "tuple concurrently updated".
    await client.query(`select pg_advisory_xact_lock(hashtext('sfn-redshift compat'))`);
    await client.query(definitions(schema));
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  }
}
