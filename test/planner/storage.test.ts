// S3 lifecycle realism and delivery egress, with hand arithmetic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundledCatalog } from '../../src/planner/catalog.js';
import { deliveryCost, objectLifetimeUsd, storageCost } from '../../src/planner/storage.js';
import { workload } from './helpers.js';

const catalog = bundledCatalog();
const GB = 1024 ** 3;
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12 + 1e-9 * Math.abs(b), `${what}: ${a} vs ${b}`);
const PUT = 0.005 / 1000;

test('objects under 128 KB never transition: they cost STANDARD for their whole retention', () => {
  const bytes = 100 * 1024;
  const standardOnly = objectLifetimeUsd(bytes, 120, [], catalog);
  close(standardOnly, PUT + (bytes / GB) * 0.023 * 4, 'standard 120 days');
  close(objectLifetimeUsd(bytes, 120, [{ afterDays: 30, storageClass: 'GLACIER' }], catalog), standardOnly, 'lifecycle ignored');
});

test('minimum storage durations are billed when an object leaves a class early', () => {
  const bytes = 512 * 1024;
  // STANDARD 30 days, then STANDARD_IA until deletion at day 40: IA bills its 30-day minimum.
  const ia = objectLifetimeUsd(bytes, 40, [{ afterDays: 30, storageClass: 'STANDARD_IA' }], catalog);
  close(ia, PUT + (bytes / GB) * 0.023 + (bytes / GB) * 0.0125 + 0.01 / 1000, 'IA with early deletion');
  // Glacier Flexible: 90-day minimum, 32 KB at the Glacier rate + 8 KB at the STANDARD rate.
  const gl = objectLifetimeUsd(bytes, 60, [{ afterDays: 30, storageClass: 'GLACIER' }], catalog);
  const expected = PUT + (bytes / GB) * 0.023 + ((bytes + 32768) / GB) * 0.0036 * 3 + (8192 / GB) * 0.023 * 3 + 0.03 / 1000;
  close(gl, expected, 'Glacier with 90-day minimum');
  // Glacier Instant Retrieval bills at least 128 KB per object.
  const small = 130 * 1024;
  const gir = objectLifetimeUsd(small, 120, [{ afterDays: 30, storageClass: 'GLACIER_IR' }], catalog);
  close(gir, PUT + (small / GB) * 0.023 + (small / GB) * 0.004 * 3 + 0.02 / 1000, 'Glacier IR');
});

test('short clips: the cheapest lifecycle is not Glacier, and the report says why', () => {
  const w = workload({ meanChars: 60, storage: { retentionDays: 180, format: 'mp3' } });
  // 60 English characters = 4 s of audio = 32 KB of MP3: every object is under 128 KB.
  const s = storageCost(w, catalog, 1_000_000);
  assert.equal(s.shareUnderTransitionMinimum, 1);
  assert.equal(s.chosen.lifecycle.length, 0, s.chosen.label);
  close(s.chosen.monthlyUsd, 1_000_000 * (PUT + ((32000 / GB) * 0.023 * 180) / 30), 'STANDARD only');
  assert.match(s.notes.join(' '), /under 128 KB/);
});

test('CloudFront tiers after the free terabyte, direct egress after its free 100 GB', () => {
  // 10 s MP3 = 80,000 bytes; 40 million downloads = 3,200,000,000,000 bytes = 2980.23 GiB.
  const w = workload({ delivery: { cdnShare: 0.75, downloadsPerOutput: 2 } });
  const d = deliveryCost(w, catalog, 20_000_000);
  const total = (40_000_000 * 80000) / GB;
  close(d.egressGbPerMonth, total, 'egress');
  const cdn = total * 0.75;
  const direct = total * 0.25;
  close(d.monthlyUsd, (cdn - 1024) * 0.085 + (direct - 100) * 0.09, 'delivery');
});
