// Conformance of the usage and output stores, registered once per database (SQLite, PostgreSQL)
// with two handles on one fresh database: what one node writes, the other reads the same way.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UsageStore } from '../usage/usage-store.js';
import type { OutputRecord, OutputStore } from './output-store.js';
import { withHandles, type TwoHandles } from './two-handles.js';

const use = (requestId: string, over: Partial<Parameters<UsageStore['record']>[0]> = {}) => ({
  requestId,
  tenant: 'acme',
  keyId: 'key_a',
  route: 'POST /v1/tts',
  at: '2026-12-04T10:00:00.000Z',
  characters: 100,
  audioSeconds: 6.5,
  engineSeconds: 0.25,
  outcome: 'completed',
  ...over,
});

export function runUsageStoreConformance(name: string, open: () => Promise<TwoHandles<UsageStore>>): void {
  describe(`UsageStore conformance: ${name}`, () => {
    it('records, attributes cost, and sums per tenant and day and per key, across handles', withHandles(open, async ({ a, b }) => {
      await a.record(use('r1'));
      await b.record(use('r2', { tenant: 'globex', keyId: 'key_g', characters: 40 }));
      await a.record(use('r3', { at: '2026-12-05T00:00:01.000Z', characters: 7 }));
      await b.addCost([{ requestId: 'r1', costUsd: 0.25 }, { requestId: 'r2', costUsd: 0.5 }]);
      await a.addCost([{ requestId: 'r1', costUsd: 0.125 }]);
      await a.addIdle('2026-12-04T10:01:00.000Z', 0.0125);
      await b.addIdle('2026-12-04T10:01:00.000Z', 0.0125);
      const r1 = await b.get('r1');
      assert.equal(r1?.costUsd, 0.375);
      assert.equal(r1?.engineSeconds, 0.25);
      assert.equal(await a.get('nope'), null);
      const day = await b.daily('2026-12-04', '2026-12-04');
      assert.deepEqual(day.map((d) => [d.tenant, d.requests, d.characters, d.costUsd]), [['acme', 1, 100, 0.375], ['globex', 1, 40, 0.5]]);
      assert.deepEqual((await a.daily('2026-12-04', '2026-12-05', 'acme')).map((d) => [d.day, d.characters]), [['2026-12-04', 100], ['2026-12-05', 7]]);
      assert.deepEqual(await a.idle('2026-12-04', '2026-12-04'), [{ day: '2026-12-04', costUsd: 0.025 }]);
      assert.deepEqual(await b.keyTotals('key_a', '2026-12-04T00:00:00.000Z'), { requests: 2, characters: 107, audioSeconds: 13 });
      assert.deepEqual(await b.keyTotals('key_a', '2026-12-05T00:00:00.000Z'), { requests: 1, characters: 7, audioSeconds: 6.5 });
      assert.deepEqual(await a.keyTotals('key_none', '2026-01-01T00:00:00.000Z'), { requests: 0, characters: 0, audioSeconds: 0 });
    }));

    it('a request id recorded twice adds up instead of losing either', withHandles(open, async ({ a, b }) => {
      await a.record(use('dup', { characters: 10, engineSeconds: 1 }));
      await b.record(use('dup', { characters: 5, engineSeconds: 2, outcome: 'cancelled' }));
      const row = await a.get('dup');
      assert.equal(row?.characters, 15);
      assert.equal(row?.engineSeconds, 3);
      assert.equal(row?.outcome, 'cancelled');
    }));
  });
}

const out = (id: string, over: Partial<OutputRecord> = {}): OutputRecord => ({
  id,
  tenant: 'acme',
  format: 'mp3',
  contentType: 'audio/mpeg',
  bytes: 1234,
  audioSeconds: 2.5,
  characters: 30,
  voice: 'mei',
  engine: 'espeak',
  createdAt: '2026-12-04T10:00:00.000Z',
  expiresAt: '2027-01-03T10:00:00.000Z',
  ...over,
});

export function runOutputStoreConformance(name: string, open: () => Promise<TwoHandles<OutputStore>>): void {
  describe(`OutputStore conformance: ${name}`, () => {
    it('create, get, list newest first with pages, delete, scoped by tenant, across handles', withHandles(open, async ({ a, b }) => {
      await a.create(out('out_a', { createdAt: '2026-12-04T10:00:00.000Z' }));
      await b.create(out('out_b', { createdAt: '2026-12-04T10:00:01.000Z' }));
      await a.create(out('out_c', { createdAt: '2026-12-04T10:00:01.000Z' }));
      await b.create(out('out_g', { tenant: 'globex' }));
      await assert.rejects(a.create(out('out_a')), 'an id is never reused');
      assert.deepEqual(await b.get('acme', 'out_a'), out('out_a'));
      assert.equal(await b.get('globex', 'out_a'), null);
      const liveAt = '2026-12-04T12:00:00.000Z';
      const page1 = await b.list('acme', { limit: 2, liveAt });
      assert.deepEqual(page1.map((o) => o.id), ['out_c', 'out_b']);
      const page2 = await a.list('acme', { limit: 2, liveAt, before: page1[1]! });
      assert.deepEqual(page2.map((o) => o.id), ['out_a']);
      assert.equal(await b.delete('globex', 'out_a'), false);
      assert.equal(await b.delete('acme', 'out_a'), true);
      assert.equal(await a.has('out_a'), false);
      assert.equal(await a.has('out_g'), true);
    }));

    it('expired: oldest expiry first, kept-forever outputs never; expired ones leave the list', withHandles(open, async ({ a, b }) => {
      await a.create(out('out_1', { expiresAt: '2026-12-05T00:00:00.000Z' }));
      await a.create(out('out_2', { expiresAt: '2026-12-04T23:00:00.000Z' }));
      await b.create(out('out_3', { expiresAt: null }));
      assert.deepEqual((await b.expired('2026-12-05T00:00:00.000Z', 10)).map((o) => o.id), ['out_2', 'out_1']);
      assert.deepEqual((await b.expired('2026-12-05T00:00:00.000Z', 1)).map((o) => o.id), ['out_2']);
      assert.deepEqual((await a.list('acme', { limit: 10, liveAt: '2026-12-04T23:30:00.000Z' })).map((o) => o.id).sort(), ['out_1', 'out_3']);
    }));
  });
}
