// Physical floors: no estimate may promise a first audio or a per-stream speed better than the
// model has shown on that GPU or a faster one (issue 14). The case that exposed it: the scaling
// model put an H100 at 57 ms first audio and 45.6 audio-s/s per stream, where the only H100
// figure published is 209 ms and RTF 0.12 (vLLM-Omni PR 4168).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundledCatalog, findGpu } from '../../src/planner/catalog.js';
import { compareGpus } from '../../src/planner/floors.js';
import { plan } from '../../src/planner/plan.js';
import { bundledEngines, resolveProfile, type GpuProfile } from '../../src/planner/profiles.js';
import { HAND_PROFILE, workload } from './helpers.js';

const catalog = bundledCatalog();
const engines = bundledEngines();
const trt = engines.find((e) => e.engine === 'cosyvoice3-trtllm')!;
const omni = engines.find((e) => e.engine === 'cosyvoice3-vllm-omni')!;
const gpu = (name: string) => findGpu(catalog, name)!;
const instance = (type: string) => catalog.instances.find((i) => i.instanceType === type)!;

function profile(gpuName: string, engine = trt, userCurves: typeof HAND_PROFILE[] = []): GpuProfile {
  const r = resolveProfile({ engine, gpu: gpu(gpuName), catalog, userCurves });
  assert.ok(r.ok, JSON.stringify(r));
  return r.profile;
}

test('an estimated H100 or A100 is no faster than anything published: first audio >= 209 ms, per stream <= RTF 0.109', () => {
  for (const name of ['H100-SXM', 'A100-40GB', 'A100-80GB', 'L40S']) {
    const p = profile(name);
    assert.equal(p.source, 'estimated');
    assert.ok(p.firstAudioMs[1]! >= 209 - 1e-9, `${name}: ${p.firstAudioMs[1]} ms at 1 stream`);
    assert.equal(p.firstAudioFloorMs, p.firstAudioMs[1]);
    for (let c = 1; c <= p.maxConcurrency; c++) assert.ok(p.throughput[c]! <= (c / 0.109) * (1 + 1e-12), `${name} at ${c}: ${p.throughput[c]}`);
    // First audio keeps growing with concurrency after the clamp.
    assert.ok(p.firstAudioMs[4]! > p.firstAudioMs[1]!);
    assert.equal(p.bounds.length, 2, p.bounds.join('\n'));
    assert.match(p.bounds[0]!, /^first audio ≥ 209 ms at 1 stream: vLLM-Omni .* on H100-SXM, vllm-project\/vllm-omni PR 4168/);
    assert.match(p.bounds[1]!, /^audio-s\/s per stream ≤ 9\.17 \(RTF 0\.109\): Triton \+ TensorRT-LLM .* on L20/);
  }
  // The scaling model said 57 ms and 45.6 audio-s/s for the H100; the bound says what it gave.
  assert.match(profile('H100-SXM').bounds.join('\n'), /the scaling model gave 57 ms[\s\S]*the scaling model gave 45\.6 at 1 stream/);
});

test('slower GPUs keep their estimate, and published or measured curves are their own floor', () => {
  for (const name of ['L4', 'A10G']) {
    const p = profile(name);
    assert.deepEqual(p.bounds, [], name);
    assert.equal(p.firstAudioFloorMs, p.firstAudioMs[1]);
  }
  const l20 = profile('L20');
  assert.equal(l20.source, 'published');
  assert.deepEqual(l20.bounds, []);
  const h100 = profile('H100-SXM', omni);
  assert.equal(h100.source, 'published');
  assert.equal(h100.firstAudioFloorMs, 209);
  assert.deepEqual(h100.bounds, []);
  const mine = profile('A10G', trt, [HAND_PROFILE]);
  assert.equal(mine.firstAudioFloorMs, 300);
  assert.deepEqual(mine.bounds, []);
});

test('a GPU is faster than another only when it is at least as fast in memory bandwidth and tensor throughput', () => {
  assert.equal(compareGpus(gpu('H200'), gpu('H100-SXM')), 1);
  assert.equal(compareGpus(gpu('A100-40GB'), gpu('H100-SXM')), -1);
  assert.equal(compareGpus(gpu('L40S'), gpu('L20')), 1);
  // L4: less bandwidth than an L20 but slightly more tensor throughput: neither bounds the other.
  assert.equal(compareGpus(gpu('L4'), gpu('L20')), 0);
  assert.equal(compareGpus(gpu('Inferentia2'), gpu('L4')), 0);
});

test('no option claims a p95 first audio below its profile floor, and the bound shows on the option', () => {
  const result = plan({
    workload: workload({ requestsPerDay: 20000, instanceTypes: ['p4d.24xlarge', 'p5.48xlarge'] }),
    sensitivityTop: 0,
    now: new Date('2026-12-04T00:00:00Z'),
  });
  assert.ok(result.options.length > 0);
  for (const o of result.options) {
    assert.ok(o.p95FirstAudioMs !== null && o.p95FirstAudioMs >= 209, `${o.instanceType}/${o.strategy}: ${o.p95FirstAudioMs} ms`);
    assert.ok(o.caveats.some((c) => /^bound: first audio ≥ 209 ms/.test(c)), o.caveats.join('\n'));
  }
  for (const p of result.profiles) assert.ok(p.firstAudioFloorMs >= 209 && p.bounds.length === 2, p.gpu);
  assert.equal(instance('p5.48xlarge').gpu, 'H100-SXM');
});
