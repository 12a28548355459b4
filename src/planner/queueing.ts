// Analytic queueing: the service-time distribution of a workload and the M/G/c estimate
// (Erlang C for the chance of waiting, Allen–Cunneen for the mean wait, a gamma tail shaped by the
// service times' moments)
// that sizing and the month simulation share. docs/planner.md gives the formulas.
import type { Workload } from './workload.js';
import { exponentialM3, waitShape, waitSurvival, waitSurvivalInverse } from './wait-shape.js';

/** Equiprobable quantile table of a positive distribution, ascending. */
export interface QuantileTable {
  values: Float64Array;
  mean: number;
  /** Squared coefficient of variation. */
  scv: number;
  /** Third normalized moment E[X³]/E[X]³ (the shape of the wait: wait-shape.ts). */
  m3: number;
}

export const TABLE_POINTS = 256;

/** Audio seconds per request: text length distribution mixed over the language shares. */
export function audioSecondsDistribution(w: Pick<Workload, 'meanChars' | 'lengthDistribution' | 'language'>, points = TABLE_POINTS): QuantileTable {
  const chars = charsQuantiles(w, points);
  const weighted: { v: number; p: number }[] = [];
  for (const lang of w.language) {
    if (lang.share === 0) continue;
    for (const c of chars) weighted.push({ v: c / lang.charsPerSecond, p: lang.share / chars.length });
  }
  weighted.sort((a, b) => a.v - b.v);
  const values = new Float64Array(points);
  let cum = 0;
  let j = 0;
  for (let i = 0; i < points; i++) {
    const target = (i + 0.5) / points;
    while (j < weighted.length - 1 && cum + (weighted[j] as { p: number }).p < target) cum += (weighted[j++] as { p: number }).p;
    values[i] = (weighted[j] as { v: number }).v;
  }
  return tableOf(values);
}

export function tableOf(values: Float64Array): QuantileTable {
  let sum = 0;
  let sq = 0;
  let cube = 0;
  for (const v of values) {
    sum += v;
    sq += v * v;
    cube += v * v * v;
  }
  const mean = sum / values.length;
  const variance = Math.max(0, sq / values.length - mean * mean);
  const scv = mean > 0 ? variance / (mean * mean) : 0;
  // At least (1 + scv)², which every distribution has (Cauchy–Schwarz), against rounding.
  return { values, mean, scv, m3: mean > 0 ? Math.max((1 + scv) ** 2, cube / values.length / mean ** 3) : 1 };
}

export function scaleTable(t: QuantileTable, factor: number): QuantileTable {
  return { values: t.values.map((v) => v * factor), mean: t.mean * factor, scv: t.scv, m3: t.m3 };
}

/** Characters per request at equiprobable quantiles. */
export function charsQuantiles(w: Pick<Workload, 'meanChars' | 'lengthDistribution'>, points: number): number[] {
  const d = w.lengthDistribution;
  if (d.type === 'fixed') return [w.meanChars];
  if (d.type === 'buckets') {
    const out: number[] = [];
    const sorted = [...d.buckets].sort((a, b) => a.chars - b.chars);
    let cum = 0;
    let j = 0;
    for (let i = 0; i < points; i++) {
      const target = (i + 0.5) / points;
      while (j < sorted.length - 1 && cum + (sorted[j] as { share: number }).share < target) cum += (sorted[j++] as { share: number }).share;
      out.push((sorted[j] as { chars: number }).chars);
    }
    return out;
  }
  const sigma2 = Math.log(1 + d.cv * d.cv);
  const mu = Math.log(w.meanChars) - sigma2 / 2;
  const sigma = Math.sqrt(sigma2);
  const out: number[] = [];
  for (let i = 0; i < points; i++) out.push(Math.min(d.maxChars, Math.max(1, Math.exp(mu + sigma * probit((i + 0.5) / points)))));
  return out;
}

/** Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function probit(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -probit(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * Erlang C: probability that an arrival waits, c servers, offered load a Erlangs (a < c).
 *
 * Erlang B from 1/B = Σ_{i=0..c} c!/((c−i)!·aⁱ), summed from the top server count down: the
 * terms rise while c − i > a and then fall like a Gaussian of width √a, so the sum stops once
 * it passes 1e20 (B < 1e-20: nobody waits) or its terms drop below 1e-17 of it. That is
 * O(√c) steps instead of the O(c) recursion, which is what lets the planner size fleets of
 * MAX_FLEET_GPUS × many streams in seconds.
 */
export function erlangC(c: number, a: number): number {
  if (a <= 0) return 0;
  if (a >= c) return 1;
  let sum = 1;
  let term = 1;
  for (let i = 1; i <= c; i++) {
    term *= (c - i + 1) / a;
    sum += term;
    if (sum > 1e20 || term < sum * 1e-17) break;
  }
  const b = 1 / sum;
  const rho = a / c;
  return b / (1 - rho + rho * b);
}

/**
 * Erlang C with a cache per server count over a fine grid of utilization, linearly
 * interpolated: the month simulation asks millions of times for a few hundred (c, a) pairs.
 */
export class ErlangCache {
  private readonly grid = 1024;
  private readonly tables = new Map<number, Float64Array>();

  get(c: number, a: number): number {
    if (a <= 0) return 0;
    if (a >= c) return 1;
    let t = this.tables.get(c);
    if (!t) {
      t = new Float64Array(this.grid + 1).fill(-1);
      this.tables.set(c, t);
    }
    const x = (a / c) * this.grid;
    const i = Math.floor(x);
    const lo = t[i] as number >= 0 ? (t[i] as number) : (t[i] = erlangC(c, (i / this.grid) * c));
    if (i + 1 > this.grid) return lo;
    const hi = t[i + 1] as number >= 0 ? (t[i + 1] as number) : (t[i + 1] = i + 1 === this.grid ? 1 : erlangC(c, ((i + 1) / this.grid) * c));
    return lo + (hi - lo) * (x - i);
  }
}

/**
 * Waiting time of an M/G/c queue: P(wait > t) ≈ pw · G(t), G the survival of a gamma of mean
 * meanIfWait and shape `shape` (1: exponential; src/planner/wait-shape.ts).
 */
export interface WaitTail {
  pw: number;
  meanIfWait: number;
  shape: number;
}

/** `m3`: the service time's E[S³]/E[S]³; absent, the wait stays exponential. */
export function mgcWait(c: number, a: number, meanService: number, scv: number, erlang: (c: number, a: number) => number = erlangC, m3 = exponentialM3(scv)): WaitTail | null {
  if (a >= c) return null;
  const pw = erlang(c, a);
  // M/M/c: conditional wait is exponential with mean E[S]/(c−a); Allen–Cunneen scales the
  // mean by (1 + scv)/2 for general service times (Poisson arrivals: ca² = 1).
  return { pw, meanIfWait: ((meanService / (c - a)) * (1 + scv)) / 2, shape: waitShape(a / c, scv, m3) };
}

export function waitQuantile(tail: WaitTail, q: number): number {
  const p = 1 - q;
  return tail.pw <= p ? 0 : waitSurvivalInverse(p / tail.pw, tail.meanIfWait, tail.shape);
}

/** q-quantile of wait + S where S is given by its quantile table (bisection on the tail). */
export function sumQuantile(tail: WaitTail, service: Float64Array, q: number): number {
  const p = 1 - q;
  const n = service.length;
  const exceed = (x: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const t = x - (service[i] as number);
      s += t < 0 ? 1 : tail.pw * waitSurvival(t, tail.meanIfWait, tail.shape);
    }
    return s / n;
  };
  let lo = 0;
  let hi = (service[n - 1] as number) + waitQuantile(tail, 1 - p / 4) + 1e-9;
  if (tail.pw <= 0 || tail.meanIfWait <= 0) return exactQuantile(service, q);
  for (let it = 0; it < 40 && hi - lo > 1e-4 * hi; it++) {
    const mid = (lo + hi) / 2;
    if (exceed(mid) > p) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** q-quantile of an equiprobable table (the smallest value with at least q of the mass). */
export function exactQuantile(values: Float64Array, q: number): number {
  const idx = Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1));
  return values[idx] as number;
}

/** Downsamples an equiprobable table (for the many bisections in sizing). */
export function coarsen(values: Float64Array, points: number): Float64Array {
  if (values.length <= points) return values;
  const out = new Float64Array(points);
  const step = values.length / points;
  for (let i = 0; i < points; i++) {
    let s = 0;
    const from = Math.floor(i * step);
    const to = Math.floor((i + 1) * step);
    for (let j = from; j < to; j++) s += values[j] as number;
    out[i] = s / (to - from);
  }
  return out;
}
