// What every KeyStore must do, whatever database is behind it: lookups by digest, tenant
// scoping and order, revocation (seen by the other handle, another node, at once), limits,
// store-by-default, throttled last-use. Run by src/storage/sqlite-stores.test.ts and
// test/storage/postgres-stores.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_LIMITS, type KeyRecord, type KeyStore } from '../accounts/key-store.js';
import { withHandles, type TwoHandles } from './two-handles.js';

type NewKeyRecord = Omit<KeyRecord, 'revokedAt' | 'lastUsedAt'>;

const key = (id: string, extra: Partial<NewKeyRecord> = {}): NewKeyRecord => ({
  id,
  tenant: 'default',
  name: `key ${id}`,
  scopes: ['synthesize', 'voices'],
  prefix: `cf_${id}`,
  limits: NO_LIMITS,
  storeByDefault: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});

const digest = (id: string) => `${id}`.padEnd(64, '0');

export function runKeyStoreConformance(label: string, open: () => Promise<TwoHandles<KeyStore>>): void {
  const withStores = (body: (h: TwoHandles<KeyStore>) => Promise<void>) => withHandles(open, body);

  describe(`KeyStore conformance: ${label}`, () => {
    it(
      'stores a key under its digest and finds it by digest and id, through either handle',
      withStores(async ({ a, b }) => {
        const limits = { ...NO_LIMITS, requestsPerMinute: 60, charactersPerMonth: 1_000_000 };
        const created = await a.create(key('key_a', { scopes: ['admin', 'usage'], limits }), digest('aa'));
        assert.deepEqual(created, { ...key('key_a', { scopes: ['admin', 'usage'], limits }), revokedAt: null, lastUsedAt: null });
        assert.deepEqual(await b.findByHash(digest('aa')), created);
        assert.deepEqual(await b.get('key_a'), created);
        assert.equal(await a.findByHash(digest('bb')), null);
        assert.equal(await a.get('key_missing'), null);
        await assert.rejects(b.create(key('key_b'), digest('aa')), /UNIQUE|duplicate key/i, 'a digest names one key');
        await assert.rejects(b.create(key('key_a'), digest('cc')), /UNIQUE|duplicate key/i, 'ids are unique');
      }),
    );

    it(
      'lists oldest first (then by id), every tenant or one, revoked keys included',
      withStores(async ({ a, b }) => {
        await a.create(key('key_c', { createdAt: '2026-01-03T00:00:00.000Z' }), digest('c'));
        await b.create(key('key_b', { createdAt: '2026-01-01T00:00:00.000Z', tenant: 'acme' }), digest('b'));
        await a.create(key('key_a', { createdAt: '2026-01-01T00:00:00.000Z' }), digest('a'));
        await b.create(key('key_d', { createdAt: '2026-01-02T00:00:00.000Z', tenant: 'acme' }), digest('d'));
        await a.revoke('key_d', '2026-01-04T00:00:00.000Z');
        assert.deepEqual((await b.list()).map((k) => k.id), ['key_a', 'key_b', 'key_d', 'key_c']);
        assert.deepEqual((await a.list('acme')).map((k) => k.id), ['key_b', 'key_d']);
        assert.deepEqual(await a.list('nobody'), []);
      }),
    );

    it(
      'revokes once (the first time stays), at once for the other handle; null for no key',
      withStores(async ({ a, b }) => {
        await a.create(key('key_a'), digest('aa'));
        await a.create(key('key_b'), digest('bb'));
        assert.equal(await a.activeCount(), 2);
        const revoked = await b.revoke('key_a', '2026-02-01T00:00:00.000Z');
        assert.equal(revoked?.revokedAt, '2026-02-01T00:00:00.000Z');
        assert.equal((await a.findByHash(digest('aa')))?.revokedAt, '2026-02-01T00:00:00.000Z', 'the other handle sees it');
        assert.equal((await a.revoke('key_a', '2026-03-01T00:00:00.000Z'))?.revokedAt, '2026-02-01T00:00:00.000Z', 'idempotent');
        assert.equal(await a.activeCount(), 1);
        assert.equal(await b.revoke('key_missing', '2026-02-01T00:00:00.000Z'), null);
        assert.equal((await b.get('key_b'))?.revokedAt, null);
      }),
    );

    it(
      'replaces limits; null for no key',
      withStores(async ({ a, b }) => {
        await a.create(key('key_a'), digest('aa'));
        const limits = { ...NO_LIMITS, concurrentRequests: 2, audioSecondsPerDay: 3600 };
        assert.deepEqual((await b.setLimits('key_a', limits))?.limits, limits);
        assert.deepEqual((await a.get('key_a'))?.limits, limits);
        assert.equal(await a.setLimits('key_missing', limits), null);
      }),
    );

    it(
      'keeps store-by-default from creation and changes it, seen by the other handle; null for no key',
      withStores(async ({ a, b }) => {
        await a.create(key('key_a'), digest('aa'));
        const stored = await a.create(key('key_b', { storeByDefault: true }), digest('bb'));
        assert.equal(stored.storeByDefault, true);
        assert.equal((await b.get('key_a'))?.storeByDefault, false);
        assert.equal((await b.findByHash(digest('bb')))?.storeByDefault, true);
        assert.equal((await b.setStoreByDefault('key_a', true))?.storeByDefault, true);
        assert.equal((await a.get('key_a'))?.storeByDefault, true);
        const off = await a.setStoreByDefault('key_b', false);
        assert.deepEqual(off, { ...key('key_b'), revokedAt: null, lastUsedAt: null }, 'nothing else changes');
        assert.deepEqual((await b.list()).map((k) => [k.id, k.storeByDefault]), [['key_a', true], ['key_b', false]]);
        assert.equal(await b.setStoreByDefault('key_missing', true), null);
      }),
    );

    it(
      'records last use at most once a minute per key',
      withStores(async ({ a, b }) => {
        await a.create(key('key_a'), digest('aa'));
        await a.touch('key_a', '2026-01-01T00:00:00.000Z');
        assert.equal((await b.get('key_a'))?.lastUsedAt, '2026-01-01T00:00:00.000Z');
        await a.touch('key_a', '2026-01-01T00:00:30.000Z');
        assert.equal((await b.get('key_a'))?.lastUsedAt, '2026-01-01T00:00:00.000Z', 'within the minute: not written');
        await a.touch('key_a', '2026-01-01T00:01:00.000Z');
        assert.equal((await b.get('key_a'))?.lastUsedAt, '2026-01-01T00:01:00.000Z');
        await b.touch('key_a', '2026-01-01T00:00:45.000Z');
        assert.equal((await a.get('key_a'))?.lastUsedAt, '2026-01-01T00:01:00.000Z', 'another handle never moves it back');
        await a.touch('key_missing', '2026-01-01T00:02:00.000Z');
      }),
    );
  });
}
