// Singleton steps of generated poll-mode machines, end to end: the DynamoDB lock of the contract
// (dynalite), holders judged through the local Data API and the local Step Functions API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CancelStatementCommand, DescribeStatementCommand } from '@aws-sdk/client-redshift-data';
import type { LocalStack } from '../../local/stack.ts';
import { startTestStack } from '../support/shared-postgres.ts';
import type { PipelineRun } from '../../local/run-pipeline.ts';
import { LOCK_SORT_KEY, lockKey } from '../../runtime/src/lock-key.ts';
import { closedGate, pipelineFrom, run, spec, sql, statement, statesEntered, UUID } from './helpers.ts';

let stack: LocalStack;
/** executionArn → how many more DescribeExecution requests naming it Step Functions throttles. */
const throttledDescribes = new Map<string, number>();

beforeAll(async () => {
  stack = await startTestStack({
    initSql: 'create table singleton_log (run int);',
    throttleSfnApi: (operation, input) => {
      const left = operation === 'DescribeExecution' ? throttledDescribes.get(String(input.executionArn)) : undefined;
      if (left === undefined || left <= 0) return false;
      throttledDescribes.set(String(input.executionArn), left - 1);
      return true;
    },
  });
});

afterAll(async () => {
  await stack?.stop();
});

/** The lock item of `text` on the specs' target (cluster "local" through ${ClusterId}, database dev). */
async function lockItem(text: string) {
  const key = {
    pk: { S: lockKey({ kind: 'cluster', name: 'local', database: 'dev' }, text) },
    sk: { S: LOCK_SORT_KEY },
  };
  const { Item } = await stack.clients.dynamodb.send(
    new GetItemCommand({ TableName: stack.stateTableName, Key: key, ConsistentRead: true }),
  );
  return Item;
}

async function putLock(text: string, attributes: Record<string, string>): Promise<void> {
  const Item = {
    pk: { S: lockKey({ kind: 'cluster', name: 'local', database: 'dev' }, text) },
    sk: { S: LOCK_SORT_KEY },
    Pipeline: { S: 'someone-else' },
    StepId: { S: 'elsewhere' },
    ...Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { S: value }])),
  };
  await stack.clients.dynamodb.send(new PutItemCommand({ TableName: stack.stateTableName, Item }));
}

async function waitTerminal(id: string): Promise<void> {
  await expect
    .poll(async () => (await stack.clients.redshiftData.send(new DescribeStatementCommand({ Id: id }))).Status, {
      timeout: 10_000,
      interval: 10,
    })
    .toMatch(/^(FINISHED|FAILED|ABORTED)$/);
}

function singletonSpec(pipeline: string, text: string, extra = ''): string {
  return spec(pipeline, `  - id: guarded\n    sql: ${JSON.stringify(text)}\n    singleton: true\n${extra}`);
}

const recordOf = (result: PipelineRun, step = 'guarded') =>
  (result.output as { steps: Record<string, { Id: string }> }).steps[step];

describe('singleton steps', () => {
  it('of three concurrent runs exactly one runs, the others fail ConcurrentExecution; a later run succeeds', async () => {
    const gate = await closedGate(stack, 7001);
    const text = `insert into singleton_log select 1 from ${gate.sql} g`;
    const pipeline = pipelineFrom(singletonSpec('contended', text));
    try {
      const runs = [0, 1, 2].map(() => run(stack, pipeline));
      // The winner blocks on the gate: the two losers settle first.
      const settled: PipelineRun[] = [];
      for (const pending of runs) void pending.then((result) => settled.push(result));
      await expect.poll(() => settled.length, { timeout: 10_000, interval: 10 }).toBe(2);
      const losers = [...settled];
      for (const loser of losers) {
        expect([loser.status, loser.error]).toEqual(['FAILED', 'ConcurrentExecution']);
        expect(statesEntered(loser)).not.toContain('guarded.Execute');
      }
      expect(await lockItem(text)).toBeDefined();
      await gate.open();
      const results = await Promise.all(runs);
      const winners = results.filter((result) => result.status === 'SUCCEEDED');
      expect(winners).toHaveLength(1);
      const winner = winners[0] as PipelineRun;
      // Cause: the holder's statement id, or its execution while it had none registered yet.
      expect(results.filter((result) => result !== winner)).toEqual(expect.arrayContaining(losers));
      for (const loser of losers) expect([recordOf(winner)?.Id, winner.executionArn]).toContain(loser.cause);
      expect(await sql(stack, 'select count(*)::int as n from singleton_log')).toEqual([{ n: 1 }]);
      expect(await lockItem(text)).toBeUndefined();

      const later = await run(stack, pipeline);
      expect(later.status).toBe('SUCCEEDED');
      expect(await sql(stack, 'select count(*)::int as n from singleton_log')).toEqual([{ n: 2 }]);
    } finally {
      await gate.open();
      await gate.close();
    }
  });

  it('takes over a stale lock whose owner execution does not exist', async () => {
    const text = 'select 1 as stale_ghost';
    await putLock(text, { Owner: 'arn:aws:states:us-east-1:123456789012:execution:gone:ghost', Nonce: 'ghost-nonce' });
    const result = await run(stack, singletonSpec('stale-ghost', text));
    expect(result.status).toBe('SUCCEEDED');
    expect(statesEntered(result)).toEqual(
      expect.arrayContaining(['guarded.Holder', 'guarded.HolderExecution', 'guarded.TakeOver', 'guarded.Execute']),
    );
    expect(await lockItem(text)).toBeUndefined();
  });

  it('a throttled holder check (Step Functions API throttling: ThrottlingException, outside the SFN model, so Sfn.SfnException) is retried, then judged', async () => {
    const text = 'select 1 as stale_throttled';
    const owner = 'arn:aws:states:us-east-1:123456789012:execution:gone:throttled';
    throttledDescribes.set(owner, 2);
    await putLock(text, { Owner: owner, Nonce: 'throttled-nonce' });
    const result = await run(stack, singletonSpec('stale-throttled', text));
    expect(result.status).toBe('SUCCEEDED');
    // Retried as transient; the third answer judges the holder (gone: stale, taken over).
    const describes = result.history.filter(
      (event) => event.type === 'TaskFailed' && event.resource === 'arn:aws:states:::aws-sdk:sfn:describeExecution',
    );
    expect(describes.map((event) => [event.error, event.cause])).toEqual([
      ['Sfn.SfnException', 'Rate exceeded'],
      ['Sfn.SfnException', 'Rate exceeded'],
      ['Sfn.ExecutionDoesNotExistException', `Execution Does Not Exist: '${owner}'`],
    ]);
    expect(throttledDescribes.get(owner)).toBe(0);
    expect(statesEntered(result)).toEqual(expect.arrayContaining(['guarded.HolderExecution', 'guarded.TakeOver']));
    expect(await lockItem(text)).toBeUndefined();
  });

  it('takes over a stale lock whose owner execution is no longer running', async () => {
    const text = 'select 1 as stale_finished';
    const earlier = await run(stack, spec('earlier', '  - id: earlier\n    sql: select 1\n'));
    expect(earlier.status).toBe('SUCCEEDED');
    await putLock(text, { Owner: earlier.executionArn, Nonce: 'finished-nonce' });
    const result = await run(stack, singletonSpec('stale-finished', text));
    expect(result.status).toBe('SUCCEEDED');
    expect(statesEntered(result)).toEqual(
      expect.arrayContaining(['guarded.HolderExecution', 'guarded.HolderAlive', 'guarded.TakeOver']),
    );
    expect(await lockItem(text)).toBeUndefined();
  });

  // DescribeExecution answers the execution's input and output (up to 256 KiB each), and a
  // connector's output over 256 KiB fails the state with States.DataLimitExceeded, which no Catch
  // sees ("Step Functions service quotas", "Error handling"): the holder is judged by its metadata
  // alone (includedData METADATA_ONLY, DescribeExecution API reference).
  it('judges a holder execution with a 150 KB input and output by its status, never reading them', async () => {
    const text = 'select 1 as stale_big_holder';
    const big = 'z'.repeat(150_000);
    const earlier = await run(stack, spec('earlier-big', '  - id: earlier\n    sql: select 1\n'), { input: { big } });
    expect(earlier.status).toBe('SUCCEEDED');
    await putLock(text, { Owner: earlier.executionArn, Nonce: 'big-nonce' });
    const result = await run(stack, singletonSpec('stale-big', text));
    expect(result.status).toBe('SUCCEEDED');
    expect(statesEntered(result)).toEqual(expect.arrayContaining(['guarded.HolderExecution', 'guarded.TakeOver']));
  });

  it('takes over a stale lock whose statement is terminal, judged by the statement alone', async () => {
    const text = 'select 1 as stale_statement';
    const finished = await statement(stack, 'select 42');
    // The owner is a RUNNING execution, yet a holder with a statement is judged by that statement.
    const gate = await closedGate(stack, 7002);
    try {
      const alive = run(stack, spec('alive-owner', `  - id: waiting\n    sql: "select 1 from ${gate.sql} g"\n`));
      await expect
        .poll(() => stack.registry.runningExecutions().filter((arn) => arn.includes(':alive-owner:')), {
          timeout: 5000,
          interval: 10,
        })
        .toHaveLength(1);
      const [owner] = stack.registry.runningExecutions().filter((arn) => arn.includes(':alive-owner:'));
      await putLock(text, { Owner: owner as string, Nonce: 'statement-nonce', StatementId: finished });
      const result = await run(stack, singletonSpec('stale-statement', text));
      expect(result.status).toBe('SUCCEEDED');
      const entered = statesEntered(result);
      expect(entered).toEqual(
        expect.arrayContaining(['guarded.HolderStatement', 'guarded.HolderRunning', 'guarded.TakeOver']),
      );
      expect(entered).not.toContain('guarded.HolderExecution');
      expect(await lockItem(text)).toBeUndefined();
      await gate.open();
      expect((await alive).status).toBe('SUCCEEDED');
    } finally {
      await gate.open();
      await gate.close();
    }
  });

  it('does not take over a lock whose statement still runs (ConcurrentExecution naming it), but does once it ended', async () => {
    const text = 'select 1 as held_by_running';
    const running = await statement(stack, 'select pg_sleep(30) as lock_holder_probe', ['STARTED']);
    await putLock(text, {
      Owner: 'arn:aws:states:us-east-1:123456789012:execution:x:holder',
      Nonce: 'running-nonce',
      StatementId: running,
    });
    const blocked = await run(stack, singletonSpec('held', text));
    expect([blocked.status, blocked.error, blocked.cause]).toEqual(['FAILED', 'ConcurrentExecution', running]);
    expect((await lockItem(text))?.Nonce?.S).toBe('running-nonce');
    await stack.clients.redshiftData.send(new CancelStatementCommand({ Id: running }));
    const after = await run(stack, singletonSpec('held', text));
    expect(after.status).toBe('SUCCEEDED');
    expect(await lockItem(text)).toBeUndefined();
  });

  it('a redrive (this very execution and step) never takes over its lock while the statement runs; without a statement it does', async () => {
    // The earlier attempt's lock, left behind when the execution stopped: the ARN is known up front.
    const text = 'select 1 as redriven';
    const name = `redrive-${Date.now()}`;
    const self = `arn:aws:states:us-east-1:123456789012:execution:redriven:${name}`;
    const running = await statement(stack, 'select pg_sleep(30) as redrive_probe', ['STARTED']);
    await putLock(text, { Owner: self, StepId: 'guarded', Nonce: 'earlier-attempt', StatementId: running });
    const blocked = await run(stack, singletonSpec('redriven', text), { name });
    expect(blocked.executionArn).toBe(self);
    expect([blocked.status, blocked.error, blocked.cause]).toEqual(['FAILED', 'ConcurrentExecution', running]);
    expect((await lockItem(text))?.Nonce?.S).toBe('earlier-attempt');
    await stack.clients.redshiftData.send(new CancelStatementCommand({ Id: running }));

    // No statement registered: the earlier attempt never submitted (a step never runs twice at once).
    const unsubmitted = 'select 1 as redriven_unsubmitted';
    const again = `redrive-again-${Date.now()}`;
    await putLock(unsubmitted, { Owner: self.replace(name, again), StepId: 'guarded', Nonce: 'earlier-attempt' });
    const taken = await run(stack, singletonSpec('redriven', unsubmitted), { name: again });
    expect(taken.status).toBe('SUCCEEDED');
    expect(statesEntered(taken)).toEqual(expect.arrayContaining(['guarded.HolderState', 'guarded.TakeOver']));
    expect(statesEntered(taken)).not.toContain('guarded.HolderExecution');
  });

  it('releases the lock after a SQL failure and after a timeout, raising the contract errors', async () => {
    const failing = 'select * from singleton_missing_table';
    const failed = await run(stack, singletonSpec('single-fail', failing));
    expect([failed.status, failed.error]).toEqual(['FAILED', 'Redshift.StatementFailed']);
    expect(failed.cause).toMatch(/relation "singleton_missing_table" does not exist/);
    expect(failed.steps[0]).toMatchObject({ phase: 'failed', error: 'Redshift.StatementFailed', cause: failed.cause });
    expect(statesEntered(failed)).toContain('guarded.ReleaseOnError');
    expect(await lockItem(failing)).toBeUndefined();

    const sleeping = 'select pg_sleep(30) as singleton_timeout_probe';
    const timedOut = await run(
      stack,
      singletonSpec('single-timeout', sleeping, '    timeout: 2s\n    poll: { initial: 1s, max: 1s }\n'),
    );
    expect([timedOut.status, timedOut.error]).toEqual(['FAILED', 'Redshift.StatementTimeout']);
    expect(timedOut.cause).toMatch(UUID);
    expect(timedOut.cause).toBe(timedOut.steps[0]?.statementId);
    expect(await lockItem(sleeping)).toBeUndefined();
    const active = await sql(
      stack,
      "select pid from pg_stat_activity where state = 'active' and query like '%singleton_timeout_probe%' and pid <> pg_backend_pid() and datname = current_database()",
    );
    expect(active).toEqual([]);
  });

  it('two singleton steps of one machine, same SQL, racing in two Parallel branches: exactly one runs, 20 times', async () => {
    const gateKey = 7100;
    const text = `insert into race_log select 1 from (select pg_advisory_xact_lock_shared(${gateKey})) g`;
    await sql(stack, 'create table if not exists race_log (n int)');
    const branch = (id: string) =>
      `      - steps:\n          - id: ${id}\n            sql: ${JSON.stringify(text)}\n            singleton: true\n`;
    const pipeline = pipelineFrom(spec('race', `  - id: fan\n    parallel:\n${branch('left')}${branch('right')}`));
    const busy = /^(left|right)\.Busy(Starting)?$/;
    for (let iteration = 1; iteration <= 20; iteration++) {
      const gate = await closedGate(stack, gateKey);
      try {
        // The winner blocks on the gate; it opens once the loser has failed, so the loser cannot
        // find the lock free again after the winner's release.
        const result = await run(stack, pipeline, {
          onEvent: (event) =>
            void (event.type === 'FailStateEntered' && busy.test(event.stateName ?? '') && gate.open()),
        });
        expect([iteration, result.status, result.error]).toEqual([iteration, 'FAILED', 'ConcurrentExecution']);
        const submitted = result.history.filter(
          (event) => event.type === 'TaskStateEntered' && /^(left|right)\.Execute$/.test(event.stateName ?? ''),
        );
        expect([iteration, submitted.length]).toEqual([iteration, 1]);
        await gate.open();
        // The next race must not meet this winner still running.
        const winner = result.steps.find((step) => step.statementId !== undefined)?.statementId;
        expect(winner).toBeDefined();
        await waitTerminal(winner as string);
        await expect
          .poll(async () => (await sql<{ n: number }>(stack, 'select count(*)::int as n from race_log'))[0]?.n, {
            timeout: 10_000,
            interval: 10,
          })
          .toBe(iteration);
      } finally {
        await gate.open();
        await gate.close();
      }
    }
  }, 120_000);

  it('works inside a parallel branch: records merge, the lock is released', async () => {
    const text = 'insert into singleton_log values (3)';
    const result = await run(
      stack,
      spec(
        'single-parallel',
        `  - id: fan
    parallel:
      - steps:
          - id: locked
            sql: ${JSON.stringify(text)}
            singleton: true
      - steps:
          - id: free
            sql: select 1
`,
      ),
      { input: { keep: { me: true } } },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({
      keep: { me: true },
      steps: {
        locked: { Id: expect.stringMatching(UUID), Status: 'FINISHED', ResultRows: 1, HasResultSet: false },
        free: { Id: expect.stringMatching(UUID), Status: 'FINISHED', ResultRows: 1, HasResultSet: true },
      },
    });
    expect(statesEntered(result)).toEqual(expect.arrayContaining(['locked.Lock', 'locked.Acquire', 'locked.Release']));
    expect(await lockItem(text)).toBeUndefined();
    expect(await sql(stack, 'select count(*)::int as n from singleton_log where run = 3')).toEqual([{ n: 1 }]);
  });
});
