// The embedded engine on CPU instance types (issue 14): espeak-embedded is planned on CPU-only
// instance types whose catalog entry is a CPU, never taken for a CUDA GPU; its capacity follows
// the vCPUs from an anchor measured on the 2-vCPU CI VM, and CUDA engines exclude CPU types.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundledCatalog, findGpu, isCpu } from '../../src/planner/catalog.js';
import { plan } from '../../src/planner/plan.js';
import { bundledEngines, resolveProfile, type GpuProfile } from '../../src/planner/profiles.js';
import { workload } from './helpers.js';

const catalog = bundledCatalog();
const espeak = bundledEngines().find((e) => e.engine === 'espeak-embedded')!;
const instance = (type: string) => catalog.instances.find((i) => i.instanceType === type)!;

function cpuProfile(type: string): GpuProfile {
  const inst = instance(type);
  const r = resolveProfile({ engine: espeak, gpu: findGpu(catalog, inst.gpu)!, catalog, instance: inst });
  assert.ok(r.ok, JSON.stringify(r));
  return r.profile;
}

test('CPU instance types are in the catalog with a CPU entry, not a GPU', () => {
  for (const t of ['c7i.large', 'c7i.xlarge', 'c7i.2xlarge', 'm7i.large']) {
    const i = instance(t);
    const cpu = findGpu(catalog, i.gpu)!;
    assert.ok(isCpu(cpu) && cpu.cuda === false, t);
    assert.equal(i.gpuCount, 1);
    assert.equal(i.gpuMemoryGiB, undefined);
    for (const region of ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-northeast-1', 'ap-southeast-1']) assert.ok(i.prices[region], `${t} ${region}`);
  }
  assert.equal(instance('c7i.xlarge').vcpu, 4);
  assert.equal(instance('c7i.large').prices['us-east-1']!.onDemandUsdPerHour, 0.08925);
  assert.deepEqual(espeak.requires, { ...espeak.requires, accelerator: 'cpu' });
});

test('espeak capacity follows the vCPUs: the 2-vCPU type runs the anchor, a 4-vCPU type twice its streams at the same per-stream speed', () => {
  const anchor = espeak.anchors.find((a) => a.vcpus === 2)!;
  const large = cpuProfile('c7i.large');
  const xlarge = cpuProfile('c7i.xlarge');
  assert.equal(large.source, 'estimated');
  assert.equal(large.maxConcurrency, 4);
  assert.equal(xlarge.maxConcurrency, 8);
  assert.equal(cpuProfile('c7i.2xlarge').maxConcurrency, 16);
  for (const p of anchor.throughput) assert.ok(Math.abs(large.throughput[p.concurrency]! - p.audioSecondsPerSecond) < 1e-9);
  // 4 streams on 4 vCPUs run like 2 on the anchor's 2; 8 like 4.
  assert.ok(Math.abs(xlarge.throughput[4]! - 2 * large.throughput[2]!) < 1e-9);
  assert.ok(Math.abs(xlarge.throughput[8]! - 2 * large.throughput[4]!) < 1e-9);
  // A lone stream is no faster on a bigger host.
  assert.equal(xlarge.throughput[1], large.throughput[1]);
  assert.equal(xlarge.firstAudioFloorMs, large.firstAudioMs[1]);
  // Little memory, and the instance's RAM (not GPU memory) is the limit.
  assert.ok(large.memoryGiB(4) < 1 && !large.memoryLimited);
  assert.match(large.citation, /measured on the cosyfleet 2-vCPU CI VM/);
});

test('a plan for espeak-embedded sizes CPU types only; CUDA engines exclude them', () => {
  const result = plan({ workload: workload({ engine: 'espeak-embedded', requestsPerDay: 200000 }), sensitivityTop: 0, strategies: ['always-on'] });
  assert.ok(result.options.length > 0);
  for (const o of result.options) assert.ok(isCpu(findGpu(catalog, o.gpu)!), o.instanceType);
  const why = Object.fromEntries(result.excluded.map((e) => [e.instanceType, e.reason]));
  assert.match(why['g6.xlarge']!, /is a GPU instance type; espeak-embedded runs on CPU instance types/);
  assert.match(why['inf2.xlarge']!, /is an accelerator instance type/);
  // One summary per CPU instance type: their profiles differ by vCPUs.
  assert.deepEqual(result.profiles.map((p) => p.instanceType).sort(), [...new Set(result.options.map((o) => o.instanceType))].sort());
  const trt = plan({ workload: workload({ requestsPerDay: 2000, instanceTypes: ['c7i.large', 'g6.xlarge'] }), sensitivityTop: 0, strategies: ['always-on'] });
  assert.match(trt.excluded.find((e) => e.instanceType === 'c7i.large')!.reason, /c7i\.large \(Xeon-8488C\) has no GPU, only its CPU; cosyvoice3-trtllm needs a CUDA GPU/);
});
