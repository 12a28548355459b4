// Streaming sample-rate conversion with libsamplerate (WASM, @alexanderolsen/libsamplerate-js).
import LibSampleRate from '@alexanderolsen/libsamplerate-js';
import { concatFloat32 } from './pcm.js';
import { assertSampleRate } from './s16le.js';

export type ResamplerQuality = 'medium' | 'fastest';

export interface Resampler {
  readonly from: number;
  readonly to: number;
  /**
   * Converts the next chunk. The output lags the input by the filter delay (a few ms), which
   * flush() releases. The returned array may be the input itself when from === to.
   */
  process(samples: Float32Array): Float32Array;
  /** Returns the delayed tail so the total output is round(totalIn * to / from); ends the stream. */
  flush(): Float32Array;
  /** Frees the WASM instance; idempotent. */
  destroy(): void;
}

/**
 * The wrapper's WASM transfer arrays hold 1,008,000 floats; larger calls take a slower path
 * that mishandles subarray inputs, so we never send more than fits both ways.
 */
const TRANSFER_FLOATS = 1_000_000;
/**
 * libsamplerate-js refuses rates above this with a thrown string, not an Error; we check first
 * so callers (the Opus encoder at 96 kHz input, say) get a RangeError like any other bad rate.
 */
const MAX_SRC_RATE = 192000;
/** Zeros fed per round while draining; several rounds if the filter is longer. */
const DRAIN_BLOCK = 1024;

const EMPTY = new Float32Array(0);

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

type Src = Awaited<ReturnType<typeof LibSampleRate.create>>;

class SrcResampler implements Resampler {
  private readonly ratio: number;
  private readonly maxChunk: number;
  private inCount = 0;
  private outCount = 0;
  private flushed = false;
  private src: Src | null;

  constructor(
    src: Src,
    readonly from: number,
    readonly to: number,
  ) {
    this.src = src;
    this.ratio = to / from;
    this.maxChunk = Math.max(1, Math.floor(TRANSFER_FLOATS / Math.max(1, this.ratio)));
  }

  process(samples: Float32Array): Float32Array {
    if (this.flushed) throw new Error('resampler: process() after flush()');
    this.inCount += samples.length;
    const out = this.convert(samples);
    this.outCount += out.length;
    return out;
  }

  flush(): Float32Array {
    if (this.flushed) return EMPTY;
    this.flushed = true;
    // libsamplerate's full API keeps the filter's delay line; the wrapper never signals end of
    // input, so we push silence through until the expected total has come out, then cut.
    const expected = Math.round(this.inCount * this.ratio);
    const parts: Float32Array[] = [];
    let produced = this.outCount;
    const zeros = new Float32Array(DRAIN_BLOCK);
    for (let round = 0; produced < expected && round < 64; round++) {
      const out = this.convert(zeros);
      parts.push(out);
      produced += out.length;
    }
    const tail = concatFloat32(parts);
    const keep = Math.max(0, Math.min(tail.length, expected - this.outCount));
    this.outCount += keep;
    return tail.subarray(0, keep);
  }

  destroy(): void {
    this.src?.destroy();
    this.src = null;
  }

  private convert(samples: Float32Array): Float32Array {
    const src = this.src;
    if (!src) throw new Error('resampler used after destroy()');
    if (samples.length === 0) return EMPTY;
    if (samples.length <= this.maxChunk) return src.full(samples);
    const parts: Float32Array[] = [];
    for (let at = 0; at < samples.length; at += this.maxChunk) parts.push(src.full(samples.subarray(at, at + this.maxChunk)));
    return concatFloat32(parts);
  }
}

/**
 * A streaming resampler from `from` Hz to `to` Hz (mono). Medium-quality sinc by default:
 * transparent for speech and far faster than real time.
 */
export async function createResampler(from: number, to: number, quality: ResamplerQuality = 'medium'): Promise<Resampler> {
  assertSampleRate(from, 'input sample rate');
  assertSampleRate(to, 'output sample rate');
  if (from === to) return new IdentityResampler(from, to);
  if (from > MAX_SRC_RATE || to > MAX_SRC_RATE) {
    throw new RangeError(`resampling supports rates up to ${MAX_SRC_RATE} Hz, got ${from} -> ${to}`);
  }
  const { ConverterType } = LibSampleRate;
  const converterType = quality === 'fastest' ? ConverterType.SRC_SINC_FASTEST : ConverterType.SRC_SINC_MEDIUM_QUALITY;
  const src = await LibSampleRate.create(1, from, to, { converterType });
  return new SrcResampler(src, from, to);
}

/** One-shot conversion of a whole signal (same length rule as a flushed stream). */
export async function resampleAll(samples: Float32Array, from: number, to: number, quality: ResamplerQuality = 'medium'): Promise<Float32Array> {
  const r = await createResampler(from, to, quality);
  try {
    const body = r.process(samples);
    const tail = r.flush();
    return tail.length === 0 ? body : concatFloat32([body, tail]);
  } finally {
    r.destroy();
  }
}
