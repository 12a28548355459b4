// The validation's control variate: Lindley's recursion on given arrivals, and the model's
// long-run p95 against an independent M/D/1 simulation and M/M/1's closed form.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lindleyWaits, replayP95, steadyP95Drawn } from '../../scripts/replay-queue.js';

describe('replay queue (validate:planner)', () => {
  it('Lindley: a request waits for the work still ahead of it, and an idle gap resets the queue', () => {
    // Service 10 ms; arrivals at 0, 2, 4 wait 0, 8, 16; one at 100 finds the server idle.
    assert.deepEqual([...lindleyWaits([0, 2, 4, 100, 105], 10)], [0, 8, 16, 0, 5]);
    // Per-arrival service: the first takes 30 ms, so the second (at 2) waits 28.
    assert.deepEqual([...lindleyWaits([0, 2, 100], (i) => (i === 0 ? 30 : 10))], [0, 28, 0]);
  });

  it('replayP95 adds the unloaded time and keeps only the measured arrivals', () => {
    const arrivals = Array.from({ length: 100 }, (_, i) => i * 20);
    // Never a queue (gap 20 > service 10): every kept value is exactly the added 7 ms.
    assert.equal(replayP95(arrivals, 10, 7, (i) => i >= 50), 7);
    // Back-to-back arrivals: the i-th waits 10·i; the kept half's p95 is the wait near its top.
    const burst = Array.from({ length: 100 }, () => 0);
    const p = replayP95(burst, 10, 0, (i) => i >= 50);
    assert.ok(p > 10 * 95 && p <= 10 * 99, `p95 of waits 500..990: ${p}`);
  });

  it("steadyP95Drawn with one service time matches M/D/1's known p95 at 60% load", () => {
    // M/D/1 at ρ = 0.6 with D = 1: the wait's p95 is 2.82 D (an independent 400k-arrival
    // simulation in Python, seed 1), and P(W > 0) = ρ, so with no added time the 40th percentile is 0.
    const p95 = steadyP95Drawn(600, [1], 0);
    assert.ok(Math.abs(p95 / 2.82 - 1) < 0.03, `p95 ${p95}`);
    assert.throws(() => steadyP95Drawn(1000, [1], 0), /saturation/);
  });

  it("steadyP95Drawn with exponential engine times is M/M/1: the time in system is exponential at μ − λ", () => {
    // 20,000 exponential quantiles of mean 1 ms; λ = 600/s, so ρ = 0.6 and the time in system
    // (wait + own service) has p95 ln(20)/(μ − λ) = ln(20)/0.4 ms = 7.49 ms.
    const n = 20_000;
    const services = Array.from({ length: n }, (_, k) => -Math.log(1 - (k + 0.5) / n));
    const p95 = steadyP95Drawn(600, services, 'own');
    assert.ok(Math.abs(p95 / (Math.log(20) / 0.4) - 1) < 0.03, `p95 ${p95}`);
    // The wait alone (plus a constant) is below it, and a constant add shifts it exactly.
    const wait = steadyP95Drawn(600, services, 0);
    assert.ok(wait < p95, `${wait} < ${p95}`);
    assert.ok(Math.abs(steadyP95Drawn(600, services, 5) - wait - 5) < 1e-9);
  });

  it('replayP95 adds each request\'s own service for completion', () => {
    // Never a queue; each kept request's completion is its own service.
    const arrivals = Array.from({ length: 100 }, (_, i) => i * 100);
    const own = (i: number) => (i % 10 === 0 ? 50 : 10);
    assert.equal(replayP95(arrivals, own, own, () => true), 50);
    assert.equal(replayP95(arrivals, own, own, (i) => i % 10 !== 0), 10);
  });
});
