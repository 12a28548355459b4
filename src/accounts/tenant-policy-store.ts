// Where tenant policies live: per tenant, the result cache mode and how long stored outputs are
// kept, each null where the tenant follows the server's setting. In the metadata database, so
// every node reads the same policy (SQLite: sqlite-tenant-store.ts; PostgreSQL: pg-tenant-store.ts).
import type { ResultCacheMode } from '../outputs/result-cache.js';

export interface TenantPolicy {
  readonly tenant: string;
  /** null: the server's RESULT_CACHE. */
  readonly resultCache: ResultCacheMode | null;
  /** Days until a stored output expires (0 = kept until deleted); null: the server's OUTPUT_RETENTION_DAYS. */
  readonly outputRetentionDays: number | null;
  /** ISO 8601: when the policy was last set. */
  readonly updatedAt: string;
}

export interface TenantPolicyStore {
  /** The tenant's policy; null when it has none (it follows the server's settings). */
  get(tenant: string): Promise<TenantPolicy | null>;
  /** Every tenant with a policy, by tenant name. */
  list(): Promise<TenantPolicy[]>;
  /** Creates or replaces the tenant's policy. */
  put(policy: TenantPolicy): Promise<TenantPolicy>;
  /** Removes the tenant's policy; false when it had none. */
  delete(tenant: string): Promise<boolean>;
}
