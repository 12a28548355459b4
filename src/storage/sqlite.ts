// The embedded metadata database (SQLite via better-sqlite3, synchronous and in-process: no
// server to run, and a single writer is what one cosyfleet node needs). Each domain store
// (voices, lexicon, ...) owns a migration namespace, so stores evolve independently; the
// PostgreSQL stores (postgres.ts, DATABASE_URL) mirror the same versioned steps.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type SqliteDatabase = Database.Database;

/** One schema step; never edit a released step, append a new one. */
export interface Migration {
  version: number;
  description: string;
  up: (db: SqliteDatabase) => void;
}

/**
 * Opens (creating if needed) the database file, or an in-memory database for ':memory:'.
 * WAL lets readers proceed while a write commits; foreign keys are off by default in SQLite.
 */
export function openDatabase(path: string): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    namespace TEXT NOT NULL,
    version INTEGER NOT NULL,
    description TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (namespace, version)
  )`);
  return db;
}

/**
 * Applies the namespace's pending migrations in version order, each in its own transaction
 * with its bookkeeping row, so a failed step leaves the schema at the previous version.
 * Returns the versions applied. Refuses a database newer than this code knows.
 */
export function migrate(db: SqliteDatabase, namespace: string, migrations: readonly Migration[]): number[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`${namespace} migrations must be numbered 1..n without gaps`);
  });
  const current = currentVersion(db, namespace);
  if (current > sorted.length) {
    throw new Error(`database schema "${namespace}" is at version ${current}, newer than this cosyfleet (${sorted.length}); upgrade cosyfleet`);
  }
  const record = db.prepare('INSERT INTO schema_migrations (namespace, version, description, applied_at) VALUES (?, ?, ?, ?)');
  const applied: number[] = [];
  for (const m of sorted.slice(current)) {
    db.transaction(() => {
      m.up(db);
      record.run(namespace, m.version, m.description, new Date().toISOString());
    })();
    applied.push(m.version);
  }
  return applied;
}

export function currentVersion(db: SqliteDatabase, namespace: string): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations WHERE namespace = ?').get(namespace) as { v: number | null };
  return row.v ?? 0;
}
