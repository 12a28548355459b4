// Streaming sample-rate conversion written here: a polyphase Kaiser-windowed sinc filter for the
// exact rational ratio to/from = L/M. It exists because libsamplerate's WASM build (resample.ts)
// costs ~7 ms of CPU per audio second at medium quality (22.05 -> 24 kHz), more than ffmpeg's
// whole CLI run; this filter is as transparent for speech and ~15x faster with its WebAssembly
// SIMD inner loop (assembled below), ~3x with the plain JavaScript one. bench/codecs.ts measures
// them, docs/audio-codecs.md has the numbers.
//
// The filter: passband flat to 0.9 x the lower rate's Nyquist, stopband from 1.0 x it with at
// least 80 dB attenuation, linear phase, output time-aligned with the input (output sample n is
// the input at time n * from / to: no delay, as libsamplerate's full API gives). Every output
// sample is one dot product over the input, indexed with integer arithmetic, so the samples
// produced do not depend on how the input was chunked.
import type { Resampler } from './resample.js';
import { concatFloat32 } from './pcm.js';
import { assertSampleRate } from './s16le.js';

/** Which inner loop runs: 'auto' takes SIMD where the runtime has it. */
export type PolyphaseKernel = 'auto' | 'simd' | 'js';

export interface PolyphaseOptions {
  /** Passband edge as a fraction of the lower rate's Nyquist frequency (default 0.9). */
  passband?: number;
  /** Stopband edge as a fraction of the lower rate's Nyquist frequency (default 1.0). */
  stopband?: number;
  /** Stopband attenuation in dB (default 80). */
  attenuationDb?: number;
  /** Which inner loop runs (default 'auto': SIMD where the runtime has it). */
  kernel?: PolyphaseKernel;
}

/** A designed filter bank, shared by every stream with the same ratio and options. */
export interface PolyphaseDesign {
  /** Upsampling factor L and downsampling factor M: to / from = L / M in lowest terms. */
  readonly up: number;
  readonly down: number;
  /** Taps per output sample (a multiple of 8). */
  readonly taps: number;
  /**
   * Phases stored: L when every phase has its own row (exact), else a grid of fractional
   * positions between which coefficients are interpolated linearly (very large L only).
   */
  readonly phases: number;
  readonly exact: boolean;
  /** Cutoff (-6 dB point) in cycles per input sample. */
  readonly cutoff: number;
  readonly beta: number;
  /** Row-major coefficients: phases (+1 when interpolated) rows of `taps`. */
  readonly coefficients: Float32Array;
}

const DEFAULT_PASSBAND = 0.9;
const DEFAULT_STOPBAND = 1.0;
const DEFAULT_ATTENUATION_DB = 80;
/** The same ceiling as resample.ts: higher rates are refused rather than silently slow. */
export const POLYPHASE_MAX_RATE = 192000;
/**
 * Above this many phases (a ratio like 44100 -> 44099) or this many coefficients, the bank holds
 * a grid of INTERPOLATED_PHASES positions instead. Linear interpolation between grid rows of a
 * kernel band-limited to half the input rate errs by about (pi / P)^2 / 8 relative, -106 dB
 * at P = 512, so 1024 leaves ample margin under the 80 dB stopband.
 */
const MAX_EXACT_PHASES = 4096;
const MAX_EXACT_COEFFICIENTS = 1 << 20;
const INTERPOLATED_PHASES = 1024;
/** Designs kept for reuse (each is at most a few MB; typical ones are tens of KB). */
const DESIGN_CACHE_SIZE = 16;

const EMPTY = new Float32Array(0);

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (series; converges fast for beta < 20). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Kaiser's empirical beta for a stopband attenuation of `a` dB. */
function kaiserBeta(a: number): number {
  if (a > 50) return 0.1102 * (a - 8.7);
  if (a >= 21) return 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21);
  return 0;
}

const designs = new Map<string, PolyphaseDesign>();

/** The filter bank for from -> to (cached). */
export function designPolyphase(from: number, to: number, options: PolyphaseOptions = {}): PolyphaseDesign {
  const passband = options.passband ?? DEFAULT_PASSBAND;
  const stopband = options.stopband ?? DEFAULT_STOPBAND;
  const attenuation = options.attenuationDb ?? DEFAULT_ATTENUATION_DB;
  if (!(passband > 0 && passband < stopband && stopband <= 2)) {
    throw new RangeError(`polyphase: need 0 < passband < stopband <= 2, got ${passband}, ${stopband}`);
  }
  if (!(attenuation >= 20 && attenuation <= 180)) throw new RangeError(`polyphase: attenuation must be 20-180 dB, got ${attenuation}`);
  const g = gcd(from, to);
  const up = to / g;
  const down = from / g;
  const key = `${up}/${down}/${passband}/${stopband}/${attenuation}`;
  const cached = designs.get(key);
  if (cached) {
    // Refresh its place: the map's insertion order is the eviction order.
    designs.delete(key);
    designs.set(key, cached);
    return cached;
  }

  // Frequencies in cycles per input sample; the lower Nyquist is 0.5 * min(1, to / from).
  const nyquist = 0.5 * Math.min(1, up / down);
  const pass = passband * nyquist;
  const stop = stopband * nyquist;
  const cutoff = (pass + stop) / 2;
  const beta = kaiserBeta(attenuation);
  // Kaiser's length estimate, in input samples, for the transition width (stop - pass).
  const length = (attenuation - 7.95) / (14.36 * (stop - pass));
  const halfWidth = length / 2;
  // Taps per output: a multiple of 8 so the dot product needs no remainder loop.
  const half = Math.ceil(halfWidth / 4) * 4;
  const taps = 2 * half;
  const exact = up <= MAX_EXACT_PHASES && up * taps <= MAX_EXACT_COEFFICIENTS;
  const phases = exact ? up : INTERPOLATED_PHASES;
  const rows = exact ? phases : phases + 1;
  const coefficients = new Float32Array(rows * taps);
  const i0beta = besselI0(beta);
  const row = new Float64Array(taps);
  for (let p = 0; p < rows; p++) {
    const frac = p / phases;
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      // Distance in input samples from the output instant back to input tap j.
      const t = half - 1 - j + frac;
      let v = 0;
      if (Math.abs(t) < halfWidth) {
        const x = 2 * cutoff * t;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const r = t / halfWidth;
        v = 2 * cutoff * sinc * (besselI0(beta * Math.sqrt(1 - r * r)) / i0beta);
      }
      row[j] = v;
      sum += v;
    }
    // Unit DC gain in every phase: otherwise a constant input comes out with a ripple at the
    // phase rate, which is audible as a faint tone at ratios like 160/147.
    for (let j = 0; j < taps; j++) coefficients[p * taps + j] = (row[j] as number) / sum;
  }
  const design: PolyphaseDesign = { up, down, taps, phases, exact, cutoff, beta, coefficients };
  designs.set(key, design);
  if (designs.size > DESIGN_CACHE_SIZE) {
    const oldest = designs.keys().next().value;
    if (oldest !== undefined) designs.delete(oldest);
  }
  return design;
}

class IdentityResampler implements Resampler {
  private flushed = false;
  constructor(
    readonly from: number,
    readonly to: number,
  ) {}
  process(samples: Float32Array): Float32Array {
    if (this.flushed) throw new Error('resampler: process() after flush()');
    return samples;
  }
  flush(): Float32Array {
    this.flushed = true;
    return EMPTY;
  }
  destroy(): void {}
}

/** Input samples appended per kernel call: bounds the working memory whatever the caller sends. */
const SLICE = 16384;

/**
 * The dot-product loop as a WebAssembly SIMD function (f32x4, two accumulators), assembled
 * here from its opcodes: 7x the speed of the same loop in JavaScript, which V8 cannot
 * vectorize. Signature: run(buf, h, out, n, phase, tapBytes, up, idxStepBytes, phaseStep), all
 * i32, pointers in bytes into the imported memory. For each of n outputs it writes
 * out[o] = sum_j buf[j] * h[phase * taps + j], then advances buf by idxStep samples and phase by
 * phaseStep (carrying into buf when phase reaches up). taps must be a multiple of 8.
 */
function simdKernelBytes(): Uint8Array {
  const uleb = (n: number): number[] => {
    const out: number[] = [];
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n !== 0) b |= 0x80;
      out.push(b);
    } while (n !== 0);
    return out;
  };
  const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
  const I32 = 0x7f;
  const V128 = 0x7b;
  const get = (i: number) => [0x20, i];
  const set = (i: number) => [0x21, i];
  const tee = (i: number) => [0x22, i];
  const i32 = (v: number) => [0x41, ...uleb(v)]; // small non-negative constants only (< 64)
  const load = (offset: number) => [0xfd, 0x00, 0x00, ...uleb(offset)]; // v128.load align=1
  const F32X4_ADD = [0xfd, 0xe4, 0x01];
  const F32X4_MUL = [0xfd, 0xe6, 0x01];
  const lane = (i: number) => [0xfd, 0x1f, i]; // f32x4.extract_lane
  const ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)]; // v128.const 0
  const I32_ADD = 0x6a;
  const I32_SUB = 0x6b;
  const I32_MUL = 0x6c;
  const END = 0x0b;
  // Params 0 buf, 1 h, 2 out, 3 n, 4 phase, 5 tapBytes, 6 up, 7 idxStepBytes, 8 phaseStep;
  // locals 9 c (this phase's row), 10 j (byte offset in the row), 11 and 12 the accumulators.
  const body = [
    2, 2, I32, 2, V128,
    0x02, 0x40, // block
    0x03, 0x40, // loop over outputs
    ...get(3), 0x45, 0x0d, 1, // if n == 0: leave the block
    ...get(1), ...get(4), ...get(5), I32_MUL, I32_ADD, ...set(9),
    ...ZERO, ...set(11), ...ZERO, ...set(12), ...i32(0), ...set(10),
    0x03, 0x40, // loop over taps, 8 per round
    ...get(11), ...get(0), ...get(10), I32_ADD, ...load(0), ...get(9), ...get(10), I32_ADD, ...load(0), ...F32X4_MUL, ...F32X4_ADD, ...set(11),
    ...get(12), ...get(0), ...get(10), I32_ADD, ...load(16), ...get(9), ...get(10), I32_ADD, ...load(16), ...F32X4_MUL, ...F32X4_ADD, ...set(12),
    ...get(10), ...i32(32), I32_ADD, ...tee(10), ...get(5), 0x49, 0x0d, 0, // j += 32; again while j < tapBytes
    END,
    ...get(11), ...get(12), ...F32X4_ADD, ...set(11),
    ...get(2), ...get(11), ...lane(0), ...get(11), ...lane(1), 0x92, ...get(11), ...lane(2), ...get(11), ...lane(3), 0x92, 0x92,
    0x38, 0x02, 0x00, // f32.store
    ...get(2), ...i32(4), I32_ADD, ...set(2),
    ...get(4), ...get(8), I32_ADD, ...set(4),
    ...get(0), ...get(7), I32_ADD, ...set(0),
    ...get(4), ...get(6), 0x4f, 0x04, 0x40, // if phase >= up
    ...get(4), ...get(6), I32_SUB, ...set(4), ...get(0), ...i32(4), I32_ADD, ...set(0),
    END,
    ...get(3), ...i32(1), I32_SUB, ...set(3),
    0x0c, 0, // next output
    END, END, END,
  ];
  const ascii = (s: string) => [s.length, ...Buffer.from(s, 'ascii')];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 9, ...new Array<number>(9).fill(I32), 0]),
    ...section(2, [1, ...ascii('env'), ...ascii('memory'), 0x02, 0x00, 1]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...ascii('run'), 0x00, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

type SimdRun = (buf: number, h: number, out: number, n: number, phase: number, tapBytes: number, up: number, idxStepBytes: number, phaseStep: number) => void;

/** The part of the WebAssembly API used here (the project's type libraries do not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
}
type WasmModule = object;

const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
let simdModule: WasmModule | null | undefined;

/** The compiled kernel, or null where this runtime has no WebAssembly SIMD. */
function simdKernel(): WasmModule | null {
  if (simdModule === undefined) {
    const bytes = simdKernelBytes();
    simdModule = wasmApi?.validate(bytes) ? new wasmApi.Module(bytes) : null;
  }
  return simdModule;
}

/** True when the SIMD kernel is available here. */
export function polyphaseSimdAvailable(): boolean {
  return simdKernel() !== null;
}

const PAGE = 65536;

class PolyphaseResampler implements Resampler {
  private readonly taps: number;
  private readonly half: number;
  private readonly up: number;
  private readonly phases: number;
  private readonly exact: boolean;
  private readonly idxStep: number;
  private readonly phaseStep: number;
  /**
   * One Float32Array holds, in this order, the coefficients, the input history and the output
   * of one kernel call: WebAssembly memory when the SIMD kernel runs, a plain array otherwise.
   */
  private heap: Float32Array;
  private readonly bufAt: number;
  private readonly outAt: number;
  private readonly simd: SimdRun | null;
  /** Input history: heap[bufAt + i] is input sample bufStart + i (negative ones are the zeros before the start). */
  private bufLen: number;
  private bufStart: number;
  /** The next output's instant: input index idx plus phase / up. */
  private idx = 0;
  private phase = 0;
  private inCount = 0;
  private outCount = 0;
  private done = false;
  private destroyed = false;

  constructor(
    readonly from: number,
    readonly to: number,
    design: PolyphaseDesign,
    kernel: PolyphaseKernel,
  ) {
    this.taps = design.taps;
    this.half = design.taps / 2;
    this.up = design.up;
    this.phases = design.phases;
    this.exact = design.exact;
    this.idxStep = Math.floor(design.down / design.up);
    this.phaseStep = design.down % design.up;
    // After a call the history keeps under `taps` samples, plus up to idxStep when one output
    // step jumps past the end; a slice and the flush's zeros come on top.
    const bufCapacity = SLICE + 2 * this.taps + this.idxStep + 8;
    const outCapacity = Math.ceil((bufCapacity * design.up) / design.down) + 8;
    const coefficients = design.coefficients.length;
    const floats = coefficients + bufCapacity + outCapacity;
    const module = design.exact && kernel !== 'js' ? simdKernel() : null;
    if (kernel === 'simd' && !module) throw new Error('polyphase: this runtime has no WebAssembly SIMD (or the ratio needs the interpolated bank)');
    if (module && wasmApi) {
      const memory = new wasmApi.Memory({ initial: Math.ceil((floats * 4) / PAGE) });
      const instance = new wasmApi.Instance(module, { env: { memory } });
      this.simd = instance.exports.run as SimdRun;
      this.heap = new Float32Array(memory.buffer);
    } else {
      this.simd = null;
      this.heap = new Float32Array(floats);
    }
    this.heap.set(design.coefficients, 0);
    this.bufAt = coefficients;
    this.outAt = coefficients + bufCapacity;
    // Zeros stand for the silence before the first sample, so output 0 needs no special case
    // (the heap starts zeroed).
    this.bufLen = this.half;
    this.bufStart = -this.half;
  }

  /** The kernel that runs: 'simd' or 'js'. */
  get kernel(): 'simd' | 'js' {
    return this.simd ? 'simd' : 'js';
  }

  process(samples: Float32Array): Float32Array {
    if (this.destroyed) throw new Error('resampler used after destroy()');
    if (this.done) throw new Error('resampler: process() after flush()');
    if (samples.length === 0) return EMPTY;
    const parts: Float32Array[] = [];
    for (let at = 0; at < samples.length; at += SLICE) {
      const slice = samples.subarray(at, at + SLICE);
      this.append(slice);
      this.inCount += slice.length;
      parts.push(this.run(Infinity));
    }
    return parts.length === 1 ? (parts[0] as Float32Array) : concatFloat32(parts);
  }

  flush(): Float32Array {
    if (this.done) return EMPTY;
    this.done = true;
    const expected = Math.round((this.inCount * this.to) / this.from);
    // The last outputs' instants reach up to the end of the input; the filter needs `half`
    // more samples after them, which are the silence after the last sample.
    this.append(new Float32Array(this.half + 2));
    const out = this.run(expected);
    this.heap = EMPTY;
    return out;
  }

  destroy(): void {
    this.done = true;
    this.destroyed = true;
    this.heap = EMPTY;
  }

  private append(samples: Float32Array): void {
    this.heap.set(samples, this.bufAt + this.bufLen);
    this.bufLen += samples.length;
  }

  /** Emits every output whose taps are all in the history, up to output number `limit`. */
  private run(limit: number): Float32Array {
    const { up, half, taps, idxStep, phaseStep } = this;
    // Outputs whose window [idx - half + 1, idx + half] lies inside the history: idx + half < end.
    // Count them first, walking the instants with integers, to know where the walk ends.
    const end = this.bufStart + this.bufLen;
    let n = 0;
    let idx = this.idx;
    let phase = this.phase;
    while (idx + half < end && this.outCount + n < limit) {
      n++;
      phase += phaseStep;
      idx += idxStep;
      if (phase >= up) {
        phase -= up;
        idx++;
      }
    }
    const heap = this.heap;
    const first = this.bufAt + this.idx + 1 - half - this.bufStart;
    if (n > 0) {
      if (this.simd) this.simd(first * 4, 0, this.outAt * 4, n, this.phase, taps * 4, up, idxStep * 4, phaseStep);
      else if (this.exact) exactJs(heap, first, this.outAt, n, this.phase, taps, up, idxStep, phaseStep);
      else interpolatedJs(heap, first, this.outAt, n, this.phase, taps, up, this.phases, idxStep, phaseStep);
    }
    const out = heap.slice(this.outAt, this.outAt + n);
    this.idx = idx;
    this.phase = phase;
    this.outCount += n;
    // Keep only what the next output can still reach: from idx - half + 1 on.
    const keepFrom = Math.min(this.bufLen, Math.max(0, idx - half + 1 - this.bufStart));
    if (keepFrom > 0) {
      heap.copyWithin(this.bufAt, this.bufAt + keepFrom, this.bufAt + this.bufLen);
      this.bufLen -= keepFrom;
      this.bufStart += keepFrom;
    }
    return out;
  }
}

/** The SIMD kernel's loop in JavaScript (the coefficients start at heap[0]). */
function exactJs(heap: Float32Array, first: number, outAt: number, n: number, phase: number, taps: number, up: number, idxStep: number, phaseStep: number): void {
  let b = first;
  for (let o = 0; o < n; o++) {
    const c = phase * taps;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < taps; j += 4) {
      s0 += (heap[b + j] as number) * (heap[c + j] as number);
      s1 += (heap[b + j + 1] as number) * (heap[c + j + 1] as number);
      s2 += (heap[b + j + 2] as number) * (heap[c + j + 2] as number);
      s3 += (heap[b + j + 3] as number) * (heap[c + j + 3] as number);
    }
    heap[outAt + o] = s0 + s1 + s2 + s3;
    phase += phaseStep;
    b += idxStep;
    if (phase >= up) {
      phase -= up;
      b++;
    }
  }
}

/** For a bank of `grid` + 1 rows: interpolates between the two rows around each instant. */
function interpolatedJs(heap: Float32Array, first: number, outAt: number, n: number, phase: number, taps: number, up: number, grid: number, idxStep: number, phaseStep: number): void {
  let b = first;
  for (let o = 0; o < n; o++) {
    const scaled = phase * grid;
    const q = Math.floor(scaled / up);
    const frac = (scaled - q * up) / up;
    const c0 = q * taps;
    const c1 = c0 + taps;
    let s0 = 0;
    let s1 = 0;
    for (let j = 0; j < taps; j++) {
      const x = heap[b + j] as number;
      s0 += x * (heap[c0 + j] as number);
      s1 += x * (heap[c1 + j] as number);
    }
    heap[outAt + o] = s0 + frac * (s1 - s0);
    phase += phaseStep;
    b += idxStep;
    if (phase >= up) {
      phase -= up;
      b++;
    }
  }
}

/**
 * A streaming resampler from `from` Hz to `to` Hz (mono), with the same contract as
 * createResampler in resample.ts (length rule, flush, destroy) but synchronous: no WASM to load.
 */
export function createPolyphaseResampler(from: number, to: number, options: PolyphaseOptions = {}): Resampler {
  assertSampleRate(from, 'input sample rate');
  assertSampleRate(to, 'output sample rate');
  if (from === to) return new IdentityResampler(from, to);
  if (from > POLYPHASE_MAX_RATE || to > POLYPHASE_MAX_RATE) {
    throw new RangeError(`resampling supports rates up to ${POLYPHASE_MAX_RATE} Hz, got ${from} -> ${to}`);
  }
  return new PolyphaseResampler(from, to, designPolyphase(from, to, options), options.kernel ?? 'auto');
}

/** One-shot conversion of a whole signal (same length rule as a flushed stream). */
export function polyphaseResampleAll(samples: Float32Array, from: number, to: number, options: PolyphaseOptions = {}): Float32Array {
  const r = createPolyphaseResampler(from, to, options);
  const body = r.process(samples);
  const tail = r.flush();
  return tail.length === 0 ? body : concatFloat32([body, tail]);
}
