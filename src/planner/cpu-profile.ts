// Profiles of CPU engines (espeak-embedded) on CPU instance types. Synthesis is CPU-bound, so a
// host's capacity follows its vCPUs: the anchor, measured on a host with a few vCPUs, is applied
// at the same streams per vCPU (a 4-vCPU type running 4 streams behaves like the 2-vCPU anchor
// running 2). A lone stream gets no faster than it was on the anchor, and the planner never goes
// past the most streams per vCPU the anchor was measured at. Memory is the instance's RAM.
import type { InstanceType } from './catalog.js';
import { curveProfile, firstAudioCurve, interpolate, memoryModel, type GpuProfile, type MeasuredCurve, type ProfileRequest, type ProfileResult } from './profiles.js';

export function resolveCpuProfile(req: ProfileRequest): ProfileResult {
  const { engine, gpu, instance } = req;
  if (!instance) return { ok: false, reason: `${gpu.name} is a CPU: its profile depends on the instance type's vCPUs, and none was given` };
  const { memory, memCap } = memoryModel(engine, false, instance.memoryGiB);
  if (memCap < 1) return { ok: false, reason: `${instance.instanceType} has ${instance.memoryGiB} GiB; ${engine.engine} needs ${memory(1).toFixed(1)} GiB for one stream` };

  const user = req.userCurves?.find((u) => u.engine === engine.engine && u.gpu === gpu.name && u.measurement?.instanceType === instance.instanceType);
  if (user) return { ok: true, profile: { ...curveProfile(req, user, true, memory, memCap, gpu.name), instanceType: instance.instanceType } };

  const anchor = engine.anchors.find((a) => a.vcpus !== undefined);
  if (!anchor || !engine.streamsPerVcpu) return { ok: false, reason: `${engine.engine} has no per-vCPU anchor to scale to ${instance.instanceType}` };
  return { ok: true, profile: scaledCpuProfile(req, instance, anchor, memory, memCap) };
}

function scaledCpuProfile(req: ProfileRequest, instance: InstanceType, anchor: MeasuredCurve, memory: (c: number) => number, memCap: number): GpuProfile {
  const { engine } = req;
  const anchorVcpus = anchor.vcpus as number;
  const cap = Math.min(engine.maxConcurrency, Math.max(1, Math.floor((engine.streamsPerVcpu as number) * instance.vcpu)));
  const lastC = (anchor.throughput[anchor.throughput.length - 1] as { concurrency: number }).concurrency;
  const pts = anchor.throughput.map((t) => ({ x: t.concurrency, y: t.audioSecondsPerSecond }));
  const anchorFa = firstAudioCurve(anchor.firstAudioMs, engine.firstAudioGrowthPerStream, lastC);
  const faPts = Array.from({ length: lastC }, (_, i) => ({ x: i + 1, y: anchorFa[i + 1] as number }));
  const scaled: MeasuredCurve = { ...anchor, maxConcurrency: cap, throughput: [], firstAudioMs: [] };
  for (let c = 1; c <= cap; c++) {
    // The anchor's concurrency at the same streams per vCPU; below one stream, a lone stream's speed.
    const x = Math.min(lastC, Math.max(1, (c * anchorVcpus) / instance.vcpu));
    scaled.throughput.push({ concurrency: c, audioSecondsPerSecond: (c * interpolate(pts, x)) / x });
    scaled.firstAudioMs.push({ concurrency: c, ms: interpolate(faPts, x) });
  }
  return {
    ...curveProfile(req, scaled, false, memory, memCap, req.gpu.name),
    instanceType: instance.instanceType,
    source: 'estimated',
    citation:
      `estimated for ${instance.vcpu} vCPUs (${req.gpu.name}) from the anchor's ${anchorVcpus}: each stream as fast as at the same streams per vCPU there, ` +
      `at most ${engine.streamsPerVcpu} per vCPU; another CPU and hyper-threads sharing a core make it an estimate. Anchor: ${anchor.source} (${anchor.sourceDate})`,
  };
}
