// A request-level discrete-event simulation of one stationary FIFO queue with c servers:
// Poisson arrivals, service times drawn from the workload's distribution. It is the ground
// truth the analytic M/G/c estimate is checked against (the month simulation works per
// minute and cannot afford one event per request).
import { Rng } from './rng.js';
import type { QuantileTable } from './queueing.js';

export interface DesResult {
  p95FirstAudioMs: number;
  p95CompletionMs: number;
  p99CompletionMs: number;
  probabilityOfWait: number;
  meanWaitS: number;
}

export function simulateRequests(opts: {
  servers: number;
  lambda: number;
  service: QuantileTable;
  firstAudioS: number;
  requests: number;
  seed: number;
  warmup?: number;
}): DesResult {
  const { servers, lambda, service, firstAudioS, requests, seed } = opts;
  const warmup = opts.warmup ?? Math.floor(requests / 10);
  const rng = new Rng(seed, 99);
  const heap = new Float64Array(servers); // server free times, min-heap
  const values = service.values;
  const waits = new Float64Array(requests);
  const completions = new Float64Array(requests);
  let t = 0;
  let waited = 0;
  let sumWait = 0;
  for (let i = 0; i < warmup + requests; i++) {
    t += rng.exponential(1 / lambda);
    const s = values[Math.floor(rng.next() * values.length)] as number;
    const free = heap[0] as number;
    const start = free > t ? free : t;
    siftDown(heap, start + s);
    if (i >= warmup) {
      const w = start - t;
      waits[i - warmup] = w;
      completions[i - warmup] = w + s;
      if (w > 0) waited++;
      sumWait += w;
    }
  }
  waits.sort();
  completions.sort();
  const q = (a: Float64Array, p: number) => a[Math.min(a.length - 1, Math.ceil(p * a.length) - 1)] as number;
  return {
    p95FirstAudioMs: (q(waits, 0.95) + firstAudioS) * 1000,
    p95CompletionMs: q(completions, 0.95) * 1000,
    p99CompletionMs: q(completions, 0.99) * 1000,
    probabilityOfWait: waited / requests,
    meanWaitS: sumWait / requests,
  };
}

/** Replaces the heap's minimum with `value` and restores the heap. */
function siftDown(h: Float64Array, value: number): void {
  const n = h.length;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && (h[r] as number) < (h[l] as number) ? r : l;
    if ((h[c] as number) >= value) break;
    h[i] = h[c] as number;
    i = c;
  }
  h[i] = value;
}
