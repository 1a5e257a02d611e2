// One PostgreSQL session per running statement. Sessions are reused, but each statement starts
// from a clean one (DISCARD ALL), as a Data API statement without SessionId runs in a fresh session.
import pg from 'pg';

export type Connection = { client: pg.Client; pid: number };

export type Acquisition = {
  connection: Promise<Connection>;
  /** Gives up waiting; true if the request was still queued (its promise then never settles). */
  abandon(): boolean;
};

type Waiter = { resolve: (connection: Connection) => void; reject: (error: unknown) => void };

// Redshift sessions run in UTC with ISO dates.
const sessionOptions = '-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=postgres';
export const applicationName = 'sfn-redshift-data-api';

export class ConnectionPool {
  private readonly idle: Connection[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly pending = new Set<Promise<void>>();
  private open = 0;
  private closed = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly max: number,
  ) {}

  acquire(): Acquisition {
    let resolve!: Waiter['resolve'];
    let reject!: Waiter['reject'];
    const connection = new Promise<Connection>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const queued: Waiter = { resolve, reject };
    this.waiters.push(queued);
    this.dispatch();
    return {
      connection,
      abandon: () => {
        const index = this.waiters.indexOf(queued);
        if (index === -1) return false;
        this.waiters.splice(index, 1);
        return true;
      },
    };
  }

  /** Returns a session; a reusable one is reset first, any other is closed. */
  release(connection: Connection, reusable: boolean): void {
    if (!reusable || this.closed) {
      void this.destroy(connection);
      return;
    }
    this.track(
      connection.client.query('discard all').then(
        async () => {
          if (this.closed) await this.destroy(connection);
          else {
            this.idle.push(connection);
            this.dispatch();
          }
        },
        () => this.destroy(connection),
      ),
    );
  }

  /** Closes a session; resolves once the server has closed it. */
  destroy(connection: Connection): Promise<void> {
    this.open -= 1;
    return this.track(
      connection.client.end().then(
        () => this.dispatch(),
        () => this.dispatch(),
      ),
    );
  }

  /** Closes idle sessions and waits for sessions being returned or closed. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new Error('The Data API endpoint is stopping'));
    await Promise.all(this.idle.splice(0).map((connection) => this.destroy(connection)));
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private track(work: Promise<void>): Promise<void> {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
    return work;
  }

  private dispatch(): void {
    while (this.waiters.length > 0) {
      const idle = this.idle.pop();
      if (idle !== undefined) {
        this.waiters.shift()?.resolve(idle);
        continue;
      }
      if (this.open >= this.max || this.closed) return;
      const waiter = this.waiters.shift();
      if (waiter === undefined) return;
      this.open += 1;
      this.connect().then(waiter.resolve, (error: unknown) => {
        this.open -= 1;
        waiter.reject(error);
        this.dispatch();
      });
    }
  }

  private async connect(): Promise<Connection> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      options: sessionOptions,
      application_name: applicationName,
    });
    // A backend killed under a session makes the client emit 'error'; the running query sees it too.
    client.on('error', () => {});
    await client.connect();
    const result = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    return { client, pid: result.rows[0]?.pid ?? 0 };
  }
}
