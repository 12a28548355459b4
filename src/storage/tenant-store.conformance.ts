// What every TenantPolicyStore must do, whatever database is behind it: a policy per tenant,
// created, replaced and removed through one handle and seen at once through the other (another
// node), nulls kept as nulls (they mean "the server's setting"), listed by tenant. Run by
// src/storage/sqlite-stores.test.ts and test/storage/postgres-stores.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TenantPolicy, TenantPolicyStore } from '../accounts/tenant-policy-store.js';
import { withHandles, type TwoHandles } from './two-handles.js';

const policy = (tenant: string, extra: Partial<TenantPolicy> = {}): TenantPolicy => ({
  tenant,
  resultCache: null,
  outputRetentionDays: null,
  updatedAt: '2026-12-04T10:00:00.000Z',
  ...extra,
});

export function runTenantPolicyStoreConformance(label: string, open: () => Promise<TwoHandles<TenantPolicyStore>>): void {
  const withStores = (body: (h: TwoHandles<TenantPolicyStore>) => Promise<void>) => withHandles(open, body);

  describe(`TenantPolicyStore conformance: ${label}`, () => {
    it(
      'stores a policy and reads it back through either handle; none for a tenant without one',
      withStores(async ({ a, b }) => {
        assert.equal(await a.get('acme'), null);
        const acme = policy('acme', { resultCache: 'always', outputRetentionDays: 1 });
        assert.deepEqual(await a.put(acme), acme);
        assert.deepEqual(await b.get('acme'), acme);
        assert.equal(await b.get('globex'), null, 'tenants are apart');
        // Nulls stay nulls (the server's setting), and 0 stays 0 (kept until deleted), never confused.
        const zero = policy('globex', { resultCache: 'off', outputRetentionDays: 0 });
        await b.put(zero);
        assert.deepEqual(await a.get('globex'), zero);
        const nulls = policy('initech');
        await a.put(nulls);
        assert.deepEqual(await b.get('initech'), nulls);
      }),
    );

    it(
      'replaces a policy whole, seen by the other handle at once',
      withStores(async ({ a, b }) => {
        await a.put(policy('acme', { resultCache: 'always', outputRetentionDays: 7 }));
        const replaced = policy('acme', { resultCache: 'seeded', outputRetentionDays: null, updatedAt: '2026-12-05T00:00:00.000Z' });
        assert.deepEqual(await b.put(replaced), replaced);
        assert.deepEqual(await a.get('acme'), replaced);
        assert.deepEqual(await a.list(), [replaced], 'one row per tenant');
      }),
    );

    it(
      'lists every tenant with a policy by name',
      withStores(async ({ a, b }) => {
        assert.deepEqual(await a.list(), []);
        await a.put(policy('globex', { outputRetentionDays: 365 }));
        await b.put(policy('acme', { resultCache: 'off' }));
        await a.put(policy('acme-2', { resultCache: 'always' }));
        assert.deepEqual((await b.list()).map((p) => p.tenant), ['acme', 'acme-2', 'globex']);
        assert.deepEqual((await a.list()).find((p) => p.tenant === 'globex'), policy('globex', { outputRetentionDays: 365 }));
      }),
    );

    it(
      'deletes a policy (the tenant follows the server again); false when there was none',
      withStores(async ({ a, b }) => {
        await a.put(policy('acme', { resultCache: 'always' }));
        assert.equal(await b.delete('acme'), true);
        assert.equal(await a.get('acme'), null);
        assert.equal(await a.delete('acme'), false);
        assert.deepEqual(await b.list(), []);
      }),
    );
  });
}
