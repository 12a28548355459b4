// Published figures bound the scaling model. Datasheet ratios extrapolate the L20 curve to
// GPUs nobody has published CosyVoice3 figures for, and for fast GPUs they promise more than any
// serving stack has shown (an estimated H100 at 57 ms first audio, where the only H100 figure is
// 209 ms). A GPU cannot beat what was measured on a GPU at least as fast, so an estimate is
// clamped: first audio at one stream no lower than the fastest published on this GPU or a faster
// one; audio-s/s per stream no higher than the best published on this GPU or a faster one
// (raised to a slower GPU's figure, which a faster GPU can at least match). Each clamp is
// reported as a bound, with the figure's source, and shows on every option that uses the profile.
import { findGpu, type Catalog, type GpuSpec } from './catalog.js';
import { flowTflops, type EngineSpec, type PublishedFloor } from './profiles.js';

/** -1: a is slower than b in both memory bandwidth and flow TFLOPS; 1: faster or equal in both; 0: neither, or figures missing. */
export function compareGpus(a: GpuSpec, b: GpuSpec): -1 | 0 | 1 {
  const fa = flowTflops(a);
  const fb = flowTflops(b);
  if (!a.memoryBandwidthGBs || !b.memoryBandwidthGBs || !fa || !fb) return 0;
  if (a.memoryBandwidthGBs >= b.memoryBandwidthGBs && fa >= fb) return 1;
  if (a.memoryBandwidthGBs <= b.memoryBandwidthGBs && fa <= fb) return -1;
  return 0;
}

function describe(f: PublishedFloor): string {
  return `${f.what} on ${f.gpu}, ${f.source}, ${f.sourceDate}`;
}

/**
 * Clamps an estimated profile in place (`throughput` and `firstAudioMs`, indexed by concurrency)
 * and returns the bounds that applied.
 */
export function applyPublishedBounds(engine: EngineSpec, gpu: GpuSpec, catalog: Catalog, throughput: Float64Array, firstAudioMs: Float64Array): string[] {
  const atLeastAsFast: PublishedFloor[] = [];
  const slower: PublishedFloor[] = [];
  for (const f of engine.floors) {
    const on = findGpu(catalog, f.gpu);
    if (!on) continue;
    if (on.name === gpu.name || compareGpus(on, gpu) === 1) atLeastAsFast.push(f);
    else if (compareGpus(on, gpu) === -1) slower.push(f);
  }
  const bounds: string[] = [];

  let faFloor: PublishedFloor | undefined;
  for (const f of atLeastAsFast) if (f.firstAudioMs !== undefined && (!faFloor || f.firstAudioMs < (faFloor.firstAudioMs as number))) faFloor = f;
  const fa1 = firstAudioMs[1] as number;
  if (faFloor && fa1 < (faFloor.firstAudioMs as number)) {
    // The whole curve moves up, keeping its growth with concurrency: the floor is a one-stream figure.
    const scale = (faFloor.firstAudioMs as number) / fa1;
    for (let c = 1; c < firstAudioMs.length; c++) firstAudioMs[c] = (firstAudioMs[c] as number) * scale;
    bounds.push(`first audio ≥ ${faFloor.firstAudioMs} ms at 1 stream: ${describe(faFloor)}; the scaling model gave ${Math.round(fa1)} ms`);
  }

  const speed = (f: PublishedFloor) => (f.rtfAtOneStream === undefined ? undefined : 1 / f.rtfAtOneStream);
  let cap: PublishedFloor | undefined;
  for (const f of atLeastAsFast) if (speed(f) !== undefined && (!cap || (speed(f) as number) > (speed(cap) as number))) cap = f;
  if (cap) for (const f of slower) if (speed(f) !== undefined && (speed(f) as number) > (speed(cap) as number)) cap = f;
  const perStream = cap ? (speed(cap) as number) : Infinity;
  const t1 = throughput[1] as number;
  let clamped = false;
  for (let c = 1; c < throughput.length; c++) {
    if ((throughput[c] as number) > c * perStream) {
      throughput[c] = c * perStream;
      clamped = true;
    }
  }
  if (clamped && cap) bounds.push(`audio-s/s per stream ≤ ${perStream.toFixed(2)} (RTF ${cap.rtfAtOneStream}): ${describe(cap)}; the scaling model gave ${t1.toFixed(1)} at 1 stream`);
  return bounds;
}
