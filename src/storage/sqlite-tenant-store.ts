// Tenant policies in the service's SQLite database (migration namespace 'tenants').
import type { TenantPolicy, TenantPolicyStore } from '../accounts/tenant-policy-store.js';
import type { ResultCacheMode } from '../outputs/result-cache.js';
import { migrate, type Migration, type SqliteDatabase } from './sqlite.js';

export const TENANT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'tenant policies',
    up: (db) =>
      db.exec(`
        CREATE TABLE tenant_policies (
          tenant TEXT PRIMARY KEY,
          result_cache TEXT,
          output_retention_days INTEGER,
          updated_at TEXT NOT NULL
        );
      `),
  },
];

export interface TenantRow {
  tenant: string;
  result_cache: string | null;
  output_retention_days: number | null;
  updated_at: string;
}

export const tenantFromRow = (r: TenantRow): TenantPolicy => ({
  tenant: r.tenant,
  resultCache: r.result_cache as ResultCacheMode | null,
  outputRetentionDays: r.output_retention_days === null ? null : Number(r.output_retention_days),
  updatedAt: r.updated_at,
});

export class SqliteTenantPolicyStore implements TenantPolicyStore {
  /** Runs the 'tenants' migrations on `db` (shared with other stores; the caller closes it). */
  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'tenants', TENANT_MIGRATIONS);
  }

  async get(tenant: string): Promise<TenantPolicy | null> {
    const row = this.db.prepare('SELECT * FROM tenant_policies WHERE tenant = ?').get(tenant) as TenantRow | undefined;
    return row ? tenantFromRow(row) : null;
  }

  async list(): Promise<TenantPolicy[]> {
    return (this.db.prepare('SELECT * FROM tenant_policies ORDER BY tenant').all() as TenantRow[]).map(tenantFromRow);
  }

  async put(p: TenantPolicy): Promise<TenantPolicy> {
    this.db
      .prepare(
        `INSERT INTO tenant_policies (tenant, result_cache, output_retention_days, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (tenant) DO UPDATE SET result_cache = excluded.result_cache, output_retention_days = excluded.output_retention_days, updated_at = excluded.updated_at`,
      )
      .run(p.tenant, p.resultCache, p.outputRetentionDays, p.updatedAt);
    return { ...p };
  }

  async delete(tenant: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM tenant_policies WHERE tenant = ?').run(tenant).changes > 0;
  }
}
