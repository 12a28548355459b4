// Little-endian signed 16-bit PCM bytes, the sample layout of WAV data and of the raw `pcm`
// format. Kept apart from pcm.ts (the engine-facing contract) because only encoders need bytes.
import { endianness } from 'node:os';
import { float32ToInt16, floatToInt16Sample } from './pcm.js';

const HOST_IS_LITTLE_ENDIAN = endianness() === 'LE';

/** Float32 mono samples as s16le bytes (same scaling and clipping as float32ToInt16). */
export function float32ToS16le(samples: Float32Array): Buffer {
  const pcm = float32ToInt16(samples);
  const bytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  // Typed arrays use the host's byte order; every mainstream Node host is little-endian, but
  // a big-endian one must not silently produce byte-swapped audio.
  if (!HOST_IS_LITTLE_ENDIAN) bytes.swap16();
  return bytes;
}

/**
 * Quantizes like float32ToInt16 into a caller-owned buffer, so encoders that feed a codec
 * frame by frame reuse one array instead of allocating per call.
 */
export function quantizeInt16Into(input: Float32Array, out: Int16Array | Int32Array, offset = 0): void {
  for (let i = 0; i < input.length; i++) out[offset + i] = floatToInt16Sample(input[i] as number);
}

/** Throws a RangeError unless `rate` is a plausible audio sample rate. */
export function assertSampleRate(rate: number, what = 'sample rate'): void {
  if (!Number.isInteger(rate) || rate < 1000 || rate > 384000) {
    throw new RangeError(`${what} must be an integer between 1000 and 384000 Hz, got ${rate}`);
  }
}
