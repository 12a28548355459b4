// TenantPolicyService on a real SQLite database with two connections (a node and another node,
// or `cosyfleet tenants`): effective policies fall back field by field to the server's settings;
// a node reuses what it read for POLICY_CACHE_MS (a clock the test moves, not the wall clock), so
// another node's change reaches it once that time has passed, and its own change at once.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openDatabase } from '../storage/sqlite.js';
import { SqliteTenantPolicyStore } from '../storage/sqlite-tenant-store.js';
import { POLICY_CACHE_MS, TenantPolicyService } from './tenant-policies.js';

const DEFAULTS = { resultCache: 'seeded', outputRetentionDays: 30 } as const;

async function twoNodes(body: (nodes: { here: TenantPolicyService; there: TenantPolicyService; clock: { now: number } }) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cosyfleet-tenants-'));
  const dbs = [openDatabase(join(dir, 'cosyfleet.db')), openDatabase(join(dir, 'cosyfleet.db'))] as const;
  const clock = { now: 1_000_000 };
  try {
    const [a, b] = dbs.map((db) => new SqliteTenantPolicyStore(db)) as [SqliteTenantPolicyStore, SqliteTenantPolicyStore];
    await body({ here: new TenantPolicyService(a, DEFAULTS, { now: () => clock.now }), there: new TenantPolicyService(b, DEFAULTS, { now: () => clock.now }), clock });
  } finally {
    for (const db of dbs) db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('TenantPolicyService', () => {
  it('falls back to the server settings field by field; a change keeps the fields it does not name', () =>
    twoNodes(async ({ here }) => {
      assert.deepEqual(await here.effective('acme'), DEFAULTS);
      const set = await here.set('acme', { outputRetentionDays: 1 }, new Date('2026-12-04T10:00:00.000Z'));
      assert.deepEqual(set, { tenant: 'acme', resultCache: null, outputRetentionDays: 1, updatedAt: '2026-12-04T10:00:00.000Z', effective: { resultCache: 'seeded', outputRetentionDays: 1 }, defaults: DEFAULTS });
      const both = await here.set('acme', { resultCache: 'always' });
      assert.deepEqual([both.resultCache, both.outputRetentionDays], ['always', 1]);
      assert.deepEqual(await here.effective('acme'), { resultCache: 'always', outputRetentionDays: 1 });
      // 0 is a value (kept until deleted), not "the default".
      await here.set('acme', { outputRetentionDays: 0 });
      assert.equal(await here.outputRetentionDays('acme'), 0);
      // Every field back to null: no policy left.
      const cleared = await here.set('acme', { resultCache: null, outputRetentionDays: null });
      assert.equal(cleared.updatedAt, null);
      assert.deepEqual(await here.list(), []);
    }));

  it('another node sees a change once its cached read is POLICY_CACHE_MS old; the writing node at once', () =>
    twoNodes(async ({ here, there, clock }) => {
      assert.equal(await there.resultCacheMode('acme'), 'seeded', 'read and cached on the other node');
      await here.set('acme', { resultCache: 'always' });
      assert.equal(await here.resultCacheMode('acme'), 'always', 'the writing node drops its copy');
      clock.now += POLICY_CACHE_MS - 1;
      assert.equal(await there.resultCacheMode('acme'), 'seeded', 'the other node still answers from its copy');
      clock.now += 1;
      assert.equal(await there.resultCacheMode('acme'), 'always');
      await here.reset('acme');
      assert.equal(await here.resultCacheMode('acme'), 'seeded');
      assert.equal(await there.resultCacheMode('acme'), 'always');
      clock.now += POLICY_CACHE_MS;
      assert.equal(await there.resultCacheMode('acme'), 'seeded');
      // view() and list() read the database, never the cache.
      await here.set('globex', { outputRetentionDays: 2 });
      assert.equal((await there.view('globex')).outputRetentionDays, 2);
      assert.deepEqual((await there.list()).map((p) => p.tenant), ['globex']);
    }));
});
