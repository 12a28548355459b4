// The job store's conformance suite on SQLite: two connections on one database file stand in for
// the two handles (a service and a second process on the same DATA_DIR).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobStore } from '../jobs/job-store.js';
import { runJobStoreConformance } from './job-store.conformance.js';
import { openDatabase } from './sqlite.js';
import { SqliteJobStore } from './sqlite-job-store.js';
import type { TwoHandles } from './two-handles.js';

runJobStoreConformance('SQLite', async (): Promise<TwoHandles<JobStore>> => {
  const dir = await mkdtemp(join(tmpdir(), 'cosyfleet-jobs-'));
  const path = join(dir, 'cosyfleet.db');
  const dbA = openDatabase(path);
  const dbB = openDatabase(path);
  return {
    a: new SqliteJobStore(dbA),
    b: new SqliteJobStore(dbB),
    close: async () => {
      dbA.close();
      dbB.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
