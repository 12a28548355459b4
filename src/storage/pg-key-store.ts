// API keys in PostgreSQL (migration namespace 'keys'): digests only, the same semantics as
// SqliteKeyStore. Every node looks keys up here on each request, so a key revoked on one node
// is refused by all of them from the next request on.
import type { KeyLimits, KeyRecord, KeyStore } from '../accounts/key-store.js';
import { migrate, type PgMigration, type PgPool } from './postgres.js';
import { KEY_COLUMNS as COLUMNS, keyFromRow } from './sqlite-key-store.js';

export const PG_KEY_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'api keys',
    up: async (client) => {
      await client.query(`
        CREATE TABLE api_keys (
          id TEXT PRIMARY KEY,
          tenant TEXT NOT NULL,
          name TEXT NOT NULL,
          scopes TEXT NOT NULL,
          prefix TEXT NOT NULL,
          secret_hash TEXT NOT NULL UNIQUE,
          limits TEXT NOT NULL,
          created_at TEXT NOT NULL,
          revoked_at TEXT,
          last_used_at TEXT
        );
        CREATE INDEX api_keys_tenant ON api_keys (tenant, created_at);
      `);
    },
  },
  {
    version: 2,
    description: 'store outputs by default',
    up: async (client) => {
      await client.query('ALTER TABLE api_keys ADD COLUMN store_by_default BOOLEAN NOT NULL DEFAULT false');
    },
  },
];

type Row = Parameters<typeof keyFromRow>[0];

/** Minutes between last-used writes for one key (per node): a busy key must not write on every request. */
const TOUCH_EVERY_MS = 60_000;

export class PgKeyStore implements KeyStore {
  private readonly touched = new Map<string, number>();

  private constructor(private readonly pool: PgPool) {}

  static async open(pool: PgPool): Promise<PgKeyStore> {
    await migrate(pool, 'keys', PG_KEY_MIGRATIONS);
    return new PgKeyStore(pool);
  }

  async create(record: Omit<KeyRecord, 'revokedAt' | 'lastUsedAt'>, secretHash: string): Promise<KeyRecord> {
    await this.pool.query('INSERT INTO api_keys (id, tenant, name, scopes, prefix, secret_hash, limits, store_by_default, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
      record.id,
      record.tenant,
      record.name,
      record.scopes.join(','),
      record.prefix,
      secretHash,
      JSON.stringify(record.limits),
      record.storeByDefault,
      record.createdAt,
    ]);
    return { ...record, revokedAt: null, lastUsedAt: null };
  }

  async findByHash(secretHash: string): Promise<KeyRecord | null> {
    return this.one(`SELECT ${COLUMNS} FROM api_keys WHERE secret_hash = $1`, [secretHash]);
  }

  async get(id: string): Promise<KeyRecord | null> {
    return this.one(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
  }

  async list(tenant?: string): Promise<KeyRecord[]> {
    const { rows } =
      tenant === undefined
        ? await this.pool.query<Row>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, id`)
        : await this.pool.query<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE tenant = $1 ORDER BY created_at, id`, [tenant]);
    return rows.map(keyFromRow);
  }

  async revoke(id: string, at: string): Promise<KeyRecord | null> {
    return this.one(`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING ${COLUMNS}`, [at, id]);
  }

  async setLimits(id: string, limits: KeyLimits): Promise<KeyRecord | null> {
    return this.one(`UPDATE api_keys SET limits = $1 WHERE id = $2 RETURNING ${COLUMNS}`, [JSON.stringify(limits), id]);
  }

  async setStoreByDefault(id: string, storeByDefault: boolean): Promise<KeyRecord | null> {
    return this.one(`UPDATE api_keys SET store_by_default = $1 WHERE id = $2 RETURNING ${COLUMNS}`, [storeByDefault, id]);
  }

  async touch(id: string, at: string): Promise<void> {
    const now = Date.parse(at);
    const last = this.touched.get(id);
    if (last !== undefined && now - last < TOUCH_EVERY_MS) return;
    this.touched.set(id, now);
    // Another node may have recorded a later use already (ISO 8601 strings compare as times).
    await this.pool.query('UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)', [at, id]);
  }

  async activeCount(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM api_keys WHERE revoked_at IS NULL');
    return rows[0]?.n ?? 0;
  }

  private async one(sql: string, params: unknown[]): Promise<KeyRecord | null> {
    const { rows } = await this.pool.query<Row>(sql, params);
    return rows[0] ? keyFromRow(rows[0]) : null;
  }
}
