// Creating, finding and revoking API keys, for the admin API and `cosyfleet keys`; and turning a
// presented secret into a Principal. Keys from the environment (COSYFLEET_API_KEYS, the admin
// key) are held as digests in memory and never stored; keys made here are stored as digests.
import { randomUUID } from 'node:crypto';
import { timingSafeEqual } from 'node:crypto';
import { generateApiKey, hashApiKey, visiblePrefix } from './api-key.js';
import { NO_LIMITS, type KeyLimits, type KeyRecord, type KeyStore } from './key-store.js';
import { DEFAULT_TENANT, type Principal } from './principal.js';
import type { Scope } from './scopes.js';

export interface EnvKey {
  readonly tenant: string;
  readonly secret: string;
}

export interface NewKey {
  readonly name: string;
  readonly tenant?: string;
  readonly scopes: readonly Scope[];
  readonly limits?: Partial<KeyLimits>;
  /** Store synthesis requests that do not send `store` (default false). */
  readonly storeByDefault?: boolean;
}

/** What can change on an existing key. */
export interface KeyChange {
  readonly limits?: Partial<KeyLimits>;
  readonly storeByDefault?: boolean;
}

/** Why a presented secret is not a principal. */
export type AuthFailure = 'unknown' | 'revoked';

const ENV_SCOPES: ReadonlySet<Scope> = new Set<Scope>(['synthesize', 'voices', 'usage']);
const ADMIN_SCOPES: ReadonlySet<Scope> = new Set<Scope>(['synthesize', 'voices', 'usage', 'admin']);

export class KeyService {
  private readonly env: { digest: Buffer; principal: Principal }[];

  constructor(
    private readonly store: KeyStore,
    options: { envKeys?: readonly EnvKey[]; adminKey?: string } = {},
  ) {
    this.env = (options.envKeys ?? []).map((k, i) => ({
      digest: Buffer.from(hashApiKey(k.secret), 'hex'),
      principal: { tenant: k.tenant, keyId: `env:${i + 1}`, name: `COSYFLEET_API_KEYS #${i + 1}`, scopes: ENV_SCOPES, limits: NO_LIMITS, storeByDefault: false },
    }));
    if (options.adminKey) {
      this.env.push({
        digest: Buffer.from(hashApiKey(options.adminKey), 'hex'),
        principal: { tenant: DEFAULT_TENANT, keyId: 'admin', name: 'COSYFLEET_ADMIN_KEY', scopes: ADMIN_SCOPES, limits: NO_LIMITS, storeByDefault: false },
      });
    }
  }

  /** Keys that exist outside the store (environment). */
  get configuredKeys(): number {
    return this.env.length;
  }

  /** Creates a key; the secret is returned here and nowhere else, ever. */
  async create(input: NewKey, now = new Date()): Promise<{ record: KeyRecord; secret: string }> {
    const secret = generateApiKey();
    const record = await this.store.create(
      {
        id: `key_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
        tenant: input.tenant ?? DEFAULT_TENANT,
        name: input.name,
        scopes: [...input.scopes],
        prefix: visiblePrefix(secret),
        limits: { ...NO_LIMITS, ...input.limits },
        storeByDefault: input.storeByDefault ?? false,
        createdAt: now.toISOString(),
      },
      hashApiKey(secret),
    );
    return { record, secret };
  }

  async authenticate(secret: string, now = new Date()): Promise<Principal | AuthFailure> {
    const digest = Buffer.from(hashApiKey(secret), 'hex');
    // Every environment key is compared (constant time each), so timing says nothing about which matched.
    let matched: Principal | null = null;
    for (const k of this.env) if (timingSafeEqual(k.digest, digest)) matched = k.principal;
    if (matched) return matched;
    const record = await this.store.findByHash(digest.toString('hex'));
    if (!record) return 'unknown';
    if (record.revokedAt !== null) return 'revoked';
    void this.store.touch(record.id, now.toISOString()).catch(() => undefined);
    return principalOf(record);
  }

  list(tenant?: string): Promise<KeyRecord[]> {
    return this.store.list(tenant);
  }

  get(id: string): Promise<KeyRecord | null> {
    return this.store.get(id);
  }

  revoke(id: string, now = new Date()): Promise<KeyRecord | null> {
    return this.store.revoke(id, now.toISOString());
  }

  async setLimits(id: string, limits: Partial<KeyLimits>): Promise<KeyRecord | null> {
    return this.update(id, { limits });
  }

  /** Changes what `change` names (limits merged into the current ones); null when there is no such key. */
  async update(id: string, change: KeyChange): Promise<KeyRecord | null> {
    let record = await this.store.get(id);
    if (!record) return null;
    if (change.limits !== undefined) record = await this.store.setLimits(id, { ...record.limits, ...change.limits });
    if (record && change.storeByDefault !== undefined) record = await this.store.setStoreByDefault(id, change.storeByDefault);
    return record;
  }

  /** Whether any key can get in at all: a stored active key or one from the environment. */
  async anyKey(): Promise<boolean> {
    return this.env.length > 0 || (await this.store.activeCount()) > 0;
  }
}

export function principalOf(record: KeyRecord): Principal {
  return { tenant: record.tenant, keyId: record.id, name: record.name, scopes: new Set(record.scopes), limits: record.limits, storeByDefault: record.storeByDefault };
}
