// The store conformance suites on a real PostgreSQL (a throwaway cluster on loopback): each
// case gets a fresh database and two connection pools on it, what two cosyfleet nodes have.
// Both pools open (and so migrate) their store at the same time.
import { after, before, describe } from 'node:test';
import type { KeyStore } from '../../src/accounts/key-store.js';
import type { LexiconStore } from '../../src/lexicon/store.js';
import { runKeyStoreConformance } from '../../src/storage/key-store.conformance.js';
import { runLexiconStoreConformance } from '../../src/storage/lexicon-store.conformance.js';
import { PgKeyStore } from '../../src/storage/pg-key-store.js';
import { PgLexiconStore } from '../../src/storage/pg-lexicon-store.js';
import { PgVoiceStore } from '../../src/storage/pg-voice-store.js';
import { openPool, type PgPool } from '../../src/storage/postgres.js';
import type { TwoHandles } from '../../src/storage/two-handles.js';
import { runVoiceStoreConformance } from '../../src/storage/voice-store.conformance.js';
import type { VoiceStore } from '../../src/storage/voice-store.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { runOutputStoreConformance, runUsageStoreConformance } from '../../src/storage/usage-output.conformance.js';
import { PgUsageStore } from '../../src/storage/pg-usage-store.js';
import { PgOutputStore } from '../../src/storage/pg-output-store.js';
import type { UsageStore } from '../../src/usage/usage-store.js';
import type { OutputStore } from '../../src/storage/output-store.js';
import { runJobStoreConformance } from '../../src/storage/job-store.conformance.js';
import { PgJobStore } from '../../src/storage/pg-job-store.js';
import type { JobStore } from '../../src/jobs/job-store.js';
import { runTenantPolicyStoreConformance } from '../../src/storage/tenant-store.conformance.js';
import { PgTenantPolicyStore } from '../../src/storage/pg-tenant-store.js';
import type { TenantPolicyStore } from '../../src/accounts/tenant-policy-store.js';

describe('PostgreSQL stores', () => {
  let postgres: TestPostgres;
  before(async () => {
    postgres = await startPostgres();
  });
  after(async () => {
    await postgres.stop();
  });

  const twoPools =
    <S>(open: (pool: PgPool) => Promise<S>) =>
    async (): Promise<TwoHandles<S>> => {
      const url = await postgres.createDatabase();
      const pools = [openPool(url), openPool(url)] as const;
      try {
        const [a, b] = await Promise.all(pools.map(open));
        return { a: a as S, b: b as S, close: async () => void (await Promise.all(pools.map((p) => p.end()))) };
      } catch (err) {
        await Promise.all(pools.map((p) => p.end()));
        throw err;
      }
    };

  runVoiceStoreConformance('PostgreSQL', twoPools<VoiceStore>((pool) => PgVoiceStore.open(pool)));
  runLexiconStoreConformance('PostgreSQL', twoPools<LexiconStore>((pool) => PgLexiconStore.open(pool)));
  runKeyStoreConformance('PostgreSQL', twoPools<KeyStore>((pool) => PgKeyStore.open(pool)));
  runUsageStoreConformance('PostgreSQL', twoPools<UsageStore>((pool) => PgUsageStore.open(pool)));
  runOutputStoreConformance('PostgreSQL', twoPools<OutputStore>((pool) => PgOutputStore.open(pool)));
  runJobStoreConformance('PostgreSQL', twoPools<JobStore>((pool) => PgJobStore.open(pool)));
  runTenantPolicyStoreConformance('PostgreSQL', twoPools<TenantPolicyStore>((pool) => PgTenantPolicyStore.open(pool)));
});
