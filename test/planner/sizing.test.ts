// Hand-computed sizing and strategy costs. Every expected number below is worked out in the
// comments from the profile in helpers.ts; the planner must reproduce it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundledCatalog, findGpu } from '../../src/planner/catalog.js';
import { plan } from '../../src/planner/plan.js';
import { bundledEngines, resolveProfile } from '../../src/planner/profiles.js';
import { audioSecondsDistribution } from '../../src/planner/queueing.js';
import { Rng } from '../../src/planner/rng.js';
import { chooseUnit, MAX_FLEET_GPUS, sizingRules, Unit } from '../../src/planner/sizing.js';
import { HAND_PROFILE, workload } from './helpers.js';

const catalog = bundledCatalog();
const engine = bundledEngines().find((e) => e.engine === 'cosyvoice3-trtllm')!;
const g5 = catalog.instances.find((i) => i.instanceType === 'g5.xlarge')!;
const a10g = findGpu(catalog, 'A10G')!;

// Flat load: 2.4 requests/s of 150 English characters = 10 s of audio each (15 chars/s).
const flat = () => workload({ requestsPerDay: 2.4 * 86400, profiles: [HAND_PROFILE], planning: { maxUtilization: 0.85 } });

// The batching model by hand, on one GPU capped at 2 streams of the hand profile (T(1) = 5,
// T(2) = 5 + 5/3 = 6.667 audio-s/s interpolated towards T(4) = 10), 0.3 requests/s of 10 s:
//   departure rates mu(1) = 5/10 = 0.5/s, mu(2) = 6.667/10 = 0.6667/s (full: rho = 0.3/0.6667 = 0.45)
//   pi(0) = 1, pi(1) = 0.3/0.5 = 0.6, pi(2) = 0.6 x 0.45 = 0.27, then geometric: pi(>=2) = 0.27/0.55 = 0.4909
//   Z = 2.0909: P(wait) = 0.4909/Z = 0.2348; start as 1st stream 1/Z = 0.4783, as 2nd 0.6/Z = 0.2870
//   mean wait of those who wait: 1/(0.6667 - 0.3) x (1 + 0)/2 = 1.3636 s
//   stream-weighted concurrency: (0.6x1 + 0.27x4 + 0.2209x4) / (0.6 + 0.54 + 0.4418) = 1.6207
//   a request joining as n-th stream runs at n_eff = (n + 1.6207)/2: n=1 -> 1.3103 streams,
//   T = 5.517, 10 s x 1.3103/5.517 = 2.375 s; n=2 (and after a wait) -> 1.8103, T = 6.351, 2.851 s
//   the wait of those who wait is a gamma of that mean whose squared coefficient of variation is
//   1/3 + 2 rho/3 = 0.6333 for constant service (src/planner/wait-shape.ts): shape k = 1.5789
//   p95 completion: 0.2348 x Q(k, (x - 2.851) k/1.3636) = 0.05 (Q: the regularized upper
//   incomplete gamma function), so the wait quantile is 2.0321 s (scipy.stats.gamma.isf(0.05/0.2348, 1.5789, scale=1.3636/1.5789)),
//   x = 2.851 + 2.032 = 4.883 s (an exponential would give 2.851 + 1.3636 ln(4.696) = 4.960 s)
//   p95 first audio (300 ms at 1 stream, 366.7 ms at 2): 0.3667 + 2.032 = 2.399 s
// The old model ran every request at the cap's rate: 10 s x 2/6.667 = 3 s alone or not.
test('the whole curve, by hand: a request runs at the speed of the concurrency it meets', () => {
  const w = flat();
  const resolved = resolveProfile({ engine, gpu: a10g, catalog, userCurves: w.profiles });
  assert.ok(resolved.ok);
  assert.equal(resolved.profile.source, 'user');
  const unit = new Unit(g5, a10g, resolved.profile, 2, audioSecondsDistribution(w), sizingRules(w));
  const load = unit.load(1, 0.3)!;
  near(load.pw, 0.2348, 5e-4, 'P(wait)');
  near(load.meanIfWait, 1.3636, 5e-4, 'mean wait');
  near(load.meanConcurrency, 1.6207, 5e-4, 'stream-weighted concurrency');
  assert.deepEqual(load.starts.map((s) => Math.round(s.weight * 1e4) / 1e4), [0.4783, 0.287]);
  near(load.starts[0]!.slowdown * 10, 2.375, 1e-3, 'alone');
  near(load.queued.slowdown * 10, 2.851, 1e-3, 'beside one');
  const l = unit.latency(1, 0.3)!;
  near(l.p95CompletionMs, 4883, 2, 'p95 completion');
  near(l.p95FirstAudioMs, 2399, 2, 'p95 first audio');
  // Alone, a request takes its batch-1 time: 10 s / 5 = 2 s, first audio 300 ms.
  assert.deepEqual(unit.unloadedLatency(), { p95FirstAudioMs: 300, p95CompletionMs: 2000 });
  // Past full-batch capacity (0.6667 requests/s) there is no steady state.
  assert.equal(unit.latency(1, 0.7), null);
});

test('the flat load needs 3 GPUs of the hand profile, at 4 streams each', () => {
  const w = flat();
  const resolved = resolveProfile({ engine, gpu: a10g, catalog, userCurves: w.profiles });
  assert.ok(resolved.ok);
  // Full batch makes 10 audio-s/s = 1 request/s per GPU: 2.4/s at the 0.85 cap needs 3 GPUs.
  const choice = chooseUnit(g5, a10g, resolved.profile, audioSecondsDistribution(w), sizingRules(w), 2.4);
  assert.ok(choice.ok);
  assert.equal(choice.unit.k, 4);
  assert.equal(choice.peakGpus, 3);
  assert.equal(choice.unit.service.mean, 4);
  const l = choice.unit.latency(3, 2.4)!;
  assert.ok(l.p95FirstAudioMs <= 3000 && l.p95CompletionMs <= 10000, JSON.stringify(l));
  // Two GPUs cannot even hold the load at full batch (2 requests/s < 2.4).
  assert.equal(choice.unit.latency(2, 2.4), null);
});

// The engine's own variability at a fixed length (a measured profile's serviceScv) is waited on
// like the texts' lengths: one stream of the hand profile (2 s per 10-s request), 0.3 requests/s
// (rho 0.6), each request's time multiplied by a gamma factor of mean 1 and scv 0.25. By hand:
// mean wait of those who wait 1/(0.5 - 0.3) x (1 + 0.25)/2 = 3.125 s (2.5 s without it). Its p95
// first audio is checked against Lindley's recursion on 400,000 such requests (seeded).
test("a profile's serviceScv lengthens the queue as an M/G/1 with that service time does", () => {
  const w = flat();
  const resolved = resolveProfile({ engine, gpu: a10g, catalog, userCurves: w.profiles });
  assert.ok(resolved.ok);
  const steady = new Unit(g5, a10g, resolved.profile, 1, audioSecondsDistribution(w), sizingRules(w));
  const noisy = new Unit(g5, a10g, { ...resolved.profile, serviceScv: 0.25 }, 1, audioSecondsDistribution(w), sizingRules(w));
  near(steady.load(1, 0.3)!.meanIfWait, 2.5, 1e-6, 'mean wait, constant service');
  near(noisy.load(1, 0.3)!.meanIfWait, 3.125, 1e-6, 'mean wait, gamma service');
  near(noisy.waitScv, 0.25, 1e-9, 'scv');
  near(noisy.waitM3, 1.25 * 1.5, 1e-9, 'third moment ratio');

  const rng = new Rng(7, 3);
  const normal = () => Math.sqrt(-2 * Math.log(rng.nextOpen())) * Math.cos(2 * Math.PI * rng.next());
  // Marsaglia-Tsang for shape 4 (scv 1/4), scale 1/4: mean 1.
  const gamma4 = () => {
    const d = 4 - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = normal();
      const v = (1 + c * x) ** 3;
      if (v > 0 && Math.log(rng.nextOpen()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return (d * v) / 4;
    }
  };
  const n = 400_000;
  const waits = new Float64Array(n);
  let wait = 0;
  for (let i = 0; i < 2 * n; i++) {
    wait = Math.max(0, wait + 2 * gamma4() + Math.log(rng.nextOpen()) / 0.3);
    if (i >= n) waits[i - n] = wait;
  }
  waits.sort();
  const simulatedMs = ((waits[Math.floor(0.95 * n)] as number) + 0.3) * 1000;
  const planned = noisy.latency(1, 0.3)!.p95FirstAudioMs;
  assert.ok(Math.abs(planned / simulatedMs - 1) < 0.1, `p95 first audio: planned ${planned} ms, simulated ${simulatedMs} ms`);
  // And without the variability the planner's answer is shorter, as the queue's is.
  assert.ok(steady.latency(1, 0.3)!.p95FirstAudioMs < planned * 0.93);
});

function near(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);
}

test('always-on for the flat load: 3 x g5.xlarge, or one 4-GPU g5.12xlarge, for 30 days', () => {
  const result = plan({ workload: { ...flat(), instanceTypes: ['g5.xlarge', 'g5.12xlarge'] }, strategies: ['always-on'], sensitivityTop: 0 });
  const small = result.options.find((o) => o.instanceType === 'g5.xlarge')!;
  const big = result.options.find((o) => o.instanceType === 'g5.12xlarge');
  assert.equal(small.peakInstances, 3);
  assert.equal(small.meanInstances, 3);
  assert.ok(Math.abs(small.computeMonthlyUsd - 3 * 1.006 * 720) < 1e-6, `${small.computeMonthlyUsd}`);
  assert.equal(small.storageMonthlyUsd + small.deliveryMonthlyUsd, 0);
  assert.equal(small.profileSource, 'user');
  // g5.12xlarge has no user profile: its A10G profile is the same user curve (per GPU).
  assert.ok(big);
  assert.equal(big.peakInstances, 1);
  assert.ok(Math.abs(big.computeMonthlyUsd - 5.672 * 720) < 1e-6);
  assert.ok(small.sloMet, JSON.stringify(small));
  assert.equal(result.recommendation?.instanceType, 'g5.xlarge');
});

// Zero traffic from 20:00 to 08:00, flat from 08:00 to 20:00, on g5.12xlarge (4 A10G with the
// hand profile: one instance holds 3.4 requests/s at the 0.85 utilization cap, two hold 6.8).
// The day rate is 4.09 requests/s, so the autoscaler's target (rate x 1.1 headroom = 4.5/s)
// is 2 instances with a wide margin either side of the Poisson noise (245 requests/minute).
// Cold start 240 s = 4 minutes.
//   schedule: instances start 4 minutes before 08:00 (billed from 07:56) and stop at 20:00:
//             724 instance-minutes per instance per day.
//   scale-to-zero: the first requests at 08:00 wake the fleet at the end of that minute
//             (billed from 08:01); the last requests arrive in the minute before 20:00 and the
//             fleet stops after 15 idle minutes (billed through 20:14): 734 minutes per day.
test('a zero-traffic night: schedule and scale-to-zero cost what the arithmetic says', () => {
  const day = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0];
  const rate = 4.5 / 1.1;
  const w = workload({
    requestsPerDay: 12 * 3600 * rate,
    hourlyWeights: day,
    profiles: [HAND_PROFILE],
    instanceTypes: ['g5.12xlarge'],
    strategies: { scaleToZero: { idleMinutes: 15 }, autoscale: { headroom: 0.1 } },
  });
  const big = catalog.instances.find((i) => i.instanceType === 'g5.12xlarge')!;
  const resolved = resolveProfile({ engine, gpu: a10g, catalog, userCurves: w.profiles });
  assert.ok(resolved.ok);
  const unit = chooseUnit(big, a10g, resolved.profile, audioSecondsDistribution(w), sizingRules(w), rate);
  assert.ok(unit.ok);
  assert.equal(unit.unit.instancesNeeded(rate), 2);
  assert.equal(unit.unit.instancesFor(rate * 1.1), 2);
  assert.ok(unit.unit.maxRate(1) < 0.8 * rate * 1.1, `one instance holds ${unit.unit.maxRate(1)}/s`);
  assert.ok(unit.unit.maxRate(2) > 1.4 * rate * 1.1, `two instances hold ${unit.unit.maxRate(2)}/s`);

  const result = plan({ workload: w, strategies: ['schedule', 'scale-to-zero', 'always-on'], sensitivityTop: 0 });
  const by = (s: string) => result.options.find((o) => o.strategy === s)!;
  const price = 5.672;
  assert.ok(Math.abs(by('schedule').computeMonthlyUsd - (30 * 2 * 724 * price) / 60) < 1e-6, `${by('schedule').computeMonthlyUsd}`);
  assert.ok(Math.abs(by('scale-to-zero').computeMonthlyUsd - (30 * 2 * 734 * price) / 60) < 1e-6, `${by('scale-to-zero').computeMonthlyUsd}`);
  assert.ok(Math.abs(by('always-on').computeMonthlyUsd - 30 * 2 * 24 * price) < 1e-6);
  // The night fleet is zero for both.
  for (const s of ['schedule', 'scale-to-zero']) {
    const fleet = by(s).fleetByHourOfDay;
    for (const h of [0, 3, 6, 21, 23]) assert.equal(fleet[h], 0, `${s} at ${h}:00`);
    assert.equal(fleet[10], 2);
  }
  // Scale-to-zero makes the first requests of each day wait for a cold start; the schedule
  // pre-warms and does not.
  assert.ok(by('scale-to-zero').sloViolationMinutes >= 30 * 4, `${by('scale-to-zero').sloViolationMinutes}`);
  assert.ok(by('schedule').sloViolationMinutes < by('scale-to-zero').sloViolationMinutes);
});

// The hand profile on one A10G: 4 slots of 4 s per 10 s request, at most 0.85 busy, so at most
// 0.85 requests/s per GPU. 1000 requests/s needs more than 1176 GPUs: past MAX_FLEET_GPUS.
test('a fleet past MAX_FLEET_GPUS is refused for the type with the documented reason, and never simulated past it', () => {
  assert.equal(MAX_FLEET_GPUS, 1000);
  const w = workload({ requestsPerDay: 1000 * 86400, profiles: [HAND_PROFILE], instanceTypes: ['g5.xlarge', 'g5.12xlarge'] });
  const resolved = resolveProfile({ engine, gpu: a10g, catalog, userCurves: w.profiles });
  assert.ok(resolved.ok);
  const choice = chooseUnit(g5, a10g, resolved.profile, audioSecondsDistribution(w), sizingRules(w), 1000);
  assert.equal(choice.ok, false);
  assert.match((choice as { reason: string }).reason, /^needs more than 1000 GPUs at the peak \(1000 requests\/s\), the largest fleet the planner sizes; plan a share of the traffic/);

  let simulated = 0;
  const result = plan({ workload: w, sensitivityTop: 0, onProgress: () => simulated++ });
  assert.equal(simulated, 0);
  assert.deepEqual(result.options, []);
  assert.equal(result.recommendation, null);
  assert.deepEqual(result.excluded.map((e) => e.instanceType), ['g5.xlarge', 'g5.12xlarge']);
  for (const e of result.excluded) assert.match(e.reason, /^needs more than 1000 GPUs at the peak/);

  // Within the bound the autoscaler may want more than the cap on a burst; it gets the cap.
  const fits = chooseUnit(g5, a10g, resolved.profile, audioSecondsDistribution(w), sizingRules(w), 100);
  assert.ok(fits.ok);
  assert.equal(fits.unit.maxInstances, 1000);
  assert.equal(fits.unit.instancesFor(5000), 1000);
});
