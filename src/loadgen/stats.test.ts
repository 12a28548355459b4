import assert from 'node:assert/strict';
import { test } from 'node:test';
import { charsPerSecond, levelStats, quantile, summarize, totalsOf } from './stats.js';
import type { RequestRecord } from './types.js';

let id = 0;
function rec(o: Partial<RequestRecord>): RequestRecord {
  return {
    id: ++id, concurrency: 2, language: 'en', chars: 30, sentAtMs: 0, endedAtMs: 100, phase: 'window', outcome: 'ok', status: 200,
    firstAudioMs: 50, completionMs: 100, audioSeconds: 2, rtf: 0.05, ...o,
  };
}

test('quantiles interpolate between order statistics', () => {
  assert.equal(quantile([1, 2, 3, 4, 5], 0.5), 3);
  assert.equal(quantile([10, 20], 0.95), 19.5);
  assert.deepEqual(summarize([4, 1, 3, 2]), { n: 4, mean: 2.5, p50: 2.5, p95: 3.8499999999999996, p99: 3.9699999999999998 });
  assert.equal(summarize([]), null);
});

test('a level counts only its window: 429s apart from errors, aborted and warm-up/drain only counted', () => {
  const records = [
    rec({ firstAudioMs: 40, completionMs: 100, audioSeconds: 2 }),
    rec({ firstAudioMs: 60, completionMs: 300, audioSeconds: 4 }),
    rec({ outcome: 'http_error', status: 429, error: 'http 429', detail: 'queue_full: full', firstAudioMs: null, completionMs: null, audioSeconds: null, rtf: null }),
    rec({ outcome: 'http_error', status: 500, error: 'http 500', detail: 'internal: boom', firstAudioMs: null, completionMs: null, audioSeconds: null, rtf: null }),
    rec({ outcome: 'network_error', status: null, error: 'network ECONNRESET', firstAudioMs: null, completionMs: null, audioSeconds: null, rtf: null }),
    rec({ phase: 'warmup', audioSeconds: 100 }),
    rec({ phase: 'drain', audioSeconds: 100 }),
    rec({ phase: 'drain', outcome: 'aborted', status: null, error: 'aborted', firstAudioMs: null, completionMs: null, audioSeconds: null, rtf: null }),
  ];
  const l = levelStats({ concurrency: 2, rate: null, complete: true, windowS: 2, records });
  assert.equal(l.requests, 5);
  assert.equal(l.ok, 2);
  assert.deepEqual(l.errors, { 'http 500': 1, 'network ECONNRESET': 1 });
  assert.equal(l.errorCount, 2);
  assert.equal(l.status429, 1);
  assert.equal(l.errorShare, 3 / 5);
  assert.deepEqual(l.errorSamples, { 'http 429': 'queue_full: full', 'http 500': 'internal: boom' });
  assert.equal(l.aborted, 1);
  assert.equal(l.warmup, 1);
  assert.equal(l.drained, 1);
  assert.equal(l.audioSeconds, 6);
  assert.equal(l.audioSecondsPerSecond, 3);
  assert.equal(l.requestsPerSecond, 1);
  assert.equal(l.firstAudioMs?.mean, 50);
  assert.equal(l.completionMs?.p50, 200);
  assert.deepEqual(totalsOf(records, 8, 3), { arrivals: 11, sent: 8, ok: 4, errors: 2, status429: 1, aborted: 1, dropped: 3 });
});

test('characters per audio second by language, over successful requests only', () => {
  const records = [
    rec({ language: 'en', chars: 30, audioSeconds: 2 }),
    rec({ language: 'en', chars: 60, audioSeconds: 4 }),
    rec({ language: 'cmn', chars: 9, audioSeconds: 2 }),
    rec({ language: 'de', outcome: 'http_error', status: 500, audioSeconds: null }),
  ];
  assert.deepEqual(charsPerSecond(records), { en: 15, cmn: 4.5 });
});
