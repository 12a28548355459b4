// Who is calling: the tenant whose voices, lexicon, outputs and usage a request may touch, and
// what its key may do. Every request gets one before any route runs (src/http/auth.ts).
import { NO_LIMITS, type KeyLimits } from './key-store.js';
import type { Scope } from './scopes.js';

export interface Principal {
  readonly tenant: string;
  /** The key's id (`key_…`), `env:<n>` for COSYFLEET_API_KEYS entries, `admin` for COSYFLEET_ADMIN_KEY, `anonymous` with AUTH=off. */
  readonly keyId: string;
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
  readonly limits: KeyLimits;
  /** Synthesis requests that do not send `store` are stored (the key's `storeByDefault`; false for environment keys and AUTH=off). */
  readonly storeByDefault: boolean;
}

export const DEFAULT_TENANT = 'default';

/** Tenant names: lower-case letters, digits, `-` and `_`, 1–64 characters (they appear in paths of object keys and metrics). */
export const TENANT_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** With AUTH=off every caller is this one: the default tenant, every scope but admin. */
export const ANONYMOUS: Principal = Object.freeze({
  tenant: DEFAULT_TENANT,
  keyId: 'anonymous',
  name: 'anonymous (AUTH=off)',
  scopes: new Set<Scope>(['synthesize', 'voices', 'usage']),
  limits: NO_LIMITS,
  storeByDefault: false,
});
