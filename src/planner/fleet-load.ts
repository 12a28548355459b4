// The fleet under a given load, from the engine's whole curve: a GPU running n streams makes
// T(n) audio-s per s, shared by its n streams. A trickle of requests runs at batch-1 speed, a
// burst at the batched throughput. The number of requests in the fleet is a birth-death chain
// whose departure rate depends on how many streams each GPU holds (a least-loaded balancer
// spreads them evenly, at most K per GPU; beyond G·K they wait in one FIFO queue). From its
// stationary distribution (PASTA: what an arrival sees) come the chance of waiting, the wait
// tail, and the concurrency each request runs at. docs/planner.md, "Batching and load".
import { exponentialM3, waitShape, waitSurvivalWith, waitTable } from './wait-shape.js';

/** Per-GPU curve: index n (1..K) holds T(n) audio-s/s and the first audio (s) at n streams. */
export interface Curve {
  /** Streams per GPU the fleet runs at most (the batch cap). */
  readonly k: number;
  readonly throughput: Float64Array;
  readonly firstAudioS: Float64Array;
}

/** Requests that start at once on a GPU whose n-th stream they become. */
export interface StartClass {
  /** Share of all arrivals. */
  weight: number;
  /** Wall seconds per audio second over the request's life. */
  slowdown: number;
  firstAudioS: number;
}

export interface FleetLoad {
  /** Share of arrivals that find every stream slot busy and wait. */
  pw: number;
  /** Mean wait of those that wait (Allen–Cunneen scaled). */
  meanIfWait: number;
  /** Gamma shape of the wait of those that wait (1: exponential; wait-shape.ts). */
  waitShape: number;
  /** Its ln Q table (waitTable), looked up once here for the many tail evaluations. */
  waitTable: Float64Array | null;
  /** Arrivals that start at once, by the concurrency they join at. */
  starts: StartClass[];
  /** Arrivals that waited: they start on a full GPU. */
  queued: { slowdown: number; firstAudioS: number };
  /** Mean concurrency a stream runs beside (stream-weighted), per GPU. */
  meanConcurrency: number;
}

/** Wall seconds per audio second for one of n streams (n fractional: linear in T). */
export function slowdown(curve: Curve, n: number): number {
  const x = Math.min(curve.k, Math.max(1, n));
  const lo = Math.floor(x);
  const hi = Math.min(curve.k, lo + 1);
  const t = (curve.throughput[lo] as number) + ((curve.throughput[hi] as number) - (curve.throughput[lo] as number)) * (x - lo);
  return x / t;
}

/**
 * The fleet of `gpus` GPUs at `lambda` requests/s of mean `meanAudioS` audio seconds (squared
 * coefficient of variation `scv`); null when the load reaches full-batch capacity.
 */
export function fleetLoad(curve: Curve, gpus: number, lambda: number, meanAudioS: number, scv: number, m3 = exponentialM3(scv)): FleetLoad | null {
  const k = curve.k;
  const T = curve.throughput;
  const slots = gpus * k;
  const muMax = (gpus * (T[k] as number)) / meanAudioS;
  if (!(lambda < muMax)) return null;
  const rho = lambda / muMax;
  const logLambda = Math.log(lambda);
  // log π(N) for N = 0..slots, unnormalized, shifted by the running maximum at the end.
  const logPi = new Float64Array(slots + 1);
  let acc = 0;
  let max = 0;
  for (let n = 1; n <= slots; n++) {
    const q = Math.floor((n - 1) / gpus);
    const r = n - q * gpus;
    // Departure rate with n in the fleet: r GPUs hold q+1 streams, the rest q.
    const mu = (r * (T[q + 1] as number) + (gpus - r) * (q > 0 ? (T[q] as number) : 0)) / meanAudioS;
    acc += logLambda - Math.log(mu);
    logPi[n] = acc;
    if (acc > max) max = acc;
  }
  // The states beyond `slots` are geometric: π(slots + m) = π(slots)·ρ^m.
  const pTop = Math.exp((logPi[slots] as number) - max);
  let z = pTop / (1 - rho) - pTop;
  const startWeight = new Float64Array(k + 1);
  let sq = 0;
  let lin = 0;
  for (let n = 0; n <= slots; n++) {
    const p = Math.exp((logPi[n] as number) - max);
    if (p === 0) continue;
    z += p;
    const q = Math.floor(n / gpus);
    const r = n - q * gpus;
    sq += p * (r * (q + 1) ** 2 + (gpus - r) * q * q);
    lin += p * n;
    if (n < slots) startWeight[q + 1] = (startWeight[q + 1] as number) + p;
  }
  const queuedMass = pTop / (1 - rho);
  // The states past `slots` (mass queuedMass·ρ) hold k streams on every GPU.
  sq += queuedMass * rho * slots * k;
  lin += queuedMass * rho * slots;
  const meanConcurrency = lin > 0 ? Math.min(k, Math.max(1, sq / lin)) : 1;
  const pw = queuedMass / z;
  const shape = waitShape(rho, scv, m3);
  const starts: StartClass[] = [];
  for (let n = 1; n <= k; n++) {
    const w = (startWeight[n] as number) / z;
    if (w <= 0) continue;
    // A request joins as the n-th stream; over its life the GPU holds about as many streams
    // as a stream sees on average, so its speed is taken halfway between the two.
    starts.push({ weight: w, slowdown: slowdown(curve, (n + meanConcurrency) / 2), firstAudioS: curve.firstAudioS[n] as number });
  }
  return {
    pw,
    meanIfWait: ((1 / (muMax - lambda)) * (1 + scv)) / 2,
    waitShape: shape,
    waitTable: waitTable(shape),
    starts,
    queued: { slowdown: slowdown(curve, (k + meanConcurrency) / 2), firstAudioS: curve.firstAudioS[k] as number },
    meanConcurrency,
  };
}

/** P(first audio > x seconds) for an arrival, after `shift` seconds the backlog holds it. */
export function firstAudioExceed(load: FleetLoad, x: number, shift = 0): number {
  let p = 0;
  for (const s of load.starts) if (shift + s.firstAudioS > x) p += s.weight;
  const t = x - shift - load.queued.firstAudioS;
  p += load.pw * waitSurvivalWith(load.waitTable, t, load.meanIfWait, load.waitShape);
  return p;
}

/**
 * P(completion > x seconds) given the audio-seconds table (equiprobable, ascending) and its
 * coarse version for the waiting part.
 */
export function completionExceed(load: FleetLoad, audio: Float64Array, coarse: Float64Array, x: number, shift = 0): number {
  let p = 0;
  const y = x - shift;
  for (const s of load.starts) p += s.weight * survival(audio, y / s.slowdown);
  if (load.pw > 0) {
    // Wait W (P(W > t) = pw·G(t), G the gamma survival) plus the service of each coarse audio quantile.
    let sum = 0;
    for (let i = 0; i < coarse.length; i++) {
      const t = y - (coarse[i] as number) * load.queued.slowdown;
      sum += waitSurvivalWith(load.waitTable, t, load.meanIfWait, load.waitShape);
    }
    p += (load.pw * sum) / coarse.length;
  }
  return p;
}

/** Share of the equiprobable ascending table above y. */
export function survival(values: Float64Array, y: number): number {
  const n = values.length;
  if (y < (values[0] as number)) return 1;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((values[mid] as number) <= y) lo = mid + 1;
    else hi = mid;
  }
  return (n - lo) / n;
}

/** Smallest x with exceed(x) ≤ 1 − q (bisection; exceed is non-increasing). */
export function quantileOf(exceed: (x: number) => number, q: number, hint: number): number {
  const p = 1 - q;
  let hi = Math.max(hint, 1e-6);
  for (let i = 0; i < 60 && exceed(hi) > p; i++) hi *= 2;
  let lo = 0;
  for (let i = 0; i < 50 && hi - lo > 1e-5 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (exceed(mid) > p) lo = mid;
    else hi = mid;
  }
  return hi;
}
