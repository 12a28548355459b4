// The analytic M/G/c estimate against a request-level discrete-event simulation (the ground
// truth), and the month simulation against the analytic estimate on stationary loads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundledCatalog, findGpu } from '../../src/planner/catalog.js';
import { simulateRequests } from '../../src/planner/des.js';
import { bundledEngines, resolveProfile } from '../../src/planner/profiles.js';
import { audioSecondsDistribution, erlangC, ErlangCache, mgcWait, scaleTable, sumQuantile, waitQuantile } from '../../src/planner/queueing.js';
import { simulate } from '../../src/planner/simulate.js';
import { Unit, sizingRules } from '../../src/planner/sizing.js';
import { generateTraffic } from '../../src/planner/traffic.js';
import { HAND_PROFILE, workload } from './helpers.js';

const within = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol * expected, `${what}: ${actual.toFixed(1)} vs ${expected.toFixed(1)} (${((actual / expected - 1) * 100).toFixed(1)}%)`);

test('Erlang C matches its closed form and the cached interpolation stays close', () => {
  const closed = (c: number, a: number) => {
    let sum = 0, term = 1;
    for (let k = 0; k < c; k++) { sum += term; term *= a / (k + 1); }
    const last = (term * c) / (c - a);
    return last / (sum + last);
  };
  const cache = new ErlangCache();
  for (const [c, a] of [[1, 0.5], [4, 2.8], [12, 9.6], [48, 40.8], [100, 92]] as const) {
    assert.ok(Math.abs(erlangC(c, a) - closed(c, a)) < 1e-9, `C(${c}, ${a})`);
    assert.ok(Math.abs(cache.get(c, a) - closed(c, a)) < 2e-3, `cached C(${c}, ${a})`);
  }
  assert.equal(erlangC(1, 0.5), 0.5);
});

test('Erlang C agrees with the Erlang B recursion at the largest fleets the planner sizes', () => {
  // The O(c) textbook recursion, as the reference: erlangC stops summing where the terms stop
  // mattering, which must change nothing that shows.
  const recursion = (c: number, a: number) => {
    let b = 1;
    for (let j = 1; j <= c; j++) b = (a * b) / (j + a * b);
    const rho = a / c;
    return b / (1 - rho + rho * b);
  };
  for (const c of [7, 160, 4096, 16000, 64000]) {
    for (const rho of [0.01, 0.5, 0.9, 0.97, 0.995, 0.9999]) {
      const expected = recursion(c, rho * c);
      assert.ok(Math.abs(erlangC(c, rho * c) - expected) <= 1e-12 + 1e-9 * expected, `C(${c}, ${rho * c}): ${erlangC(c, rho * c)} vs ${expected}`);
    }
  }
});

// Stationary loads: servers, utilization, coefficient of variation of text length.
const CASES = [
  [12, 0.8, 0.6],
  [48, 0.85, 0.6],
  [4, 0.7, 0.6],
  [16, 0.75, 1.0],
  [32, 0.9, 0.5],
] as const;

for (const [c, rho, cv] of CASES) {
  test(`analytic M/G/c p95 within 10% of a request-level simulation: ${c} servers, utilization ${rho}, length cv ${cv}`, () => {
    const audio = audioSecondsDistribution({ meanChars: 200, lengthDistribution: { type: 'lognormal', cv, maxChars: 4000 }, language: [{ code: 'en', share: 1, charsPerSecond: 15 }] });
    const service = scaleTable(audio, 0.3);
    const lambda = (rho * c) / service.mean;
    const des = simulateRequests({ servers: c, lambda, service, firstAudioS: 0.5, requests: 300000, seed: 11 });
    const tail = mgcWait(c, lambda * service.mean, service.mean, service.scv)!;
    within((0.5 + waitQuantile(tail, 0.95)) * 1000, des.p95FirstAudioMs, 0.1, 'p95 first audio');
    within(sumQuantile(tail, service.values, 0.95) * 1000, des.p95CompletionMs, 0.1, 'p95 completion');
    // The wait really matters in these cases (the comparison is not just the service time).
    assert.ok(des.probabilityOfWait > 0.1, `P(wait) ${des.probabilityOfWait}`);
  });
}

// Requests all alike (one text length: constant service, M/D/1 and M/D/c): an exponential wait
// with the right mean put p95 25–35% too far out at 30–60% load (issue 14's validation on the
// embedded engine, whose requests are all alike); the gamma shape from the service's moments
// (src/planner/wait-shape.ts) is exact for M/D/1.
for (const [c, rho] of [[1, 0.3], [1, 0.6], [1, 0.9], [4, 0.6], [4, 0.85]] as const) {
  test(`analytic p95 within 10% of a request-level simulation for constant service: ${c} server(s), utilization ${rho}`, () => {
    const audio = audioSecondsDistribution({ meanChars: 350, lengthDistribution: { type: 'fixed' }, language: [{ code: 'en', share: 1, charsPerSecond: 15 }] });
    const service = scaleTable(audio, 0.01);
    assert.equal(service.scv, 0);
    const lambda = (rho * c) / service.mean;
    const des = simulateRequests({ servers: c, lambda, service, firstAudioS: 0.01, requests: 300000, seed: 7 });
    const tail = mgcWait(c, lambda * service.mean, service.mean, service.scv, erlangC, service.m3)!;
    within((0.01 + waitQuantile(tail, 0.95)) * 1000, des.p95FirstAudioMs, 0.1, 'p95 first audio');
    within(sumQuantile(tail, service.values, 0.95) * 1000, des.p95CompletionMs, 0.1, 'p95 completion');
    // Without the shape (an exponential with the same mean) the first audio is off by more: the case bites.
    const exponential = { ...tail, shape: 1 };
    const off = Math.abs((0.01 + waitQuantile(exponential, 0.95)) * 1000 / des.p95FirstAudioMs - 1);
    if (c === 1 && rho <= 0.6) assert.ok(off > 0.1, `the exponential tail is off by ${(off * 100).toFixed(1)}%`);
  });
}

test('the month simulation agrees with the analytic estimate on a stationary load (always-on)', () => {
  const catalog = bundledCatalog();
  const engine = bundledEngines().find((e) => e.engine === 'cosyvoice3-trtllm')!;
  const gpu = findGpu(catalog, 'A10G')!;
  const inst = catalog.instances.find((i) => i.instanceType === 'g5.xlarge')!;
  for (const [gpus, rho, cv] of [[3, 0.8, 0.6], [6, 0.85, 0.4], [2, 0.7, 0.8]] as const) {
    const base = workload({ profiles: [HAND_PROFILE], lengthDistribution: { type: 'lognormal', cv, maxChars: 3000 } });
    const profile = resolveProfile({ engine, gpu, catalog, userCurves: base.profiles });
    assert.ok(profile.ok);
    const unit = new Unit(inst, gpu, profile.profile, 4, audioSecondsDistribution(base), sizingRules(base));
    const lambda = (rho * gpus * 4) / unit.service.mean;
    const w = { ...base, requestsPerDay: lambda * 86400 };
    const sim = simulate({
      unit,
      strategy: 'always-on',
      traffic: generateTraffic(w),
      onDemandUsdPerHour: 1,
      spotUsdPerHour: 0.4,
      coldStartMinutes: 4,
      schedule: new Int32Array(168).fill(gpus),
      autoscale: w.strategies.autoscale,
      idleMinutes: 15,
      spot: { interruptionsPerInstanceMonth: 0, onDemandBase: 0 },
      streamingShare: w.streamingShare,
      slo: w.slo,
      seed: 5,
    });
    const analytic = unit.latency(gpus, lambda)!;
    within(sim.p95FirstAudioMs!, analytic.p95FirstAudioMs, 0.1, `${gpus} GPUs at ${rho}: p95 first audio`);
    within(sim.p95CompletionMs, analytic.p95CompletionMs, 0.1, `${gpus} GPUs at ${rho}: p95 completion`);
    within(sim.utilization, rho, 0.05, 'utilization');
    assert.equal(sim.peakInstances, gpus);
    assert.equal(sim.unservedAtEnd, 0);
  }
});
