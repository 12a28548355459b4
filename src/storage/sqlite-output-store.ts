// Stored outputs' metadata in the service's SQLite database (migration namespace 'outputs').
import { migrate, type Migration, type SqliteDatabase } from './sqlite.js';
import type { OutputListQuery, OutputRecord, OutputStore } from './output-store.js';

export const OUTPUT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'stored outputs',
    up: (db) =>
      db.exec(`
        CREATE TABLE outputs (
          id TEXT PRIMARY KEY,
          tenant TEXT NOT NULL,
          format TEXT NOT NULL,
          content_type TEXT NOT NULL,
          bytes INTEGER NOT NULL,
          audio_seconds REAL NOT NULL,
          characters INTEGER NOT NULL,
          voice TEXT NOT NULL,
          engine TEXT NOT NULL,
          created_at TEXT NOT NULL,
          expires_at TEXT
        );
        CREATE INDEX outputs_tenant_created ON outputs (tenant, created_at DESC, id DESC);
        CREATE INDEX outputs_expires ON outputs (expires_at) WHERE expires_at IS NOT NULL;
      `),
  },
];

interface Row {
  id: string;
  tenant: string;
  format: string;
  content_type: string;
  bytes: number;
  audio_seconds: number;
  characters: number;
  voice: string;
  engine: string;
  created_at: string;
  expires_at: string | null;
}

const fromRow = (r: Row): OutputRecord => ({
  id: r.id,
  tenant: r.tenant,
  format: r.format,
  contentType: r.content_type,
  bytes: r.bytes,
  audioSeconds: r.audio_seconds,
  characters: r.characters,
  voice: r.voice,
  engine: r.engine,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

export class SqliteOutputStore implements OutputStore {
  /** Runs the 'outputs' migrations on `db` (shared with other stores; the caller closes it). */
  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'outputs', OUTPUT_MIGRATIONS);
  }

  async create(r: OutputRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO outputs (id, tenant, format, content_type, bytes, audio_seconds, characters, voice, engine, created_at, expires_at)
         VALUES (@id, @tenant, @format, @contentType, @bytes, @audioSeconds, @characters, @voice, @engine, @createdAt, @expiresAt)`,
      )
      .run({ ...r });
  }

  async get(tenant: string, id: string): Promise<OutputRecord | null> {
    const row = this.db.prepare('SELECT * FROM outputs WHERE tenant = ? AND id = ?').get(tenant, id) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async list(tenant: string, query: OutputListQuery): Promise<OutputRecord[]> {
    const before = query.before;
    const rows = this.db
      .prepare(
        `SELECT * FROM outputs
         WHERE tenant = @tenant
           AND (expires_at IS NULL OR expires_at > @liveAt)
           AND (@beforeAt IS NULL OR created_at < @beforeAt OR (created_at = @beforeAt AND id < @beforeId))
         ORDER BY created_at DESC, id DESC
         LIMIT @limit`,
      )
      .all({ tenant, liveAt: query.liveAt, beforeAt: before?.createdAt ?? null, beforeId: before?.id ?? null, limit: query.limit }) as Row[];
    return rows.map(fromRow);
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM outputs WHERE tenant = ? AND id = ?').run(tenant, id).changes > 0;
  }

  async expired(now: string, limit: number): Promise<OutputRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM outputs WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at, id LIMIT ?')
      .all(now, limit) as Row[];
    return rows.map(fromRow);
  }

  async has(id: string): Promise<boolean> {
    return this.db.prepare('SELECT 1 FROM outputs WHERE id = ?').get(id) !== undefined;
  }
}
