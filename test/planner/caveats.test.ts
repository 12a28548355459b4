// Catalog caveats reach the user (issue 14): instance types an engine cannot run on are
// excluded with the reason (an arm64 host for an x86_64 image, GPU generations the serving
// stack does not support, no GPU at all), and what does not exclude an option (stale or
// superseded prices, an estimated profile, memory capping the concurrency, a published bound)
// is on the option, in every report format.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sourceDateEnd, optionCaveats } from '../../src/planner/caveats.js';
import { bundledCatalog, findGpu, type Catalog } from '../../src/planner/catalog.js';
import { plan } from '../../src/planner/plan.js';
import { bundledEngines, resolveProfile } from '../../src/planner/profiles.js';
import { renderHtml, renderJson, renderMarkdown, renderTable } from '../../src/planner/report.js';
import { workload } from './helpers.js';

const catalog = bundledCatalog();
const engines = bundledEngines();
const NOW = new Date('2026-12-04T00:00:00Z');
const instance = (c: Catalog, type: string) => c.instances.find((i) => i.instanceType === type)!;

test('the catalog says each host architecture and GPU generation (datasheet facts)', () => {
  for (const i of catalog.instances) assert.ok(i.arch === 'x86_64' || i.arch === 'arm64', i.instanceType);
  assert.equal(instance(catalog, 'g5g.xlarge').arch, 'arm64');
  assert.equal(instance(catalog, 'g5.xlarge').arch, 'x86_64');
  const arch = Object.fromEntries(catalog.gpus.map((g) => [g.name, g.architecture]));
  assert.deepEqual(
    { T4: arch.T4, T4G: arch.T4G, V100: arch.V100, A10G: arch.A10G, L4: arch.L4, L40S: arch.L40S, 'A100-40GB': arch['A100-40GB'], 'H100-SXM': arch['H100-SXM'] },
    { T4: 'Turing', T4G: 'Turing', V100: 'Volta', A10G: 'Ampere', L4: 'Ada', L40S: 'Ada', 'A100-40GB': 'Ampere', 'H100-SXM': 'Hopper' },
  );
});

test('instance types an engine cannot run are excluded with the reason', () => {
  const result = plan({ workload: workload({ requestsPerDay: 2000 }), sensitivityTop: 0, now: NOW, strategies: ['always-on'] });
  const why = Object.fromEntries(result.excluded.map((e) => [e.instanceType, e.reason]));
  assert.match(why['g5g.xlarge']!, /arm64 host; the cosyvoice3-trtllm image is built for x86_64/);
  assert.match(why['g5g.xlarge']!, /T4G is a Turing GPU/);
  assert.match(why['g4dn.xlarge']!, /T4 is a Turing GPU; cosyvoice3-trtllm supports Ampere, Ada, Hopper only \(TensorRT-LLM support matrix/);
  assert.match(why['p3.2xlarge']!, /V100 is a Volta GPU/);
  assert.match(why['inf2.xlarge']!, /not a CUDA GPU/);
  assert.match(why['c7i.large']!, /has no GPU, only its CPU; cosyvoice3-trtllm needs a CUDA GPU/);
  for (const t of ['g5g.xlarge', 'g4dn.xlarge', 'p3.2xlarge', 'c7i.large']) assert.ok(!result.options.some((o) => o.instanceType === t), t);

  // vLLM dropped Volta but runs on Turing: the V100 is refused for the stack, the T4 only for want of an estimate.
  const omni = plan({ workload: workload({ requestsPerDay: 2000, engine: 'cosyvoice3-vllm-omni' }), sensitivityTop: 0, now: NOW, strategies: ['always-on'] });
  const omniWhy = Object.fromEntries(omni.excluded.map((e) => [e.instanceType, e.reason]));
  assert.match(omniWhy['p3.2xlarge']!, /V100 is a Volta GPU; cosyvoice3-vllm-omni supports Turing, Ampere, Ada, Hopper only/);
  assert.doesNotMatch(omniWhy['g4dn.xlarge']!, /Turing/);
  assert.match(omniWhy['g5g.xlarge']!, /arm64 host/);
});

test('stale and superseded prices, estimated profiles and bounds are caveats on the option', () => {
  const result = plan({ workload: workload({ requestsPerDay: 20000, instanceTypes: ['g5.xlarge', 'p5.48xlarge'] }), sensitivityTop: 0, now: NOW, strategies: ['always-on'] });
  const g5 = result.options.find((o) => o.instanceType === 'g5.xlarge')!;
  const p5 = result.options.find((o) => o.instanceType === 'p5.48xlarge')!;
  assert.match(g5.caveats.join('\n'), /^stale price: us-east-1 prices dated 2025 H1, more than 180 days before 2026-12-04/m);
  assert.match(g5.caveats.join('\n'), /^estimated profile: no published or measured cosyvoice3-trtllm figures for A10G/m);
  assert.ok(!g5.caveats.some((c) => c.startsWith('bound:')));
  assert.match(p5.caveats.join('\n'), /^price: predates AWS's June 2025 on-demand price cut/m);
  assert.match(p5.caveats.join('\n'), /^bound: first audio ≥ 209 ms/m);

  // A price dated within 180 days is not stale.
  const fresh = structuredClone(catalog);
  instance(fresh, 'g5.xlarge').prices['us-east-1']!.sourceDate = '2026-11-30';
  const freshResult = plan({ workload: workload({ requestsPerDay: 20000, instanceTypes: ['g5.xlarge'] }), catalog: fresh, sensitivityTop: 0, now: NOW, strategies: ['always-on'] });
  assert.ok(!freshResult.options[0]!.caveats.some((c) => c.startsWith('stale')), freshResult.options[0]!.caveats.join('\n'));
});

test('memory capping the concurrency is a caveat', () => {
  const l4 = { ...findGpu(catalog, 'L4')!, memoryGiB: 9 };
  const trt = engines.find((e) => e.engine === 'cosyvoice3-trtllm')!;
  const r = resolveProfile({ engine: trt, gpu: l4, catalog });
  assert.ok(r.ok && r.profile.memoryLimited);
  const caveats = optionCaveats(instance(catalog, 'g6.xlarge'), r.profile, 'us-east-1', NOW);
  assert.match(caveats.join('\n'), new RegExp(`^memory-limited: L4 memory caps the concurrency at ${r.profile.maxConcurrency} streams$`, 'm'));
});

test('caveats appear in every report format', () => {
  const result = plan({ workload: workload({ requestsPerDay: 20000, instanceTypes: ['p5.48xlarge'] }), sensitivityTop: 0, now: NOW, strategies: ['always-on'] });
  const caveat = result.options[0]!.caveats.find((c) => c.startsWith('price:'))!;
  assert.ok(caveat);
  const charts = { costByStrategy: '<svg/>', fleetByHour: '<svg/>', latencyVsLoad: null };
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  for (const [format, text] of [
    ['table', renderTable(result)],
    ['md', renderMarkdown(result)],
    ['html', renderHtml(result, charts)],
  ] as const) {
    assert.ok(text.includes(format === 'html' ? esc(caveat) : caveat), `${format} lacks the caveat`);
  }
  const json = JSON.parse(renderJson(result)) as { options: { caveats: string[] }[]; recommendation: { caveats: string[] } | null };
  assert.ok(json.options[0]!.caveats.includes(caveat));
});

test('source dates are read as the last day they can mean', () => {
  assert.equal(sourceDateEnd('2026-11-24')?.toISOString().slice(0, 10), '2026-11-24');
  assert.equal(sourceDateEnd('2026-05')?.toISOString().slice(0, 10), '2026-05-31');
  assert.equal(sourceDateEnd('2025 H1 (undated snapshot)')?.toISOString().slice(0, 10), '2025-06-30');
  assert.equal(sourceDateEnd('2025 Q3')?.toISOString().slice(0, 10), '2025-09-30');
  assert.equal(sourceDateEnd('2025')?.toISOString().slice(0, 10), '2025-12-31');
  assert.equal(sourceDateEnd('last spring'), undefined);
});
