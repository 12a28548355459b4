// A request-level discrete-event simulation of one stationary FIFO queue with c servers:
// Poisson arrivals, service times drawn from the workload's distribution. It is the ground
// truth the analytic M/G/c estimate is checked against (the month simulation works per
// minute and cannot afford one event per request).
import { Rng } from './rng.js';
import { exactQuantile as q, type QuantileTable } from './queueing.js';

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

/**
 * The batching engine request by request: `gpus` GPUs, each running up to `curve.k` streams
 * that share its throughput T(n) (every stream advances at T(n)/n audio-s per s); an arrival
 * joins the least-loaded GPU or waits in one FIFO queue. First audio is the wait plus the
 * curve's first audio at the concurrency the request joins at. The ground truth for
 * fleet-load.ts's chain.
 */
export function simulateBatchedRequests(opts: {
  curve: { k: number; throughput: Float64Array; firstAudioS: Float64Array };
  gpus: number;
  lambda: number;
  audio: QuantileTable;
  requests: number;
  seed: number;
  warmup?: number;
}): DesResult {
  const { curve, gpus, lambda, audio, requests, seed } = opts;
  const warmup = opts.warmup ?? Math.floor(requests / 10);
  const total = warmup + requests;
  const rng = new Rng(seed, 98);
  const k = curve.k;
  // Per GPU: remaining audio seconds of each active request and its index.
  const remaining: number[][] = Array.from({ length: gpus }, () => []);
  const owner: number[][] = Array.from({ length: gpus }, () => []);
  const arrival = new Float64Array(total);
  const firstAudio = new Float64Array(total);
  const done = new Float64Array(total);
  const queue: number[] = [];
  let queueHead = 0;
  let t = 0;
  let nextArrival = rng.exponential(1 / lambda);
  let arrived = 0;
  let finished = 0;
  let waited = 0;
  let sumWait = 0;
  const rate = (g: number) => {
    const n = (remaining[g] as number[]).length;
    return n === 0 ? 0 : (curve.throughput[n] as number) / n;
  };
  const start = (g: number, i: number, now: number) => {
    (remaining[g] as number[]).push(audio.values[Math.floor(rng.next() * audio.values.length)] as number);
    (owner[g] as number[]).push(i);
    const n = (remaining[g] as number[]).length;
    firstAudio[i] = now - (arrival[i] as number) + (curve.firstAudioS[n] as number);
    const w = now - (arrival[i] as number);
    if (i >= warmup) {
      if (w > 0) waited++;
      sumWait += w;
    }
  };
  while (finished < total) {
    // Next completion across GPUs.
    let tc = Infinity;
    let gc = -1;
    let jc = -1;
    for (let g = 0; g < gpus; g++) {
      const r = rate(g);
      if (r === 0) continue;
      const rem = remaining[g] as number[];
      for (let j = 0; j < rem.length; j++) {
        const at = t + (rem[j] as number) / r;
        if (at < tc) {
          tc = at;
          gc = g;
          jc = j;
        }
      }
    }
    const next = arrived < total ? Math.min(nextArrival, tc) : tc;
    // Advance every active stream to `next`.
    for (let g = 0; g < gpus; g++) {
      const r = rate(g);
      if (r === 0) continue;
      const rem = remaining[g] as number[];
      for (let j = 0; j < rem.length; j++) rem[j] = (rem[j] as number) - r * (next - t);
    }
    t = next;
    if (arrived < total && nextArrival <= tc) {
      const i = arrived++;
      arrival[i] = t;
      nextArrival = t + rng.exponential(1 / lambda);
      let best = -1;
      for (let g = 0; g < gpus; g++) {
        const n = (remaining[g] as number[]).length;
        if (n < k && (best < 0 || n < (remaining[best] as number[]).length)) best = g;
      }
      if (best >= 0) start(best, i, t);
      else queue.push(i);
    } else {
      const rem = remaining[gc] as number[];
      const own = owner[gc] as number[];
      done[own[jc] as number] = t - (arrival[own[jc] as number] as number);
      rem.splice(jc, 1);
      own.splice(jc, 1);
      finished++;
      if (queueHead < queue.length) start(gc, queue[queueHead++] as number, t);
    }
  }
  const fa = firstAudio.slice(warmup).sort();
  const c = done.slice(warmup).sort();
  return {
    p95FirstAudioMs: q(fa, 0.95) * 1000,
    p95CompletionMs: q(c, 0.95) * 1000,
    p99CompletionMs: q(c, 0.99) * 1000,
    probabilityOfWait: waited / requests,
    meanWaitS: sumWait / requests,
  };
}
