// Tenant policies as the service and the admin API use them: what a tenant stored, the server's
// settings it falls back to (RESULT_CACHE, OUTPUT_RETENTION_DAYS), and the effective result.
// Every synthesis request reads its tenant's effective policy, so reads go through a short cache
// on each node (POLICY_CACHE_MS): a change made on this node holds from its next request, one
// made on another node within that time.
import type { ResultCacheMode } from '../outputs/result-cache.js';
import type { TenantPolicy, TenantPolicyStore } from './tenant-policy-store.js';

/** How long a node answers from its copy of a tenant's policy. */
export const POLICY_CACHE_MS = 5_000;
/** Past this many tenants in the cache it starts over (tenants come from keys, so this is rarely reached). */
const MAX_CACHED = 10_000;

export interface TenantSettings {
  readonly resultCache: ResultCacheMode;
  /** 0 = kept until deleted. */
  readonly outputRetentionDays: number;
}

/** A policy as the admin API and `cosyfleet tenants` show it. */
export interface TenantPolicyView {
  readonly tenant: string;
  /** What the tenant stored; null: the server's setting. */
  readonly resultCache: ResultCacheMode | null;
  readonly outputRetentionDays: number | null;
  /** null when the tenant has no policy. */
  readonly updatedAt: string | null;
  /** What applies to the tenant's requests. */
  readonly effective: TenantSettings;
  /** The server's settings (RESULT_CACHE, OUTPUT_RETENTION_DAYS), for the fields stored as null. */
  readonly defaults: TenantSettings;
}

/** A change: a field given replaces the stored value (null: back to the server's setting); one left out is kept. */
export interface TenantPolicyChange {
  readonly resultCache?: ResultCacheMode | null;
  readonly outputRetentionDays?: number | null;
}

export interface TenantPolicyOptions {
  /** How long a read is reused (default POLICY_CACHE_MS). */
  readonly cacheMs?: number;
  /** The clock the cache reads (tests move it). */
  readonly now?: () => number;
}

export class TenantPolicyService {
  private readonly cached = new Map<string, { at: number; policy: Promise<TenantPolicy | null> }>();
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: TenantPolicyStore,
    readonly defaults: TenantSettings,
    options: TenantPolicyOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? POLICY_CACHE_MS;
    this.now = options.now ?? Date.now;
  }

  /** What applies to the tenant's requests now (cached per node for `cacheMs`). */
  async effective(tenant: string): Promise<TenantSettings> {
    return this.resolve(await this.cachedPolicy(tenant));
  }

  async resultCacheMode(tenant: string): Promise<ResultCacheMode> {
    return (await this.effective(tenant)).resultCache;
  }

  async outputRetentionDays(tenant: string): Promise<number> {
    return (await this.effective(tenant)).outputRetentionDays;
  }

  /** The tenant's policy, read from the database (not the cache). */
  async view(tenant: string): Promise<TenantPolicyView> {
    return this.toView(tenant, await this.store.get(tenant));
  }

  /** Every tenant with a policy. */
  async list(): Promise<TenantPolicyView[]> {
    return (await this.store.list()).map((p) => this.toView(p.tenant, p));
  }

  /**
   * Applies the change to the stored policy. A policy left with no field set is removed (the
   * tenant follows the server's settings and is no longer listed).
   */
  async set(tenant: string, change: TenantPolicyChange, now = new Date()): Promise<TenantPolicyView> {
    const current = await this.store.get(tenant);
    const next: TenantPolicy = {
      tenant,
      resultCache: change.resultCache !== undefined ? change.resultCache : (current?.resultCache ?? null),
      outputRetentionDays: change.outputRetentionDays !== undefined ? change.outputRetentionDays : (current?.outputRetentionDays ?? null),
      updatedAt: now.toISOString(),
    };
    try {
      if (next.resultCache === null && next.outputRetentionDays === null) {
        await this.store.delete(tenant);
        return this.toView(tenant, null);
      }
      return this.toView(tenant, await this.store.put(next));
    } finally {
      this.cached.delete(tenant);
    }
  }

  /** Removes the tenant's policy: it follows the server's settings again. */
  async reset(tenant: string): Promise<TenantPolicyView> {
    try {
      await this.store.delete(tenant);
    } finally {
      this.cached.delete(tenant);
    }
    return this.toView(tenant, null);
  }

  private cachedPolicy(tenant: string): Promise<TenantPolicy | null> {
    const now = this.now();
    const hit = this.cached.get(tenant);
    if (hit && now - hit.at < this.cacheMs) return hit.policy;
    if (this.cached.size >= MAX_CACHED) this.cached.clear();
    const policy = this.store.get(tenant);
    const entry = { at: now, policy };
    this.cached.set(tenant, entry);
    // A failed read is not kept: the next request asks the database again.
    policy.catch(() => {
      if (this.cached.get(tenant) === entry) this.cached.delete(tenant);
    });
    return policy;
  }

  private resolve(policy: TenantPolicy | null): TenantSettings {
    return {
      resultCache: policy?.resultCache ?? this.defaults.resultCache,
      outputRetentionDays: policy?.outputRetentionDays ?? this.defaults.outputRetentionDays,
    };
  }

  private toView(tenant: string, policy: TenantPolicy | null): TenantPolicyView {
    return {
      tenant,
      resultCache: policy?.resultCache ?? null,
      outputRetentionDays: policy?.outputRetentionDays ?? null,
      updatedAt: policy?.updatedAt ?? null,
      effective: this.resolve(policy),
      defaults: { ...this.defaults },
    };
  }
}
