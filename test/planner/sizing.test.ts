// Hand-computed sizing and strategy costs. Every expected number below is worked out in the
// comments from the profile in helpers.ts; the planner must reproduce it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundledCatalog, findGpu } from '../../src/planner/catalog.js';
import { plan } from '../../src/planner/plan.js';
import { bundledEngines, resolveProfile } from '../../src/planner/profiles.js';
import { audioSecondsDistribution } from '../../src/planner/queueing.js';
import { chooseUnit, MAX_FLEET_GPUS, sizingRules } from '../../src/planner/sizing.js';
import { HAND_PROFILE, workload } from './helpers.js';

const catalog = bundledCatalog();
const engine = bundledEngines().find((e) => e.engine === 'cosyvoice3-trtllm')!;
const g5 = catalog.instances.find((i) => i.instanceType === 'g5.xlarge')!;
const a10g = findGpu(catalog, 'A10G')!;

// Flat load: 2.4 requests/s of 150 English characters = 10 s of audio each (15 chars/s).
// Per GPU at concurrency k, a request takes 10 s x k / T(k):
//   k=1: T=5     -> S=2.0 s, load a = 2.4 x 2.0 = 4.8 Erlangs, 1 slot/GPU -> ceil(4.8/0.85)     = 6 GPUs
//   k=2: T=6.667 -> S=3.0 s, a = 7.2,                          2 slots   -> ceil(7.2/1.7)      = 5
//   k=3: T=8.333 -> S=3.6 s, a = 8.64,                         3 slots   -> ceil(8.64/2.55)    = 4
//   k=4: T=10    -> S=4.0 s, a = 9.6,                          4 slots   -> ceil(9.6/3.4)      = 3
// With 3 GPUs (12 slots, utilization 0.8): Erlang C(12, 9.6) = 0.3688 (closed form below),
// conditional mean wait 4/(12-9.6) x (1+0)/2 = 0.833 s, p95 wait 0.833 x ln(0.3688/0.05) = 1.67 s,
// so p95 first audio 0.5 + 1.67 = 2.17 s <= 3 s and p95 completion 4 + 1.67 = 5.67 s <= 10 s.
const flat = () => workload({ requestsPerDay: 2.4 * 86400, profiles: [HAND_PROFILE], planning: { maxUtilization: 0.85 } });

function erlangCClosedForm(c: number, a: number): number {
  let sum = 0;
  let term = 1;
  for (let k = 0; k < c; k++) {
    sum += term;
    term *= a / (k + 1);
  }
  const last = (term * c) / (c - a);
  return last / (sum + last);
}

test('a flat load that needs exactly 3 GPUs of the hand profile', () => {
  const w = flat();
  const resolved = resolveProfile({ engine, gpu: a10g, catalog, userCurves: w.profiles });
  assert.ok(resolved.ok);
  assert.equal(resolved.profile.source, 'user');
  const choice = chooseUnit(g5, a10g, resolved.profile, audioSecondsDistribution(w), sizingRules(w), 2.4);
  assert.ok(choice.ok);
  assert.equal(choice.unit.k, 4);
  assert.equal(choice.peakGpus, 3);
  assert.equal(choice.unit.service.mean, 4);
  assert.equal(choice.unit.gpusNeeded(2.4), 3);
  const pw = erlangCClosedForm(12, 9.6);
  assert.ok(Math.abs(pw - 0.3688) < 5e-4, `Erlang C ${pw}`);
  const p95Wait = (4 / 2.4 / 2) * Math.log(pw / 0.05);
  const l = choice.unit.latency(3, 2.4)!;
  assert.ok(Math.abs(l.p95FirstAudioMs - (500 + p95Wait * 1000)) < 1, `${l.p95FirstAudioMs}`);
  assert.ok(Math.abs(l.p95CompletionMs - (4000 + p95Wait * 1000)) < 0.002 * l.p95CompletionMs, `${l.p95CompletionMs}`);
  // Two GPUs cannot even hold the load (8 slots < 9.6 Erlangs).
  assert.equal(choice.unit.latency(2, 2.4), null);
});

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
