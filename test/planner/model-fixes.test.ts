// The planner model faults an independent check found (issue 14), each with the case that
// exposed it: batching at low load, cold starts counted against the SLO by their real wait,
// floating-point backlog leftovers, and spot with no on-demand base beside spot on a schedule.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { bundledCatalog, findGpu } from '../../src/planner/catalog.js';
import { simulateBatchedRequests } from '../../src/planner/des.js';
import { plan, sizeSchedule } from '../../src/planner/plan.js';
import { bundledEngines, resolveProfile } from '../../src/planner/profiles.js';
import { audioSecondsDistribution } from '../../src/planner/queueing.js';
import { simulate } from '../../src/planner/simulate.js';
import { chooseUnit, sizingRules, Unit } from '../../src/planner/sizing.js';
import { generateTraffic } from '../../src/planner/traffic.js';
import { parseWorkload } from '../../src/planner/workload.js';
import { HAND_PROFILE, workload } from './helpers.js';

const catalog = bundledCatalog();
const engine = bundledEngines().find((e) => e.engine === 'cosyvoice3-trtllm')!;
const a10g = findGpu(catalog, 'A10G')!;
const g5 = catalog.instances.find((i) => i.instanceType === 'g5.xlarge')!;

/** The example workload (zh/en narration, daytime peak), with some fields replaced. */
function example(over: Record<string, unknown>) {
  const text = readFileSync(new URL('../../examples/workload.yaml', import.meta.url), 'utf8');
  const w = parseWorkload(text, 'workload.yaml');
  return { ...w, ...over };
}

test('the batching model agrees with a request-by-request simulation of the engine', () => {
  // Ground truth: every stream on a GPU advances at T(n)/n, arrivals join the least-loaded GPU
  // or wait in one FIFO queue (des.ts). Published L20 curve and the hand profile, light to heavy.
  const l20 = { ...engine.anchors[0]!, gpu: 'A10G', engine: engine.engine };
  const cases = [
    { profile: HAND_PROFILE, gpus: 1, k: 4, rho: 0.3 },
    { profile: HAND_PROFILE, gpus: 3, k: 4, rho: 0.85 },
    { profile: l20, gpus: 1, k: 16, rho: 0.6 },
    { profile: l20, gpus: 4, k: 8, rho: 0.85 },
    { profile: l20, gpus: 1, k: 4, rho: 0.1 },
  ];
  for (const c of cases) {
    const w = workload({ profiles: [c.profile], lengthDistribution: { type: 'lognormal', cv: 0.6, maxChars: 3000 } });
    const r = resolveProfile({ engine, gpu: a10g, catalog, userCurves: w.profiles });
    assert.ok(r.ok);
    const unit = new Unit(g5, a10g, r.profile, c.k, audioSecondsDistribution(w), sizingRules(w));
    const lambda = (c.rho * c.gpus * c.k) / unit.service.mean;
    const model = unit.latency(c.gpus, lambda)!;
    const des = simulateBatchedRequests({ curve: unit.curve, gpus: c.gpus, lambda, audio: unit.audio, requests: 60000, seed: 7 });
    const what = `${c.profile === HAND_PROFILE ? 'hand' : 'L20'} ${c.gpus} GPU x ${c.k} at ${c.rho}`;
    within(model.p95FirstAudioMs, des.p95FirstAudioMs, 0.15, `${what}: p95 first audio`);
    within(model.p95CompletionMs, des.p95CompletionMs, 0.1, `${what}: p95 completion`);
  }
});

test('1,000 requests a day: one L4 meets the SLO (the fixed-concurrency model sized two)', () => {
  const w = example({ requestsPerDay: 1000, instanceTypes: ['g6.xlarge'] });
  const r = plan({ workload: w, strategies: ['always-on'], sensitivityTop: 0 });
  const o = r.options[0]!;
  assert.equal(o.peakInstances, 1);
  assert.ok(o.sloMet, JSON.stringify({ fa: o.p95FirstAudioMs, c: o.p95CompletionMs, v: o.sloViolationMinutes }));
});

test('at a trickle each GPU reports its batch-1 latency, so the faster GPU reports the lower one', () => {
  const w = parseWorkload(
    JSON.stringify({
      requestsPerDay: 1000, meanChars: 180, lengthDistribution: { type: 'lognormal', cv: 0.7, maxChars: 2000 },
      language: [{ code: 'en', share: 1, charsPerSecond: 15 }], hourlyWeights: new Array(24).fill(1), streamingShare: 1,
      slo: { p95FirstAudioMs: 5000, p95CompletionMs: 120000 }, region: 'us-east-1', instanceTypes: ['g5.xlarge', 'g6.xlarge'],
    }),
    'trickle.json',
  );
  const r = plan({ workload: w, strategies: ['always-on'], sensitivityTop: 0 });
  const by = (t: string) => r.options.find((o) => o.instanceType === t)!;
  const fa1 = (gpu: string) => r.profiles.find((p) => p.gpu === gpu)!.firstAudioMs[0]!;
  // A10G's estimated batch-1 figures beat L4's (twice the memory bandwidth).
  assert.ok(fa1('A10G') < fa1('L4'));
  assert.ok(by('g5.xlarge').p95FirstAudioMs! < by('g6.xlarge').p95FirstAudioMs!, `${by('g5.xlarge').p95FirstAudioMs} vs ${by('g6.xlarge').p95FirstAudioMs}`);
  assert.ok(by('g5.xlarge').p95CompletionMs < by('g6.xlarge').p95CompletionMs);
  // Under 1% load nearly everyone runs alone: p95 first audio is the batch-1 figure.
  within(by('g5.xlarge').p95FirstAudioMs!, fa1('A10G'), 0.02, 'A10G p95 first audio');
});

test('a cold fleet makes requests wait for the boot, counted by that real wait: scale-to-zero wins at 100 requests a day with a 10-minute SLO', () => {
  const w = workload({
    requestsPerDay: 100, meanChars: 200, streamingShare: 0, profiles: [HAND_PROFILE], instanceTypes: ['g5.xlarge'],
    slo: { p95FirstAudioMs: 600_000, p95CompletionMs: 600_000 }, strategies: { scaleToZero: { idleMinutes: 5 } },
  });
  const r = plan({ workload: w, strategies: ['always-on', 'schedule', 'autoscale', 'scale-to-zero'], sensitivityTop: 0 });
  const zero = r.options.find((o) => o.strategy === 'scale-to-zero')!;
  assert.ok(zero.sloMet, JSON.stringify(zero));
  assert.equal(r.recommendation?.strategy, 'scale-to-zero');
  // The waits are real: most requests find the fleet cold, and the hand profile boots in 240 s.
  assert.ok(zero.p95CompletionMs > 240_000 && zero.p95CompletionMs < 600_000, `${zero.p95CompletionMs}`);
  assert.ok(zero.meanInstances < 0.5, `${zero.meanInstances}`);
  // With a 1-minute SLO the same cold starts break it.
  const tight = plan({ workload: { ...w, slo: { p95FirstAudioMs: 60_000, p95CompletionMs: 60_000 } }, strategies: ['scale-to-zero'], sensitivityTop: 0 });
  assert.equal(tight.options[0]!.sloMet, false);
});

test('fluid leftovers of the backlog are not traffic: traffic minutes are the minutes when requests arrived or really waited', () => {
  // Traffic from 08:00 to 20:00 with long, varied texts; the autoscaler keeps one instance
  // overnight and nothing queues at night, so no night minute holds traffic.
  const day = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0];
  const rate = 4.5 / 1.1;
  const w = workload({
    requestsPerDay: 12 * 3600 * rate, hourlyWeights: day, profiles: [HAND_PROFILE], instanceTypes: ['g5.12xlarge'],
    lengthDistribution: { type: 'lognormal', cv: 0.8, maxChars: 3000 },
  });
  const big = catalog.instances.find((i) => i.instanceType === 'g5.12xlarge')!;
  const r = resolveProfile({ engine, gpu: a10g, catalog, userCurves: w.profiles });
  assert.ok(r.ok);
  const choice = chooseUnit(big, a10g, r.profile, audioSecondsDistribution(w), sizingRules(w), rate);
  assert.ok(choice.ok);
  const traffic = generateTraffic(w);
  let arrivalMinutes = 0;
  for (let t = 0; t < traffic.minutes; t++) if ((traffic.arrivals[t] as number) > 0) arrivalMinutes++;
  const sim = simulate({
    unit: choice.unit, strategy: 'autoscale', traffic, onDemandUsdPerHour: 1, spotUsdPerHour: 0.4, coldStartMinutes: 4,
    schedule: sizeSchedule(choice.unit, traffic, 1), autoscale: w.strategies.autoscale, idleMinutes: 15,
    spot: { interruptionsPerInstanceMonth: 0, onDemandBase: 0 }, streamingShare: 0.5, slo: w.slo, seed: 5,
  });
  assert.equal(sim.minutesWithTraffic, arrivalMinutes);
  assert.equal(sim.unservedAtEnd, 0);
});

test('spot: an on-demand base as large as the fleet is shown beside spot with no base, and spot on the schedule', () => {
  // Flat traffic: the schedule's minimum is its maximum, so the default base covers the fleet.
  const w = workload({
    requestsPerDay: 2.4 * 86400, profiles: [HAND_PROFILE], instanceTypes: ['g5.xlarge'],
    strategies: { spot: { interruptionsPerInstanceMonth: 2 } },
  });
  const r = plan({ workload: w, strategies: ['always-on', 'spot', 'spot-only', 'spot-schedule'], sensitivityTop: 0 });
  const by = (s: string) => r.options.find((o) => o.strategy === s)!;
  assert.ok(by('spot').onDemandInstanceHours >= 3 * 720 - 1e-6, 'the base is the whole scheduled fleet, on demand');
  for (const s of ['spot-only', 'spot-schedule']) {
    assert.equal(by(s).onDemandInstanceHours, 0, `${s}: no on-demand hours`);
    assert.ok(by(s).spotInstanceHours > 0);
    // Its interruption risk is simulated and shown: 2 a month per instance over 3 instances.
    assert.ok(by(s).spotInterruptions > 0, `${s}: interruptions`);
    assert.ok(by(s).computeMonthlyUsd < by('always-on').computeMonthlyUsd);
  }
  // The caveats say which is which, and what the all-spot plans risk.
  assert.match(by('spot').caveats.join('\n'), /on-demand by another name/);
  for (const s of ['spot-only', 'spot-schedule']) assert.match(by(s).caveats.join('\n'), /every instance can be interrupted; at 2 interruptions per instance-month .* the month had \d+/);
  assert.ok(!by('always-on').caveats.some((c) => c.startsWith('spot:')));
  // Spot on the schedule holds the scheduled fleet (3) all month, replacing what is interrupted.
  assert.ok(Math.abs(by('spot-schedule').meanInstances - 3) < 0.1, `${by('spot-schedule').meanInstances}`);
});

function within(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual / expected - 1) <= tol, `${what}: ${actual.toFixed(1)} vs ${expected.toFixed(1)} (tolerance ${tol * 100}%)`);
}
