// The singleton lock: exactly one of many simultaneous callers runs; clockless stale takeover;
// and the runtime and generated poll-mode machines contending on the same lock items.
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CancelStatementCommand } from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { loadPipeline } from '../../generator/load/load.ts';
import { acquireLock, releaseLock } from '../../runtime/src/lock.ts';
import { expiryTimestamp, LOCK_ATTRIBUTES, LOCK_SORT_KEY, lockKey } from '../../runtime/src/lock-key.ts';
import { executionArn, lambdaContext, s, startRuntimeHarness, TARGET_ENV, type RuntimeHarness } from './harness.ts';

let h: RuntimeHarness;

beforeAll(async () => {
  h = await startRuntimeHarness({
    initSql: 'create table runs (tag text); create table sleep_for (seconds float); insert into sleep_for values (0);',
  });
});
afterAll(async () => {
  await h?.stop();
});

const lockTarget = {
  kind: 'cluster' as const,
  name: TARGET_ENV.REDSHIFT_CLUSTER_ID,
  database: TARGET_ENV.REDSHIFT_DATABASE,
};
const lockOf = (sql: string) => lockKey(lockTarget, sql);
const lockItem = async (sql: string) => (await h.items()).find((item) => s(item, 'pk') === lockOf(sql));
const entered = (result: { history: { type: string; stateName?: string }[] }) =>
  result.history.flatMap((event) =>
    event.type.endsWith('StateEntered') && event.stateName !== undefined ? [event.stateName] : [],
  );

async function runsTagged(tag: string): Promise<number> {
  const { Id } = (await h.invoke({
    action: 'executeStatement',
    sqlStatement: 'select count(*)::int as n from runs where tag = :tag',
    parameters: { tag },
  })) as { Id: string };
  await h.settled(Id);
  const page = (await h.invoke({ action: 'getStatementResult', statementId: Id })) as {
    Records: { longValue: number }[][];
  };
  return page.Records[0]?.[0]?.longValue ?? -1;
}

const singleton = (sql: string, extra: Record<string, unknown> = {}) => ({
  action: 'executeSingletonStatement',
  sqlStatement: sql,
  ...extra,
});

describe('many simultaneous callers', () => {
  it('50 concurrent executeSingletonStatement calls on one SQL: exactly one statement runs', async () => {
    const gate = await h.gate();
    const sql = `insert into runs (tag) select 'fifty' from (select ${gate.sql}) as gated`;
    // Half anonymous (no executionArn), half from RUNNING executions: both ways of judging a holder.
    const callers = Array.from({ length: 50 }, (_, index) => {
      const requestId = `req-${index}`;
      const run = index % 2 === 0 ? h.runningExecution(`c${index}`) : undefined;
      return {
        requestId,
        owner: run ?? `lambda:${requestId}`,
        event: singleton(sql, run !== undefined ? { executionArn: run, stepId: 'fifty' } : {}),
      };
    });
    const outcomes = await Promise.allSettled(
      callers.map(({ event, requestId }) => h.invoke(event, lambdaContext(requestId))),
    );
    const winners = outcomes.flatMap((outcome, index) =>
      outcome.status === 'fulfilled' ? [{ index, id: (outcome.value as { Id: string }).Id }] : [],
    );
    expect(winners).toHaveLength(1);
    const winner = winners[0] as { index: number; id: string };
    await gate.open();
    const causes = new Set<string>();
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') {
        expect((outcome.reason as Error).name).toBe('ConcurrentExecution');
        causes.add((outcome.reason as Error).message);
      }
    }
    // The holder's statement id, or (while it had none yet) its owner.
    for (const cause of causes) expect([winner.id, callers[winner.index]?.owner]).toContain(cause);
    expect(await h.settled(winner.id)).toBe('FINISHED');
    expect(await runsTagged('fifty')).toBe(1);

    // Its statement is terminal: the lock is stale and the next caller takes it over (no event needed).
    const before = await lockItem(sql);
    expect(s(before, 'StatementId')).toBe(winner.id);
    await gate.close();
    const next = (await h.invoke(singleton(sql))) as { Id: string };
    const after = await lockItem(sql);
    expect(s(after, 'StatementId')).toBe(next.Id);
    expect(s(after, 'Nonce')).not.toBe(s(before, 'Nonce'));
    await gate.open();
    await h.settled(next.Id);
    expect(await runsTagged('fifty')).toBe(2);
    // Its completion event releases the lock.
    await h.invoke(await h.eventFor(next.Id));
    expect(await lockItem(sql)).toBeUndefined();
  }, 30_000);
});

describe('a holder that crashed between lock and execute', () => {
  const abandon = (sql: string, owner: string, options: { stepId?: string; deadline?: number } = {}) =>
    acquireLock({
      table: h.stack.stateTableName,
      key: lockOf(sql),
      owner,
      deadline: options.deadline ?? Math.floor(Date.now() / 1000) + 600,
      ...(options.stepId !== undefined ? { stepId: options.stepId } : {}),
    });

  it('an execution that no longer runs (or never existed): the next caller takes the lock over', async () => {
    for (const [label, holder] of [
      ['failed', h.runningExecution('crashed')],
      ['unknown', executionArn('never-started')],
    ] as const) {
      const gate = await h.gate();
      const sql = `insert into runs (tag) select 'takeover-${label}' from (select ${gate.sql}) as gated`;
      if (label === 'failed')
        h.stack.registry.finishExecution(holder, 'FAILED', { error: 'Lambda.Unknown', cause: 'crashed' });
      const abandoned = await abandon(sql, holder);
      expect(s(await lockItem(sql), 'Owner')).toBe(holder);
      const caller = h.runningExecution('next');
      const answer = (await h.invoke(singleton(sql, { executionArn: caller, stepId: 'next' }))) as { Id: string };
      const item = await lockItem(sql);
      expect({ owner: s(item, 'Owner'), statement: s(item, 'StatementId'), step: s(item, 'StepId') }).toEqual({
        owner: caller,
        statement: answer.Id,
        step: 'next',
      });
      expect(s(item, 'Nonce')).not.toBe(abandoned.nonce);
      await gate.open();
      await h.settled(answer.Id);
      expect(await runsTagged(`takeover-${label}`)).toBe(1);
    }
  });

  it('an execution still RUNNING without a statement: ConcurrentExecution naming it, even for its own retry, until its invocation deadline', async () => {
    const gate = await h.gate();
    const sql = `insert into runs (tag) select 'retry' from (select ${gate.sql}) as gated`;
    const holder = h.runningExecution('retrying');
    const abandoned = await abandon(sql, holder, { stepId: 'load' });
    const other = await h.invokeError(singleton(sql, { executionArn: h.runningExecution('other'), stepId: 'load' }));
    expect([other.name, other.message]).toEqual(['ConcurrentExecution', holder]);
    // The same execution in another step (a parallel branch) is another contender.
    const branch = await h.invokeError(singleton(sql, { executionArn: holder, stepId: 'elsewhere' }));
    expect(branch.name).toBe('ConcurrentExecution');
    // The same execution and step (a retried Task whose earlier invocation may still be about to
    // submit): refused too while that invocation can still run.
    const early = await h.invokeError(singleton(sql, { executionArn: holder, stepId: 'load' }));
    expect([early.name, early.message]).toEqual(['ConcurrentExecution', holder]);
    expect(s(await lockItem(sql), 'Nonce')).toBe(abandoned.nonce);

    // Past its deadline that invocation is over without a statement: any caller takes over.
    const expiredSql = `insert into runs (tag) select 'retry-expired' from (select ${gate.sql}) as gated`;
    await abandon(expiredSql, holder, { stepId: 'load', deadline: Math.floor(Date.now() / 1000) - 1 });
    const retry = (await h.invoke(singleton(expiredSql, { executionArn: holder, stepId: 'load' }))) as { Id: string };
    expect(s(await lockItem(expiredSql), 'StatementId')).toBe(retry.Id);
    await gate.open();
    expect(await h.settled(retry.Id)).toBe('FINISHED');
  });

  it('Parallel branches of one execution without step ids (hand-written machines): exactly one runs', async () => {
    const gate = await h.gate();
    const sql = `insert into runs (tag) select 'branches' from (select ${gate.sql}) as gated`;
    const run = h.runningExecution('branches');
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () => h.invoke(singleton(sql, { executionArn: run }))),
    );
    const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const refused = outcomes.flatMap((outcome) =>
      outcome.status === 'rejected' ? [(outcome.reason as Error).name] : [],
    );
    expect([winners.length, refused]).toEqual([1, Array.from({ length: 9 }, () => 'ConcurrentExecution')]);
    await gate.open();
    expect(await h.settled((winners[0] as PromiseFulfilledResult<{ Id: string }>).value.Id)).toBe('FINISHED');
    expect(await runsTagged('branches')).toBe(1);
  });

  it('an anonymous holder (no executionArn) is alive until its invocation deadline, then stale', async () => {
    const gate = await h.gate();
    const sql = "insert into runs (tag) select 'anonymous'";
    await abandon(sql, 'lambda:crashed-request');
    const blocked = await h.invokeError(singleton(sql));
    expect([blocked.name, blocked.message]).toEqual(['ConcurrentExecution', 'lambda:crashed-request']);
    const item = await lockItem(sql);
    expect(Number(item?.expiresAt?.N)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 600);

    const expiredSql = `insert into runs (tag) select 'anonymous-expired' from (select ${gate.sql}) as gated`;
    await abandon(expiredSql, 'lambda:long-dead', { deadline: Math.floor(Date.now() / 1000) - 1 });
    const answer = (await h.invoke(singleton(expiredSql), lambdaContext('fresh-request'))) as { Id: string };
    const taken = await lockItem(expiredSql);
    expect([s(taken, 'Owner'), s(taken, 'StatementId')]).toEqual(['lambda:fresh-request', answer.Id]);
    // Registered: now judged by its statement, with the full retention as TTL.
    expect(Number(taken?.expiresAt?.N)).toBeGreaterThan(Date.now() / 1000 + 24 * 3600);
    await gate.open();
    expect(await h.settled(answer.Id)).toBe('FINISHED');
  });

  it('a submit that fails releases the lock at once', async () => {
    const sql = 'select 1';
    const error = await h.invokeError(
      singleton(sql, { workgroupName: 'wg', database: 'dev', parameters: { unused: 'x' } }),
    );
    expect(error.name).toMatch(/^RedshiftData\./);
    expect(
      (await h.items()).some(
        (item) => s(item, 'pk') === lockKey({ kind: 'workgroup', name: 'wg', database: 'dev' }, sql),
      ),
    ).toBe(false);
  });
});

describe('the runtime and a poll-mode machine on the same lock', () => {
  // One SQL text (one lock key) whose duration the test sets: long while contended, short to finish.
  const sql = 'select pg_sleep(seconds) from sleep_for';
  const spec = `
version: 1
pipeline: interop
target: { cluster: ${TARGET_ENV.REDSHIFT_CLUSTER_ID}, database: ${TARGET_ENV.REDSHIFT_DATABASE}, dbUser: ${TARGET_ENV.REDSHIFT_DB_USER} }
defaults: { poll: { initial: 1s, max: 1s } }
steps:
  - id: sleepy
    sql: "${sql}"
    singleton: true
`;
  const loaded = loadPipeline({ path: 'interop.yaml', text: spec });
  const compiled = loaded.pipeline ? compilePipeline(loaded.pipeline).machine : undefined;
  const machine: unknown = compiled;

  async function sleepFor(seconds: number): Promise<void> {
    const { Id } = (await h.invoke({
      action: 'executeStatement',
      sqlStatement: 'update sleep_for set seconds = :seconds::float',
      parameters: { seconds },
    })) as { Id: string };
    expect(await h.settled(Id)).toBe('FINISHED');
  }

  it('compiles', () => {
    expect(loaded.errors).toEqual([]);
    expect(compiled).toBeDefined();
  });

  it('the machine fails ConcurrentExecution while the runtime’s statement runs, naming that statement although it may not describe it', async () => {
    await sleepFor(30);
    const held = (await h.invoke(
      singleton(sql, { stepId: 'sleepy', statementName: 'sfn-redshift/interop/sleepy' }),
    )) as { Id: string };
    const result = await h.stack.execute(machine, {}, { waitMs: 20 });
    // The machine's role may not describe the runtime's statement (the Data API shows a role only
    // its own): it judges the holder by its expiry and owner (here an invocation without
    // executionArn, alive until its expiry), and names the statement the lock item registers.
    expect([result.status, result.error, result.cause]).toEqual(['FAILED', 'ConcurrentExecution', held.Id]);
    expect(entered(result)).toEqual(
      expect.arrayContaining(['sleepy.HolderStatement', 'sleepy.HolderExecution', 'sleepy.HolderBusy', 'sleepy.Busy']),
    );
    // Cancelled: its ABORTED event makes the runtime release the lock; the machine then runs.
    await h.invoke({ action: 'cancelStatement', statementId: held.Id });
    await h.invoke(await h.eventFor(held.Id));
    expect(await lockItem(sql)).toBeUndefined();
    await sleepFor(0.05);
    const next = await h.stack.execute(machine, {}, { waitMs: 20 });
    expect(next.status).toBe('SUCCEEDED');
    expect(await lockItem(sql)).toBeUndefined();
  });

  const abandon = (owner: string, deadline: number) =>
    acquireLock({ table: h.stack.stateTableName, key: lockOf(sql), owner, deadline, stepId: 'sleepy' });
  const nowSeconds = () => Math.floor(Date.now() / 1000);

  /** The lock item as it is once its expiry passed and TTL has not deleted it yet. */
  async function expire(): Promise<void> {
    const past = nowSeconds() - 1;
    await h.stack.clients.dynamodb.send(
      new UpdateItemCommand({
        TableName: h.stack.stateTableName,
        Key: { pk: { S: lockOf(sql) }, sk: { S: LOCK_SORT_KEY } },
        UpdateExpression: 'SET #epoch = :epoch, #time = :time',
        ExpressionAttributeNames: { '#epoch': LOCK_ATTRIBUTES.expiresAt, '#time': LOCK_ATTRIBUTES.expiresAtTime },
        ExpressionAttributeValues: { ':epoch': { N: String(past) }, ':time': { S: expiryTimestamp(past) } },
      }),
    );
  }

  it('DynamoDB TTL leaves an expired runtime holder readable ("Working with expired items and time to live (TTL)"): the machine takes it over itself; an unexpired one still refuses', async () => {
    await sleepFor(0.05);
    for (const owner of [h.runningExecution('holder-still-running'), 'lambda:crashed-invocation']) {
      // Crashed between lock and submit, its invocation deadline ahead: no statement yet, so the
      // machine names the owner.
      const live = await abandon(owner, nowSeconds() + 600);
      const refused = await h.stack.execute(machine, {}, { waitMs: 20 });
      expect([refused.status, refused.error, refused.cause]).toEqual(['FAILED', 'ConcurrentExecution', owner]);
      expect(entered(refused)).toEqual(expect.arrayContaining(['sleepy.HolderExpiry', 'sleepy.BusyStarting']));
      expect(s(await lockItem(sql), 'Nonce')).toBe(live.nonce);
      // Past that deadline (the item still there, as TTL deletes lazily): stale, even though its
      // execution still runs or its owner is no execution at all.
      await expire();
      const taken = await h.stack.execute(machine, {}, { waitMs: 20 });
      expect(taken.status).toBe('SUCCEEDED');
      expect(entered(taken)).toEqual(expect.arrayContaining(['sleepy.HolderExpiry', 'sleepy.TakeOver']));
      expect(entered(taken)).not.toContain('sleepy.HolderExecution');
      expect(await lockItem(sql)).toBeUndefined();
      await releaseLock(live); // no longer ours to release: a no-op
    }
  });

  it('a lost completion event (EventBridge: best-effort delivery): the machine names the runtime’s statement until the holder’s retention expires, then takes over', async () => {
    await sleepFor(0.05);
    const held = (await h.invoke(
      singleton(sql, { stepId: 'sleepy', statementName: 'sfn-redshift/interop/sleepy' }),
    )) as { Id: string };
    expect(await h.settled(held.Id)).toBe('FINISHED');
    // Its event never comes: the lock stays registered with the retention (25 h) as its expiry.
    const item = await lockItem(sql);
    expect(s(item, 'StatementId')).toBe(held.Id);
    expect(s(item, LOCK_ATTRIBUTES.expiresAtTime)).toBe(expiryTimestamp(Number(item?.expiresAt?.N)));
    const refused = await h.stack.execute(machine, {}, { waitMs: 20 });
    expect([refused.status, refused.error, refused.cause]).toEqual(['FAILED', 'ConcurrentExecution', held.Id]);
    await expire();
    const taken = await h.stack.execute(machine, {}, { waitMs: 20 });
    expect(taken.status).toBe('SUCCEEDED');
    expect(entered(taken)).toEqual(
      expect.arrayContaining(['sleepy.HolderStatement', 'sleepy.HolderExpiry', 'sleepy.TakeOver']),
    );
    expect(await lockItem(sql)).toBeUndefined();
  });

  it('the runtime applies the same rule: an expired holder whose statement it cannot see is stale although its execution runs', async () => {
    await sleepFor(0.05);
    const holder = h.runningExecution('holder-of-unseen-statement');
    await abandon(holder, nowSeconds() + 600);
    await h.stack.clients.dynamodb.send(
      new UpdateItemCommand({
        TableName: h.stack.stateTableName,
        Key: { pk: { S: lockOf(sql) }, sk: { S: LOCK_SORT_KEY } },
        UpdateExpression: 'SET #statement = :statement',
        ExpressionAttributeNames: { '#statement': LOCK_ATTRIBUTES.statementId },
        ExpressionAttributeValues: { ':statement': { S: '00000000-0000-4000-8000-000000000000' } },
      }),
    );
    const blocked = await h.invokeError(
      singleton(sql, { executionArn: h.runningExecution('runtime'), stepId: 'sleepy' }),
    );
    expect([blocked.name, blocked.message]).toEqual(['ConcurrentExecution', '00000000-0000-4000-8000-000000000000']);
    await expire();
    const answer = (await h.invoke(singleton(sql))) as { Id: string };
    expect(s(await lockItem(sql), 'StatementId')).toBe(answer.Id);
    expect(await h.settled(answer.Id)).toBe('FINISHED');
    await h.invoke(await h.eventFor(answer.Id));
    expect(await lockItem(sql)).toBeUndefined();
  });

  it('the runtime fails ConcurrentExecution while the machine’s statement runs, and runs once it released', async () => {
    await sleepFor(30);
    const running = h.stack.execute(machine, {}, { waitMs: 20 });
    let holder: string | undefined;
    for (let i = 0; i < 400 && holder === undefined; i++) {
      holder = s(await lockItem(sql), 'StatementId');
      if (holder === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(holder).toBeDefined();
    const blocked = await h.invokeError(
      singleton(sql, { executionArn: h.runningExecution('runtime'), stepId: 'sleepy' }),
    );
    expect([blocked.name, blocked.message]).toEqual(['ConcurrentExecution', holder]);
    // The runtime may not cancel the machine's statement (another role's), as in AWS.
    expect((await h.invokeError({ action: 'cancelStatement', statementId: holder ?? '' })).name).toBe(
      'RedshiftData.ResourceNotFoundException',
    );
    // Cancelled under the machine (by its own role): it fails Redshift.StatementAborted and releases the lock.
    await h.stack.clients.redshiftData.send(new CancelStatementCommand({ Id: holder }));
    const result = await running;
    expect([result.status, result.error]).toEqual(['FAILED', 'Redshift.StatementAborted']);
    expect(await lockItem(sql)).toBeUndefined();
    await sleepFor(0.05);
    const answer = (await h.invoke(singleton(sql))) as { Id: string };
    expect(await h.settled(answer.Id)).toBe('FINISHED');
  });
});
