// The store conformance suites on SQLite: two connections on one database file stand in for
// the two handles (what `cosyfleet keys` and a running service have).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKeyStoreConformance } from './key-store.conformance.js';
import { runLexiconStoreConformance } from './lexicon-store.conformance.js';
import { openDatabase } from './sqlite.js';
import { SqliteKeyStore } from './sqlite-key-store.js';
import { SqliteLexiconStore } from './sqlite-lexicon-store.js';
import { SqliteVoiceStore } from './sqlite-voice-store.js';
import type { TwoHandles } from './two-handles.js';
import { runVoiceStoreConformance } from './voice-store.conformance.js';
import { runOutputStoreConformance, runUsageStoreConformance } from './usage-output.conformance.js';
import { SqliteUsageStore } from './sqlite-usage-store.js';
import { SqliteOutputStore } from './sqlite-output-store.js';
import { runTenantPolicyStoreConformance } from './tenant-store.conformance.js';
import { SqliteTenantPolicyStore } from './sqlite-tenant-store.js';

function twoConnections<S>(make: (db: ReturnType<typeof openDatabase>) => S): () => Promise<TwoHandles<S>> {
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cosyfleet-stores-'));
    const path = join(dir, 'cosyfleet.db');
    const dbA = openDatabase(path);
    const dbB = openDatabase(path);
    return {
      a: make(dbA),
      b: make(dbB),
      close: async () => {
        dbA.close();
        dbB.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  };
}

runVoiceStoreConformance('SQLite', twoConnections((db) => new SqliteVoiceStore(db)));
runLexiconStoreConformance('SQLite', twoConnections((db) => new SqliteLexiconStore(db)));
runKeyStoreConformance('SQLite', twoConnections((db) => new SqliteKeyStore(db)));
runUsageStoreConformance('SQLite', twoConnections((db) => new SqliteUsageStore(db)));
runOutputStoreConformance('SQLite', twoConnections((db) => new SqliteOutputStore(db)));
runTenantPolicyStoreConformance('SQLite', twoConnections((db) => new SqliteTenantPolicyStore(db)));
