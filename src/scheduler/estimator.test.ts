import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceRateEstimator } from './estimator.js';

describe('ServiceRateEstimator', () => {
  it('follows the measured audio per character and real-time factor', () => {
    const e = new ServiceRateEstimator({ initialRtf: 0.5, initialOverheadMs: 0 });
    const text = 'x'.repeat(100);
    // An engine that makes 10 s of audio from 100 characters in 200 ms: RTF 0.02.
    for (let i = 0; i < 40; i++) e.observe(text, 'en', 1, 10, 200);
    const est = e.estimate(text, 'en');
    assert.ok(Math.abs(est.audioSeconds - 10) < 0.01, `audio ${est.audioSeconds}`);
    assert.ok(Math.abs(est.engineMs - 200) < 5, `engine ${est.engineMs}`);
  });

  it('keeps dense scripts apart from spaced ones and scales with speed', () => {
    const e = new ServiceRateEstimator();
    e.observe('今'.repeat(20), 'cmn', 1, 5, 50);
    e.observe('x'.repeat(100), 'en', 1, 5, 50);
    assert.ok(e.estimate('今'.repeat(20), 'cmn').audioSeconds > e.estimate('x'.repeat(20), 'en').audioSeconds * 3);
    const normal = e.estimate('x'.repeat(100), 'en', 1).audioSeconds;
    assert.ok(Math.abs(e.estimate('x'.repeat(100), 'en', 2).audioSeconds - normal / 2) < 1e-9);
  });

  it('ignores observations without audio', () => {
    const e = new ServiceRateEstimator();
    const before = e.snapshot();
    e.observe('', 'en', 1, 1, 10);
    e.observe('abc', 'en', 1, 0, 10);
    assert.deepEqual(e.snapshot(), before);
  });
});
