// libsamplerate (WASM, @alexanderolsen/libsamplerate-js, a devDependency) behind the Resampler
// contract: the service's resampler until issue 13, kept as an independent reference that the
// polyphase resampler is compared with (src/audio/polyphase.test.ts, bench/codecs.ts). Never
// imported by the service.
import LibSampleRate from '@alexanderolsen/libsamplerate-js';
import { concatFloat32 } from '../../src/audio/pcm.js';
import { convertAll, type Resampler } from '../../src/audio/resample.js';
import { assertSampleRate } from '../../src/audio/s16le.js';

export type LibsamplerateQuality = 'medium' | 'fastest';

/**
 * The wrapper's WASM transfer arrays hold 1,008,000 floats; larger calls take a slower path
 * that mishandles subarray inputs, so we never send more than fits both ways.
 */
const TRANSFER_FLOATS = 1_000_000;
/** libsamplerate-js refuses rates above this with a thrown string, not an Error. */
const MAX_SRC_RATE = 192000;
/** Zeros fed per round while draining; several rounds if the filter is longer. */
const DRAIN_BLOCK = 1024;

const EMPTY = new Float32Array(0);

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

/** A libsamplerate stream from `from` to `to` Hz (rates must differ; both at most 192 kHz). */
export async function createLibsamplerate(from: number, to: number, quality: LibsamplerateQuality = 'medium'): Promise<Resampler> {
  assertSampleRate(from, 'input sample rate');
  assertSampleRate(to, 'output sample rate');
  if (from === to || from > MAX_SRC_RATE || to > MAX_SRC_RATE) throw new RangeError(`libsamplerate reference: cannot convert ${from} -> ${to}`);
  const { ConverterType } = LibSampleRate;
  const converterType = quality === 'fastest' ? ConverterType.SRC_SINC_FASTEST : ConverterType.SRC_SINC_MEDIUM_QUALITY;
  return new SrcResampler(await LibSampleRate.create(1, from, to, { converterType }), from, to);
}

/** One-shot libsamplerate conversion (same length rule as a flushed stream). */
export async function libsamplerateAll(samples: Float32Array, from: number, to: number, quality: LibsamplerateQuality = 'medium'): Promise<Float32Array> {
  return convertAll(await createLibsamplerate(from, to, quality), samples);
}
