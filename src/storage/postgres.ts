// The shared metadata database (PostgreSQL, DATABASE_URL): what several cosyfleet nodes use
// instead of each one's SQLite file. The same discipline as sqlite.ts: every store owns a
// migration namespace, steps are numbered 1..n, each runs in its own transaction with its
// bookkeeping row, and a database newer than this code is refused. Unlike SQLite, several
// nodes may start at once, so a migration holds an advisory lock for its whole run.
import pg from 'pg';

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

/** One schema step; never edit a released step, append a new one. */
export interface PgMigration {
  version: number;
  description: string;
  /** Runs inside the step's transaction. */
  up: (client: PgClient) => Promise<void>;
}

/**
 * Every migrator, whatever its namespace, takes this one lock: it also covers creating
 * schema_migrations itself, which two concurrent CREATE TABLE IF NOT EXISTS do not.
 */
const MIGRATION_LOCK = "hashtext('cosyfleet schema_migrations')";

/**
 * A connection pool on `url`. An idle connection the server drops (a restart, a failover)
 * emits 'error' on the pool; without a listener that would end the process, while the next
 * query simply opens a new connection.
 */
export function openPool(url: string, options: { max?: number; onIdleError?: (err: Error) => void } = {}): PgPool {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, application_name: 'cosyfleet' });
  pool.on('error', (err) => options.onIdleError?.(err));
  return pool;
}

/**
 * Applies the namespace's pending migrations in version order, each in its own transaction
 * with its bookkeeping row, so a failed step leaves the schema at the previous version.
 * Returns the versions applied (by this call: a node that waited for another one's migration
 * applies nothing). Refuses a database newer than this code knows.
 */
export async function migrate(pool: PgPool, namespace: string, migrations: readonly PgMigration[]): Promise<number[]> {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`${namespace} migrations must be numbered 1..n without gaps`);
  });
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        namespace TEXT NOT NULL,
        version INTEGER NOT NULL,
        description TEXT NOT NULL,
        applied_at TEXT NOT NULL,
        PRIMARY KEY (namespace, version)
      )`);
      const current = await versionOn(client, namespace);
      if (current > sorted.length) {
        throw new Error(`database schema "${namespace}" is at version ${current}, newer than this cosyfleet (${sorted.length}); upgrade cosyfleet`);
      }
      const applied: number[] = [];
      for (const m of sorted.slice(current)) {
        await client.query('BEGIN');
        try {
          await m.up(client);
          await client.query('INSERT INTO schema_migrations (namespace, version, description, applied_at) VALUES ($1, $2, $3, $4)', [
            namespace,
            m.version,
            m.description,
            new Date().toISOString(),
          ]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
        applied.push(m.version);
      }
      return applied;
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`);
    }
  } catch (err) {
    // A connection in an unknown state (lock held, transaction open) is closed, not reused:
    // closing it also releases anything it held.
    broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}

export async function currentVersion(pool: PgPool, namespace: string): Promise<number> {
  const client = await pool.connect();
  try {
    return await versionOn(client, namespace);
  } finally {
    client.release();
  }
}

async function versionOn(client: PgClient, namespace: string): Promise<number> {
  const exists = await client.query<{ t: string | null }>("SELECT to_regclass('schema_migrations') AS t");
  if (exists.rows[0]?.t === null) return 0;
  const { rows } = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations WHERE namespace = $1', [namespace]);
  return rows[0]?.v ?? 0;
}

/**
 * Runs `work` in one transaction on one connection: committed when it resolves, rolled back
 * when it throws (the error is passed on; a connection whose rollback fails is closed).
 */
export async function inTransaction<T>(pool: PgPool, work: (client: PgClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
        broken = rollbackErr as Error;
      });
      throw err;
    }
  } finally {
    client.release(broken);
  }
}
