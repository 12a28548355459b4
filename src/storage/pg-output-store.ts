// Stored outputs' metadata in PostgreSQL (migration namespace 'outputs'), the same semantics as
// SqliteOutputStore, so `"store": true` works on nodes that share a database and a bucket.
import type { OutputListQuery, OutputRecord, OutputStore } from './output-store.js';
import { migrate, type PgMigration, type PgPool } from './postgres.js';

export const PG_OUTPUT_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'stored outputs',
    up: async (client) => {
      await client.query(`
        CREATE TABLE outputs (
          id TEXT PRIMARY KEY,
          tenant TEXT NOT NULL,
          format TEXT NOT NULL,
          content_type TEXT NOT NULL,
          bytes BIGINT NOT NULL,
          audio_seconds DOUBLE PRECISION NOT NULL,
          characters BIGINT NOT NULL,
          voice TEXT NOT NULL,
          engine TEXT NOT NULL,
          created_at TEXT NOT NULL,
          expires_at TEXT
        );
        CREATE INDEX outputs_tenant_created ON outputs (tenant, created_at DESC, id DESC);
        CREATE INDEX outputs_expires ON outputs (expires_at) WHERE expires_at IS NOT NULL;
      `);
    },
  },
];

const fromRow = (r: Record<string, unknown>): OutputRecord => ({
  id: String(r.id),
  tenant: String(r.tenant),
  format: String(r.format),
  contentType: String(r.content_type),
  bytes: Number(r.bytes),
  audioSeconds: Number(r.audio_seconds),
  characters: Number(r.characters),
  voice: String(r.voice),
  engine: String(r.engine),
  createdAt: String(r.created_at),
  expiresAt: r.expires_at === null ? null : String(r.expires_at),
});

export class PgOutputStore implements OutputStore {
  private constructor(private readonly pool: PgPool) {}

  static async open(pool: PgPool): Promise<PgOutputStore> {
    await migrate(pool, 'outputs', PG_OUTPUT_MIGRATIONS);
    return new PgOutputStore(pool);
  }

  async create(r: OutputRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO outputs (id, tenant, format, content_type, bytes, audio_seconds, characters, voice, engine, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [r.id, r.tenant, r.format, r.contentType, r.bytes, r.audioSeconds, r.characters, r.voice, r.engine, r.createdAt, r.expiresAt],
    );
  }

  async get(tenant: string, id: string): Promise<OutputRecord | null> {
    const { rows } = await this.pool.query<Record<string, unknown>>('SELECT * FROM outputs WHERE tenant = $1 AND id = $2', [tenant, id]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async list(tenant: string, query: OutputListQuery): Promise<OutputRecord[]> {
    const before = query.before;
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `SELECT * FROM outputs
       WHERE tenant = $1
         AND (expires_at IS NULL OR expires_at > $2)
         AND ($3::text IS NULL OR created_at < $3 OR (created_at = $3 AND id < $4))
       ORDER BY created_at DESC, id DESC
       LIMIT $5`,
      [tenant, query.liveAt, before?.createdAt ?? null, before?.id ?? null, query.limit],
    );
    return rows.map(fromRow);
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    const r = await this.pool.query('DELETE FROM outputs WHERE tenant = $1 AND id = $2', [tenant, id]);
    return (r.rowCount ?? 0) > 0;
  }

  async expired(now: string, limit: number): Promise<OutputRecord[]> {
    const { rows } = await this.pool.query<Record<string, unknown>>('SELECT * FROM outputs WHERE expires_at IS NOT NULL AND expires_at <= $1 ORDER BY expires_at, id LIMIT $2', [now, limit]);
    return rows.map(fromRow);
  }

  async has(id: string): Promise<boolean> {
    const { rows } = await this.pool.query('SELECT 1 FROM outputs WHERE id = $1', [id]);
    return rows.length > 0;
  }
}
