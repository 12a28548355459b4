// API keys in the service's SQLite database (migration namespace 'keys'): digests only.
import type { KeyLimits, KeyRecord, KeyStore } from '../accounts/key-store.js';
import { isScope, type Scope } from '../accounts/scopes.js';
import { migrate, type Migration, type SqliteDatabase } from './sqlite.js';

export const KEY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'api keys',
    up: (db) =>
      db.exec(`
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
      `),
  },
  {
    version: 2,
    description: 'store outputs by default',
    up: (db) => db.exec('ALTER TABLE api_keys ADD COLUMN store_by_default INTEGER NOT NULL DEFAULT 0'),
  },
];

interface Row {
  id: string;
  tenant: string;
  name: string;
  scopes: string;
  prefix: string;
  limits: string;
  /** SQLite: 0/1; PostgreSQL: a boolean. */
  store_by_default: number | boolean;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

export const KEY_COLUMNS = 'id, tenant, name, scopes, prefix, limits, store_by_default, created_at, revoked_at, last_used_at';

export function keyFromRow(r: Row): KeyRecord {
  return {
    id: r.id,
    tenant: r.tenant,
    name: r.name,
    scopes: r.scopes.split(',').filter((s): s is Scope => isScope(s)),
    prefix: r.prefix,
    limits: JSON.parse(r.limits) as KeyLimits,
    storeByDefault: r.store_by_default === true || r.store_by_default === 1,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  };
}

/** Minutes between last-used writes for one key: a busy key must not write on every request. */
const TOUCH_EVERY_MS = 60_000;

export class SqliteKeyStore implements KeyStore {
  private readonly touched = new Map<string, number>();

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'keys', KEY_MIGRATIONS);
  }

  async create(record: Omit<KeyRecord, 'revokedAt' | 'lastUsedAt'>, secretHash: string): Promise<KeyRecord> {
    this.db
      .prepare('INSERT INTO api_keys (id, tenant, name, scopes, prefix, secret_hash, limits, store_by_default, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(record.id, record.tenant, record.name, record.scopes.join(','), record.prefix, secretHash, JSON.stringify(record.limits), record.storeByDefault ? 1 : 0, record.createdAt);
    return { ...record, revokedAt: null, lastUsedAt: null };
  }

  async findByHash(secretHash: string): Promise<KeyRecord | null> {
    const row = this.db.prepare(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE secret_hash = ?`).get(secretHash) as Row | undefined;
    return row ? keyFromRow(row) : null;
  }

  async get(id: string): Promise<KeyRecord | null> {
    const row = this.db.prepare(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ?`).get(id) as Row | undefined;
    return row ? keyFromRow(row) : null;
  }

  async list(tenant?: string): Promise<KeyRecord[]> {
    const rows = (
      tenant === undefined
        ? this.db.prepare(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`).all()
        : this.db.prepare(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE tenant = ? ORDER BY created_at, id`).all(tenant)
    ) as Row[];
    return rows.map(keyFromRow);
  }

  async revoke(id: string, at: string): Promise<KeyRecord | null> {
    this.db.prepare('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?').run(at, id);
    return this.get(id);
  }

  async setLimits(id: string, limits: KeyLimits): Promise<KeyRecord | null> {
    this.db.prepare('UPDATE api_keys SET limits = ? WHERE id = ?').run(JSON.stringify(limits), id);
    return this.get(id);
  }

  async setStoreByDefault(id: string, storeByDefault: boolean): Promise<KeyRecord | null> {
    this.db.prepare('UPDATE api_keys SET store_by_default = ? WHERE id = ?').run(storeByDefault ? 1 : 0, id);
    return this.get(id);
  }

  async touch(id: string, at: string): Promise<void> {
    const now = Date.parse(at);
    const last = this.touched.get(id);
    if (last !== undefined && now - last < TOUCH_EVERY_MS) return;
    this.touched.set(id, now);
    // Never back in time (another handle on the database may have recorded a later use).
    this.db.prepare('UPDATE api_keys SET last_used_at = @at WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @at)').run({ at, id });
  }

  async activeCount(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL').get() as { n: number }).n;
  }
}
