// Month-simulation behaviours that the strategies depend on: boot delays, spot interruptions
// with their 2-minute notice, determinism. Shown by counts and orderings, never by time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundledCatalog, findGpu } from '../../src/planner/catalog.js';
import { plan } from '../../src/planner/plan.js';
import { bundledEngines, resolveProfile } from '../../src/planner/profiles.js';
import { audioSecondsDistribution } from '../../src/planner/queueing.js';
import { simulate, type SimConfig } from '../../src/planner/simulate.js';
import { chooseUnit, sizingRules } from '../../src/planner/sizing.js';
import { generateTraffic } from '../../src/planner/traffic.js';
import type { Workload } from '../../src/planner/workload.js';
import { HAND_PROFILE, workload } from './helpers.js';

const catalog = bundledCatalog();
const engine = bundledEngines().find((e) => e.engine === 'cosyvoice3-trtllm')!;
const a10g = findGpu(catalog, 'A10G')!;
const g5 = catalog.instances.find((i) => i.instanceType === 'g5.xlarge')!;

function config(w: Workload, over: Partial<SimConfig>): SimConfig {
  const profile = resolveProfile({ engine, gpu: a10g, catalog, userCurves: w.profiles });
  assert.ok(profile.ok);
  const choice = chooseUnit(g5, a10g, profile.profile, audioSecondsDistribution(w), sizingRules(w), 4);
  assert.ok(choice.ok);
  return {
    unit: choice.unit,
    strategy: 'autoscale',
    traffic: generateTraffic(w),
    onDemandUsdPerHour: 1,
    spotUsdPerHour: 0.4,
    coldStartMinutes: 4,
    schedule: new Int32Array(168).fill(4),
    autoscale: w.strategies.autoscale,
    idleMinutes: 15,
    spot: { interruptionsPerInstanceMonth: 0, onDemandBase: 1 },
    streamingShare: w.streamingShare,
    slo: w.slo,
    seed: 3,
    ...over,
  };
}

// Traffic steps from 1 to 3 requests/s at 12:00 every day and back at midnight.
const step = () => workload({ requestsPerDay: 3600 * 12 * 4, hourlyWeights: [...new Array(12).fill(1), ...new Array(12).fill(3)], profiles: [HAND_PROFILE] });

test('a longer boot delay leaves the autoscaler under capacity longer after each traffic step', () => {
  const w = step();
  const fast = simulate(config(w, { coldStartMinutes: 1 }));
  const slow = simulate(config(w, { coldStartMinutes: 10 }));
  // Each daily step needs several more instances; until they boot, requests queue.
  assert.ok(slow.sloViolationMinutes > fast.sloViolationMinutes, `${slow.sloViolationMinutes} vs ${fast.sloViolationMinutes}`);
  assert.ok(slow.sloViolationMinutes >= 30 * 5, `about 8+ minutes a day under capacity: ${slow.sloViolationMinutes}`);
  assert.ok(slow.p99CompletionMs > fast.p99CompletionMs);
  // Booting instances are billed: the slow-booting fleet is not cheaper.
  assert.ok(slow.computeUsd >= fast.computeUsd * 0.99);
});

test('spot interruptions: counted, billed through the notice, replaced, and they cost latency', () => {
  const w = step();
  const calm = simulate(config(w, { strategy: 'spot', spot: { interruptionsPerInstanceMonth: 0, onDemandBase: 1 } }));
  const stormy = simulate(config(w, { strategy: 'spot', coldStartMinutes: 6, spot: { interruptionsPerInstanceMonth: 60, onDemandBase: 1 } }));
  const calmSlow = simulate(config(w, { strategy: 'spot', coldStartMinutes: 6, spot: { interruptionsPerInstanceMonth: 0, onDemandBase: 1 } }));
  assert.equal(calm.interruptions, 0);
  // Expected notices: 60 per instance-month x the spot instance-months actually run.
  const expected = (60 * stormy.spotInstanceHours) / (30 * 24);
  assert.ok(Math.abs(stormy.interruptions - expected) < 4 * Math.sqrt(expected), `${stormy.interruptions} vs ${expected.toFixed(0)}`);
  // The doomed instance stays billed through its 2-minute notice while the replacement is
  // already booting (and billed): 2 extra instance-minutes per interruption. The replacement's
  // boot itself replaces minutes the interrupted instance would have been billed anyway.
  const extra = (stormy.spotInstanceHours - calmSlow.spotInstanceHours) * 60;
  assert.ok(Math.abs(extra - 2 * stormy.interruptions) < 0.25 * 2 * stormy.interruptions, `${extra} extra minutes for ${stormy.interruptions}`);
  assert.ok(stormy.sloViolationMinutes > calmSlow.sloViolationMinutes, `${stormy.sloViolationMinutes} vs ${calmSlow.sloViolationMinutes}`);
  // The on-demand base never goes away.
  assert.ok(stormy.onDemandInstanceHours >= 30 * 24 - 1e-9);
});

test('the same seed gives the same plan; another seed gives other traffic', () => {
  const w = step();
  const a = plan({ workload: { ...w, instanceTypes: ['g5.xlarge'] }, sensitivityTop: 1 });
  const b = plan({ workload: { ...w, instanceTypes: ['g5.xlarge'] }, sensitivityTop: 1 });
  assert.deepEqual({ ...a, generatedAt: '' }, { ...b, generatedAt: '' });
  const c = plan({ workload: { ...w, instanceTypes: ['g5.xlarge'], planning: { ...w.planning, seed: 2 } }, sensitivityTop: 0 });
  assert.notEqual(c.workload.requestsPerMonth, a.workload.requestsPerMonth);
});
