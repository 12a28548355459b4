// Tenant policies in PostgreSQL (migration namespace 'tenants'), the same semantics as
// SqliteTenantPolicyStore; every node reads them here (through a short per-node cache,
// src/accounts/tenant-policies.ts).
import type { TenantPolicy, TenantPolicyStore } from '../accounts/tenant-policy-store.js';
import { migrate, type PgMigration, type PgPool } from './postgres.js';
import { tenantFromRow, type TenantRow } from './sqlite-tenant-store.js';

export const PG_TENANT_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'tenant policies',
    up: async (client) => {
      await client.query(`
        CREATE TABLE tenant_policies (
          tenant TEXT PRIMARY KEY,
          result_cache TEXT,
          output_retention_days INTEGER,
          updated_at TEXT NOT NULL
        );
      `);
    },
  },
];

export class PgTenantPolicyStore implements TenantPolicyStore {
  private constructor(private readonly pool: PgPool) {}

  static async open(pool: PgPool): Promise<PgTenantPolicyStore> {
    await migrate(pool, 'tenants', PG_TENANT_MIGRATIONS);
    return new PgTenantPolicyStore(pool);
  }

  async get(tenant: string): Promise<TenantPolicy | null> {
    const { rows } = await this.pool.query<TenantRow>('SELECT * FROM tenant_policies WHERE tenant = $1', [tenant]);
    return rows[0] ? tenantFromRow(rows[0]) : null;
  }

  async list(): Promise<TenantPolicy[]> {
    // Byte order, as SQLite sorts TEXT (tenant names are ASCII anyway).
    const { rows } = await this.pool.query<TenantRow>('SELECT * FROM tenant_policies ORDER BY tenant COLLATE "C"');
    return rows.map(tenantFromRow);
  }

  async put(p: TenantPolicy): Promise<TenantPolicy> {
    await this.pool.query(
      `INSERT INTO tenant_policies (tenant, result_cache, output_retention_days, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant) DO UPDATE SET result_cache = excluded.result_cache, output_retention_days = excluded.output_retention_days, updated_at = excluded.updated_at`,
      [p.tenant, p.resultCache, p.outputRetentionDays, p.updatedAt],
    );
    return { ...p };
  }

  async delete(tenant: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM tenant_policies WHERE tenant = $1', [tenant]);
    return (rowCount ?? 0) > 0;
  }
}
