// The metadata stores, on whichever database the configuration names: SQLite in
// DATA_DIR/cosyfleet.db (DATABASE_URL empty, the zero-setup default) or PostgreSQL (a
// postgres:// DATABASE_URL, which several nodes can share). Each store migrates its own
// namespace when opened.
import type { KeyStore } from '../accounts/key-store.js';
import type { Config } from '../config/config.js';
import type { LexiconStore } from '../lexicon/store.js';
import { PgKeyStore } from './pg-key-store.js';
import { PgLexiconStore } from './pg-lexicon-store.js';
import { PgVoiceStore } from './pg-voice-store.js';
import { openPool, type PgPool } from './postgres.js';
import { openServiceDatabase } from './service-database.js';
import { SqliteKeyStore } from './sqlite-key-store.js';
import { SqliteLexiconStore } from './sqlite-lexicon-store.js';
import { SqliteVoiceStore } from './sqlite-voice-store.js';
import type { VoiceStore } from './voice-store.js';
import type { OutputStore } from './output-store.js';
import { SqliteOutputStore } from './sqlite-output-store.js';
import type { UsageStore } from '../usage/usage-store.js';
import { SqliteUsageStore } from './sqlite-usage-store.js';
import { PgUsageStore } from './pg-usage-store.js';
import { PgOutputStore } from './pg-output-store.js';
import type { JobStore } from '../jobs/job-store.js';
import { SqliteJobStore } from './sqlite-job-store.js';
import { PgJobStore } from './pg-job-store.js';
import type { TenantPolicyStore } from '../accounts/tenant-policy-store.js';
import { SqliteTenantPolicyStore } from './sqlite-tenant-store.js';
import { PgTenantPolicyStore } from './pg-tenant-store.js';

export interface Stores {
  readonly kind: 'sqlite' | 'postgres';
  readonly voices: VoiceStore;
  readonly lexicon: LexiconStore;
  readonly keys: KeyStore;
  /** Usage per request and idle cost (quotas per day/month read it). */
  readonly usage: UsageStore;
  /** Stored outputs' metadata. */
  readonly outputs?: OutputStore;
  /** Long-form jobs (POST /v1/jobs): their state, progress, result and webhook delivery. */
  readonly jobs: JobStore;
  /** Tenant policies: result cache mode and output retention per tenant. */
  readonly tenants: TenantPolicyStore;
  /** PostgreSQL only: the connection pool (the job queue, graphile-worker, shares it). */
  readonly pool?: PgPool;
  /** Closes the database handle (SQLite) or ends the connection pool (PostgreSQL). */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** PostgreSQL: an idle pooled connection failed (the server restarted, a failover); the next query reconnects. */
  onIdleError?: (err: Error) => void;
}

export async function openStores(config: Pick<Config, 'dataDir' | 'databaseUrl'>, options: StoreOptions = {}): Promise<Stores> {
  if (config.databaseUrl === '') {
    const db = openServiceDatabase(config);
    try {
      return {
        kind: 'sqlite',
        voices: new SqliteVoiceStore(db),
        lexicon: new SqliteLexiconStore(db),
        keys: new SqliteKeyStore(db),
        usage: new SqliteUsageStore(db),
        outputs: new SqliteOutputStore(db),
        jobs: new SqliteJobStore(db),
        tenants: new SqliteTenantPolicyStore(db),
        close: async () => {
          db.close();
        },
      };
    } catch (err) {
      db.close();
      throw err;
    }
  }
  const pool = openPool(config.databaseUrl, options.onIdleError ? { onIdleError: options.onIdleError } : {});
  try {
    // One after another: each waits for the migration lock anyway.
    const voices = await PgVoiceStore.open(pool);
    const lexicon = await PgLexiconStore.open(pool);
    const keys = await PgKeyStore.open(pool);
    const usage = await PgUsageStore.open(pool);
    const outputs = await PgOutputStore.open(pool);
    const jobs = await PgJobStore.open(pool);
    const tenants = await PgTenantPolicyStore.open(pool);
    return { kind: 'postgres', voices, lexicon, keys, usage, outputs, jobs, tenants, pool, close: () => pool.end() };
  } catch (err) {
    await pool.end();
    throw err;
  }
}
