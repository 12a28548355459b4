// Engine profiles: published anchors, the documented scaling model, user overrides, memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundledCatalog, findGpu, validateCatalog } from '../../src/planner/catalog.js';
import { bundledEngines, fitTwoTerm, parseUserProfiles, resolveProfile } from '../../src/planner/profiles.js';
import { Fields, PlannerInputError } from '../../src/planner/validate.js';
import { HAND_PROFILE } from './helpers.js';

const catalog = bundledCatalog();
const engines = bundledEngines();
const trt = engines.find((e) => e.engine === 'cosyvoice3-trtllm')!;
const gpu = (name: string) => findGpu(catalog, name)!;

test('the two-term model fits the published L20 curve within 6% at every batch size', () => {
  const anchor = trt.anchors[0]!;
  assert.equal(anchor.gpu, 'L20');
  const fit = fitTwoTerm(anchor.throughput);
  // RTF(b) = w + l/b: l ~ 0.063 (LLM decode shared by the batch), w ~ 0.046 (token2wav).
  assert.ok(Math.abs(fit.l - 0.063) < 0.003 && Math.abs(fit.w - 0.046) < 0.003, JSON.stringify(fit));
  for (const p of anchor.throughput) {
    const model = 1 / (fit.w + fit.l / p.concurrency);
    assert.ok(Math.abs(model / p.audioSecondsPerSecond - 1) < 0.06, `batch ${p.concurrency}: ${model} vs ${p.audioSecondsPerSecond}`);
  }
});

test('a GPU with published figures gets a published profile; others are estimated with their ratios shown', () => {
  const h100 = resolveProfile({ engine: engines.find((e) => e.engine === 'cosyvoice3-vllm-omni')!, gpu: gpu('H100-SXM'), catalog });
  assert.ok(h100.ok);
  assert.equal(h100.profile.source, 'published');
  assert.match(h100.profile.citation, /vllm-omni PR 4168/);
  assert.ok(Math.abs(h100.profile.throughput[4]! - 4 / 0.33) < 1e-9);
  assert.equal(h100.profile.firstAudioMs[1], 209);
  // vLLM-Omni's figures are overhead-bound: the planner refuses to scale them to other GPUs.
  const l4omni = resolveProfile({ engine: engines.find((e) => e.engine === 'cosyvoice3-vllm-omni')!, gpu: gpu('L4'), catalog });
  assert.equal(l4omni.ok, false);
  assert.match((l4omni as { reason: string }).reason, /none can be estimated/);

  const l40s = resolveProfile({ engine: trt, gpu: gpu('L40S'), catalog });
  assert.ok(l40s.ok);
  assert.equal(l40s.profile.source, 'estimated');
  // Same memory bandwidth as L20 (864 GB/s): the LLM part is unchanged; the flow part scales
  // by tensor throughput 119.5 / 362.
  assert.equal(l40s.profile.scaling!.bandwidthRatio, 1);
  assert.ok(Math.abs(l40s.profile.scaling!.computeRatio - 119.5 / 362) < 1e-12);
  const fit = fitTwoTerm(trt.anchors[0]!.throughput);
  assert.ok(Math.abs(l40s.profile.throughput[16]! - 1 / ((fit.w * 119.5) / 362 + fit.l / 16)) < 1e-9);
  assert.match(l40s.profile.citation, /estimated from L20/);
});

test('GPUs without bf16 run the flow in fp32 and come out much slower', () => {
  // TensorRT-LLM does not support Turing (engine-requirements.ts); the scaling model is checked
  // with a stack that does.
  const anyCuda = { ...trt, requires: { accelerator: 'cuda' as const, arch: trt.requires.arch, archSource: trt.requires.archSource } };
  const t4 = resolveProfile({ engine: anyCuda, gpu: gpu('T4'), catalog });
  const l4 = resolveProfile({ engine: anyCuda, gpu: gpu('L4'), catalog });
  assert.ok(t4.ok && l4.ok);
  assert.equal(t4.profile.scaling!.flowPrecision, 'fp32');
  assert.equal(l4.profile.scaling!.flowPrecision, 'bf16');
  assert.ok(Math.abs(t4.profile.scaling!.computeRatio - 119.5 / 8.1) < 1e-12);
  // T4 and L4 have about the same memory bandwidth (320 vs 300 GB/s); the bf16 gap dominates.
  assert.ok(t4.profile.throughput[8]! < 0.3 * l4.profile.throughput[8]!);
  // More memory per configuration without bf16 (fp32 flow weights).
  assert.ok(t4.profile.memoryGiB(4) > l4.profile.memoryGiB(4));
});

test("a user's measured profile wins over published and estimated ones", () => {
  const mine = { ...HAND_PROFILE, gpu: 'L20' };
  const r = resolveProfile({ engine: trt, gpu: { ...gpu('L40S'), name: 'L20' }, catalog, userCurves: [mine] });
  assert.ok(r.ok);
  assert.equal(r.profile.source, 'user');
  assert.equal(r.profile.throughput[4], 10);
  assert.equal(r.profile.coldStartS, 240);
  assert.equal(r.profile.maxConcurrency, 4);
  // A workload cold start overrides every profile's.
  const forced = resolveProfile({ engine: trt, gpu: gpu('A10G'), catalog, userCurves: [HAND_PROFILE], coldStartS: 30 });
  assert.ok(forced.ok);
  assert.equal(forced.profile.coldStartS, 30);
});

test('non-CUDA accelerators and too-small GPUs are refused with a reason', () => {
  const inf = resolveProfile({ engine: trt, gpu: gpu('Inferentia2'), catalog });
  assert.equal(inf.ok, false);
  assert.match((inf as { reason: string }).reason, /not a CUDA GPU/);
  const tiny = resolveProfile({ engine: trt, gpu: { ...gpu('L4'), memoryGiB: 4 }, catalog });
  assert.equal(tiny.ok, false);
  assert.match((tiny as { reason: string }).reason, /needs .* GiB for one stream/);
});

test('the bundled catalog carries a source and date on every price and GPU figure', () => {
  assert.equal(catalog.version, '2026-12-04');
  for (const g of catalog.gpus) assert.ok(g.source && g.sourceDate, g.name);
  for (const i of catalog.instances) {
    for (const [region, p] of Object.entries(i.prices)) assert.ok(p.source && p.sourceDate, `${i.instanceType} ${region}`);
  }
  for (const c of catalog.storage.classes) assert.ok(c.source && c.sourceDate, c.name);
  const families = new Set(catalog.instances.map((i) => i.instanceType.split('.')[0]));
  for (const f of ['g4dn', 'g5', 'g6', 'g6e', 'p3', 'p4d', 'p5']) assert.ok(families.has(f), f);
  assert.equal(catalog.instances.find((i) => i.instanceType === 'g6.xlarge')!.prices['us-east-1']!.onDemandUsdPerHour, 0.8048);
});

test('an invalid catalog is refused with the path of each bad field', () => {
  const broken = structuredClone(catalog) as unknown as { instances: { gpu: string; prices: Record<string, { spotUsdPerHourHigh: number; source?: string }> }[] };
  broken.instances[0]!.gpu = 'B200';
  broken.instances[1]!.prices['us-east-1']!.spotUsdPerHourHigh = 0.01;
  delete broken.instances[2]!.prices['us-east-1']!.source;
  try {
    validateCatalog(broken, 'test catalog');
    assert.fail('expected a refusal');
  } catch (err) {
    assert.ok(err instanceof PlannerInputError);
    const text = err.problems.join('\n');
    assert.match(text, /^instances\[0\]\.gpu: unknown GPU "B200"/m);
    assert.match(text, /^instances\[1\]\.prices\.us-east-1\.spotUsdPerHourHigh: must be at least spotUsdPerHourLow/m);
    assert.match(text, /^instances\[2\]\.prices\.us-east-1\.source: is required$/m);
  }
});

test('a measured profile (what cosyfleet bench writes) keeps its provenance and is reported as measured', () => {
  const f = new Fields();
  const base = { engine: 'cosyvoice3-trtllm', gpu: 'L4', throughput: [{ concurrency: 1, audioSecondsPerSecond: 5 }, { concurrency: 4, audioSecondsPerSecond: 12 }], firstAudioMs: [{ concurrency: 1, ms: 300, p95Ms: 360 }], source: 'cosyfleet bench', sourceDate: '2026-12-04' };
  const [curve] = parseUserProfiles(f, { ...base, profileSource: 'measured', measuredAt: '2026-12-04T02:00:00.000Z', instanceType: 'g6.xlarge', flags: { concurrency: 4 }, host: { cpus: 4, cpuModel: 'AMD EPYC' }, charsPerSecond: { en: 15.2 } }, '');
  assert.deepEqual(f.problems, []);
  assert.deepEqual(curve!.measurement, { profileSource: 'measured', measuredAt: '2026-12-04T02:00:00.000Z', instanceType: 'g6.xlarge', flags: { concurrency: 4 }, host: { cpus: 4, cpuModel: 'AMD EPYC' }, charsPerSecond: { en: 15.2 } });
  assert.equal(curve!.firstAudioMs[0]!.p95Ms, 360);
  const r = resolveProfile({ engine: trt, gpu: gpu('L4'), catalog, userCurves: [curve!] });
  assert.ok(r.ok);
  assert.equal(r.profile.source, 'measured');
  // Provenance fields without profileSource, or values that are not scalars, are refused by name.
  const g = new Fields();
  parseUserProfiles(g, { ...base, host: { cpus: {} } }, '');
  assert.match(g.problems.join('\n'), /host: only a measured profile has this; add profileSource: measured/);
  const h = new Fields();
  parseUserProfiles(h, { ...base, profileSource: 'measured', measuredAt: '2026-12-04T02:00:00Z', host: { cpus: {} }, charsPerSecond: { en: 0 } }, '');
  assert.match(h.problems.join('\n'), /host\.cpus: must be a string or number/);
  assert.match(h.problems.join('\n'), /charsPerSecond\.en: must be above 0/);
});
