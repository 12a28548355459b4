// Weighted latency histogram on a log scale: the month simulation adds tens of millions of
// weighted latencies and reads a few quantiles at the end. The bin is read straight from the
// float's exponent and top 7 mantissa bits (128 bins per octave, < 0.8% wide), which avoids a
// Math.log per sample.

const MANTISSA_BITS = 7;
const SHIFT = 20 - MANTISSA_BITS;
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
// Bin of 1.0 (ms): latencies below 1 ms go to bin 0.
f64[0] = 1;
const BASE = (u32[HI] as number) >>> SHIFT;
const OCTAVES = 30;
const BINS = OCTAVES << MANTISSA_BITS;

function binOf(ms: number): number {
  if (!(ms > 1)) return 0;
  f64[0] = ms;
  const i = ((u32[HI] as number) >>> SHIFT) - BASE;
  return i < BINS ? i : BINS - 1;
}

/** Lower edge (ms) of bin i. */
function edge(i: number): number {
  const octave = i >>> MANTISSA_BITS;
  const frac = (i & ((1 << MANTISSA_BITS) - 1)) / (1 << MANTISSA_BITS);
  return 2 ** octave * (1 + frac);
}

export class LatencyHistogram {
  readonly counts = new Float64Array(BINS);
  total = 0;

  /** Adds `weight` requests with latency `ms`. */
  add(ms: number, weight: number): void {
    if (weight <= 0) return;
    const i = binOf(ms);
    this.counts[i] = (this.counts[i] as number) + weight;
    this.total += weight;
  }

  /** Latency (ms) below which a share q of the weight lies; NaN when empty. */
  quantile(q: number): number {
    if (this.total <= 0) return NaN;
    const target = q * this.total;
    let cum = 0;
    for (let i = 0; i < BINS; i++) {
      const c = this.counts[i] as number;
      if (c > 0 && cum + c >= target) {
        const lo = edge(i);
        return lo + (edge(i + 1) - lo) * ((target - cum) / c);
      }
      cum += c;
    }
    return edge(BINS);
  }
}
