// Statements whose completion the benchmark controls, in simulated time.
//
// A simulated statement is `select pg_advisory_xact_lock(<key>)` while the benchmark's own
// PostgreSQL session holds the advisory lock <key>: it runs (STARTED) until the benchmark unlocks.
//
// Poll designs: each execution has a virtual clock, the sum of the seconds of the Wait states it
// has entered, read from the engine's own events (the Wait state's Seconds, or its SecondsPath
// evaluated on the state's input). Waits take no real time (`waitMs: 0`). A middleware on the
// stack's Data API client holds the n-th DescribeStatement of the statement until the clock has
// seen the n-th Wait; if those n waits add up to the statement's duration or more, it unlocks and
// lets the call through only once the Data API reports the statement FINISHED. So every Describe
// sees exactly what the real service would at that simulated time, whatever the real timing, and
// the machine's counts are those of the real service.
//
// Long-polled calls (WaitTimeSeconds: the longPoll design's submit and Describe calls) advance the
// clock themselves: a call during which the statement reaches its duration unlocks it and waits
// for its end, as the service does (the clock moves to the statement's end); any other answers at
// once with the running status (the local long-poll cap of 0 ms) and the clock moves a whole window.
//
// Callback designs have no Wait: the statement is unlocked after its duration × a compression
// factor in real time (the history of a waiting Task does not depend on how long it waits).
import pg from 'pg';
import { DescribeStatementCommand, type RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { createRedshiftDataClient, type LocalStack } from '../../local/stack.ts';
import { LOCAL_RUNTIME_CREDENTIALS } from '../../local/executor/aws.ts';
import { LONG_POLL_CAP_HEADER } from '../../local/redshift-data/long-poll.ts';

type StateView = { name?: unknown; type?: unknown; input?: unknown };
type EngineEventView = { type?: unknown; state?: StateView };
type JsonObject = { [key: string]: unknown };

let nextKey = 7_300_000;

/** The real wait the simulator allows a long-polled call, by the call's middleware context. */
const capOf = new WeakMap<object, number>();

/** Sum of the Wait states an execution has entered and left, in simulated seconds. */
export class VirtualClock {
  /** Seconds of each Wait entered, in order. */
  readonly waits: number[] = [];
  private exitedCount = 0;
  private exitedSum = 0;
  private readonly pending: { count: number; resolve: () => void }[] = [];

  /** Simulated seconds waited so far (Waits left). */
  get waitedSeconds(): number {
    return this.exitedSum;
  }

  entered(seconds: number): void {
    this.waits.push(seconds);
    for (const waiter of [...this.pending]) {
      if (this.waits.length >= waiter.count) {
        this.pending.splice(this.pending.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  exited(): void {
    const seconds = this.waits[this.exitedCount];
    if (seconds === undefined) throw new Error('a Wait exited that was never entered');
    this.exitedCount += 1;
    this.exitedSum += seconds;
  }

  /** A long-polled call that waited `seconds` (a Wait entered and left at once). */
  longPolled(seconds: number): void {
    this.entered(seconds);
    this.exited();
  }

  /** Resolves once `count` Waits were entered. */
  untilEntered(count: number): Promise<void> {
    if (this.waits.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.pending.push({ count, resolve }));
  }

  /** Simulated seconds at the end of the first `count` Waits. */
  secondsAfter(count: number): number {
    return this.waits.slice(0, count).reduce((sum, seconds) => sum + seconds, 0);
  }
}

export type SimulatedStatement = {
  readonly key: number;
  /** virtual: released by the simulated clock of its poll loop; timer: by the caller (release/releaseAfter). */
  readonly control: 'virtual' | 'timer';
  /** Simulated run time; Infinity: never ends on its own. */
  readonly durationSeconds: number;
  /** The expression that blocks until released (put it in the statement's SQL). */
  readonly sql: string;
  readonly clock: VirtualClock;
  statementId?: string;
  /** DescribeStatement calls the machine made. */
  describes: number;
  /** Simulated seconds at which the statement was let finish (poll designs). */
  releasedAtSeconds?: number;
  /** Real time (Date.now()) right after PostgreSQL released it. */
  releasedAtMs?: number;
  released: boolean;
};

/** Waits states in a definition (nested ones included), by name. */
function waitStates(definition: unknown, into = new Map<string, JsonObject>()): Map<string, JsonObject> {
  if (typeof definition !== 'object' || definition === null) return into;
  const states = (definition as JsonObject).States;
  if (typeof states !== 'object' || states === null) return into;
  for (const [name, state] of Object.entries(states as JsonObject)) {
    if (typeof state !== 'object' || state === null) continue;
    const fields = state as JsonObject;
    if (fields.Type === 'Wait') into.set(name, fields);
    if (Array.isArray(fields.Branches)) for (const branch of fields.Branches) waitStates(branch, into);
    for (const nested of [fields.ItemProcessor, fields.Iterator]) if (nested !== undefined) waitStates(nested, into);
  }
  return into;
}

/** `$.a.b.c` on a value; only plain dotted paths (what the compared machines use). */
export function readPath(value: unknown, path: string): unknown {
  if (path === '$') return value;
  if (!/^\$(\.[A-Za-z_][A-Za-z0-9_-]*)+$/.test(path)) throw new Error(`unsupported path ${path}`);
  let current = value;
  for (const part of path.slice(2).split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as JsonObject)[part];
  }
  return current;
}

/** The seconds a Wait state waits on this input (Seconds or SecondsPath). */
export function waitSeconds(state: JsonObject, input: unknown): number {
  if (state.InputPath !== undefined) throw new Error('Wait states with InputPath are not simulated');
  if (typeof state.Seconds === 'number') return state.Seconds;
  if (typeof state.SecondsPath === 'string') {
    const seconds = readPath(input, state.SecondsPath);
    if (typeof seconds !== 'number') throw new Error(`${state.SecondsPath} is not a number on the Wait's input`);
    return seconds;
  }
  throw new Error('only Seconds and SecondsPath Waits are simulated');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Simulator {
  private readonly byKey = new Map<number, SimulatedStatement>();
  private readonly byStatement = new Map<string, SimulatedStatement>();
  private readonly clocks = new Map<string, VirtualClock>();
  private readonly instrumented = new WeakSet<object>();

  private constructor(
    private readonly stack: LocalStack,
    private readonly holder: pg.Client,
    private readonly observer: RedshiftDataClient,
    /** The runtime's role: the Data API shows a role only its own statements (callback steps'). */
    private readonly runtimeObserver: RedshiftDataClient,
  ) {}

  static async start(stack: LocalStack): Promise<Simulator> {
    const holder = new pg.Client({ connectionString: stack.databaseUrl });
    holder.on('error', () => undefined);
    await holder.connect();
    const simulator = new Simulator(
      stack,
      holder,
      createRedshiftDataClient(stack.endpoints.redshiftData),
      createRedshiftDataClient(stack.endpoints.redshiftData, LOCAL_RUNTIME_CREDENTIALS),
    );
    simulator.observe(stack.clients.redshiftData);
    return simulator;
  }

  /** A new statement, blocked until released. */
  async statement(durationSeconds: number, control: 'virtual' | 'timer' = 'virtual'): Promise<SimulatedStatement> {
    const key = nextKey++;
    await this.holder.query('select pg_advisory_lock($1)', [key]);
    const statement: SimulatedStatement = {
      key,
      control,
      durationSeconds,
      sql: `pg_advisory_xact_lock(${key})`,
      clock: new VirtualClock(),
      describes: 0,
      released: false,
    };
    this.byKey.set(key, statement);
    return statement;
  }

  /**
   * Makes the executor report Wait states of this definition to the executions' clocks. Pass the
   * same substitutions and timeoutScale as to stack.execute (the executor caches one prepared
   * machine per definition, substitutions and scale; that is the one instrumented).
   */
  instrument(
    definition: unknown,
    options: { substitutions?: Record<string, string>; timeoutScale?: number } = {},
  ): void {
    const prepareOptions: { substitutions: Record<string, string>; timeoutScale?: number } = {
      substitutions: { StateTableName: this.stack.stateTableName, ...options.substitutions },
    };
    if (options.timeoutScale !== undefined) prepareOptions.timeoutScale = options.timeoutScale;
    const prepared = this.stack.executor.prepare(definition, prepareOptions);
    const machine = prepared.machine;
    if (this.instrumented.has(machine)) return;
    this.instrumented.add(machine);
    const waits = waitStates(prepared.definition.runDefinition);
    const clocks = this.clocks;
    const original = machine.run.bind(machine);
    machine.run = ((input, runOptions) => {
      const execution = original(input, runOptions);
      const context = runOptions?.context as { Execution?: { Id?: unknown } } | undefined;
      const arn = context?.Execution?.Id;
      const clock = typeof arn === 'string' ? clocks.get(arn) : undefined;
      if (!clock) return execution;
      async function* tee<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
        for await (const event of source) {
          const view = event as EngineEventView;
          if (view.state?.type === 'Wait' && typeof view.state.name === 'string') {
            const state = waits.get(view.state.name);
            if (!state) throw new Error(`unknown Wait state ${view.state.name}`);
            if (view.type === 'StateEntered') clock?.entered(waitSeconds(state, view.state.input));
            if (view.type === 'StateExited') clock?.exited();
          }
          yield event;
        }
      }
      return { ...execution, eventLogs: tee(execution.eventLogs) };
    }) as typeof machine.run;
  }

  /** The execution `arn` advances this statement's clock. */
  bind(executionArn: string, statement: SimulatedStatement): void {
    this.clocks.set(executionArn, statement.clock);
  }

  /** Unlocks the statement; answers once the Data API reports it terminal (if it was submitted). */
  async release(statement: SimulatedStatement): Promise<void> {
    if (statement.released) return;
    statement.released = true;
    await this.holder.query('select pg_advisory_unlock($1)', [statement.key]);
    statement.releasedAtMs = Date.now();
    if (statement.statementId !== undefined) await this.settled(statement.statementId);
  }

  /** Releases after `ms` of real time (callback designs). */
  releaseAfter(statement: SimulatedStatement, ms: number): Promise<void> {
    return sleep(ms).then(() => this.release(statement));
  }

  /**
   * Whether PostgreSQL still runs the statement (it waits on its advisory lock), allowing `graceMs`
   * for a cancel in flight to land.
   */
  async isRunning(statement: SimulatedStatement, graceMs = 500): Promise<boolean> {
    const deadline = Date.now() + graceMs;
    for (;;) {
      const { rows } = await this.holder.query<{ waiting: number }>(
        "select count(*)::int as waiting from pg_locks where locktype = 'advisory' and classid = 0 and objid = $1 and objsubid = 1 and not granted",
        [statement.key],
      );
      const running = (rows[0]?.waiting ?? 0) > 0;
      if (!running || Date.now() > deadline) return running;
      await sleep(10);
    }
  }

  /**
   * DescribeStatement's Status, through clients the simulator does not hold back: the machines'
   * role, else the runtime's (a callback step's statement).
   */
  async status(statementId: string): Promise<string | undefined> {
    try {
      return (await this.observer.send(new DescribeStatementCommand({ Id: statementId }))).Status;
    } catch (error) {
      if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
      return (await this.runtimeObserver.send(new DescribeStatementCommand({ Id: statementId }))).Status;
    }
  }

  async settled(statementId: string, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const Status = await this.status(statementId);
      if (Status === 'FINISHED' || Status === 'FAILED' || Status === 'ABORTED') return Status;
      if (Date.now() > deadline) throw new Error(`statement ${statementId} still ${Status} after ${timeoutMs} ms`);
      await sleep(1);
    }
  }

  async stop(): Promise<void> {
    for (const statement of this.byKey.values())
      if (!statement.released) await this.release(statement).catch(() => undefined);
    this.observer.destroy();
    this.runtimeObserver.destroy();
    await this.holder.end().catch(() => undefined);
  }

  /**
   * A long-polled call (`seconds` of WaitTimeSeconds) at the statement's simulated now: unlocks the
   * statement when it ends within the window; answers the real wait to allow (ms), 0 for none.
   */
  private async longPoll(statement: SimulatedStatement, seconds: number): Promise<number> {
    if (statement.released) return seconds * 1000;
    const now = statement.clock.waitedSeconds;
    if (now + seconds < statement.durationSeconds) {
      statement.clock.longPolled(seconds);
      return 0;
    }
    statement.clock.longPolled(statement.durationSeconds - now);
    statement.releasedAtSeconds = statement.durationSeconds;
    await this.release(statement);
    return seconds * 1000;
  }

  /** Holds the machine's `poll`-th DescribeStatement until its clock is there; lets the statement end by then. */
  private async beforeDescribe(statement: SimulatedStatement, poll: number): Promise<void> {
    await statement.clock.untilEntered(poll);
    const simulated = statement.clock.secondsAfter(poll);
    if (!statement.released && simulated >= statement.durationSeconds) {
      statement.releasedAtSeconds = simulated;
      await this.release(statement);
    }
  }

  private observe(client: RedshiftDataClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? '';
        const input = args.input as JsonObject;
        const window = typeof input.WaitTimeSeconds === 'number' ? input.WaitTimeSeconds : undefined;
        if (command === 'DescribeStatementCommand' && typeof input.Id === 'string') {
          const statement = this.byStatement.get(input.Id);
          if (statement) {
            statement.describes += 1;
            if (statement.control === 'virtual' && window !== undefined)
              capOf.set(context, await this.longPoll(statement, window));
            else if (statement.control === 'virtual') await this.beforeDescribe(statement, statement.describes);
          }
        }
        if (command === 'ExecuteStatementCommand' && window !== undefined) {
          const key = statementKey(input);
          const statement = key === undefined ? undefined : this.byKey.get(key);
          if (statement?.control === 'virtual') capOf.set(context, await this.longPoll(statement, window));
        }
        const result = await next(args);
        if (command === 'ExecuteStatementCommand') {
          const key = statementKey(input);
          const statement = key === undefined ? undefined : this.byKey.get(key);
          const id = (result.output as unknown as JsonObject).Id;
          if (statement && typeof id === 'string') {
            statement.statementId = id;
            this.byStatement.set(id, statement);
          }
        }
        return result;
      },
      { step: 'initialize', name: 'benchVirtualClock' },
    );
    // After the executor's own long-poll cap (build step): the simulator decides how long a call waits.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const cap = capOf.get(context);
        const request = args.request as { headers?: Record<string, string> };
        if (cap !== undefined && request.headers) request.headers[LONG_POLL_CAP_HEADER] = String(cap);
        return next(args);
      },
      { step: 'finalizeRequest', name: 'benchLongPollCap' },
    );
  }
}

/** The advisory-lock key of a simulated statement: in its SQL text or its `key` parameter. */
function statementKey(input: JsonObject): number | undefined {
  const parameters = Array.isArray(input.Parameters) ? (input.Parameters as JsonObject[]) : [];
  const parameter = parameters.find((candidate) => candidate.name === 'key');
  if (typeof parameter?.value === 'string' && /^\d+$/.test(parameter.value)) return Number(parameter.value);
  const match = typeof input.Sql === 'string' ? /pg_advisory_xact_lock\((\d+)\)/.exec(input.Sql) : null;
  return match ? Number(match[1]) : undefined;
}
