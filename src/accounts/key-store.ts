// Where API keys live. Routes and the CLI talk to this interface only, so the SQLite store
// gives way to PostgreSQL (DATABASE_URL) without touching them.
import type { Scope } from './scopes.js';

/** Per-key limits; null = unlimited. Enforced by src/accounts/quotas.ts. */
export interface KeyLimits {
  readonly requestsPerMinute: number | null;
  readonly concurrentRequests: number | null;
  readonly charactersPerDay: number | null;
  readonly charactersPerMonth: number | null;
  readonly audioSecondsPerDay: number | null;
  readonly audioSecondsPerMonth: number | null;
}

export const NO_LIMITS: KeyLimits = Object.freeze({
  requestsPerMinute: null,
  concurrentRequests: null,
  charactersPerDay: null,
  charactersPerMonth: null,
  audioSecondsPerDay: null,
  audioSecondsPerMonth: null,
});

export interface KeyRecord {
  /** `key_…`: names the key in the API and the CLI (never the secret). */
  readonly id: string;
  readonly tenant: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  /** `cf_AbC123…` */
  readonly prefix: string;
  readonly limits: KeyLimits;
  /** A synthesis request that does not send `store` is stored when this is true (`"store": false` still opts out). */
  readonly storeByDefault: boolean;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

export interface KeyStore {
  /** Stores a new key under the digest of its secret. */
  create(record: Omit<KeyRecord, 'revokedAt' | 'lastUsedAt'>, secretHash: string): Promise<KeyRecord>;
  /** The key with this secret digest, revoked or not; null when none. */
  findByHash(secretHash: string): Promise<KeyRecord | null>;
  get(id: string): Promise<KeyRecord | null>;
  /** Every key (or a tenant's), oldest first; revoked ones included. */
  list(tenant?: string): Promise<KeyRecord[]>;
  /** Marks the key revoked (idempotent); null when there is no such key. */
  revoke(id: string, at: string): Promise<KeyRecord | null>;
  /** Replaces the limits; null when there is no such key. */
  setLimits(id: string, limits: KeyLimits): Promise<KeyRecord | null>;
  /** Sets whether the key's requests are stored when they do not say; null when there is no such key. */
  setStoreByDefault(id: string, storeByDefault: boolean): Promise<KeyRecord | null>;
  /** Records use, at most once a minute per key (callers may call it on every request). */
  touch(id: string, at: string): Promise<void>;
  /** Keys that are not revoked. */
  activeCount(): Promise<number>;
}
