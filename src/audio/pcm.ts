// The one in-memory audio representation inside cosyfleet: mono float32 samples in [-1, 1].
// Engines yield it, encoders and the resampler consume it.

/** A chunk of mono audio as an engine or a processing stage produces it. */
export interface PcmChunk {
  /** Mono samples in [-1, 1]. */
  samples: Float32Array;
  sampleRate: number;
}

/** Converts little-endian signed 16-bit PCM to float32 in [-1, 1]. */
export function int16ToFloat32(input: Int16Array): Float32Array {
  const out = new Float32Array(input.length);
  for (let i = 0; i < input.length; i++) out[i] = (input[i] as number) / 32768;
  return out;
}

/**
 * One float sample as a 16-bit integer value. Scaling by 32768 (and clipping +1.0 to 32767)
 * makes this the exact inverse of int16ToFloat32, so engine int16 audio passes through the
 * float pipeline into WAV/FLAC bit for bit; it is also how ffmpeg converts flt to s16.
 */
export function floatToInt16Sample(sample: number): number {
  const v = Math.round(sample * 32768);
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/** Converts float32 in [-1, 1] to signed 16-bit PCM, clipping out-of-range values. */
export function float32ToInt16(input: Float32Array): Int16Array {
  const out = new Int16Array(input.length);
  for (let i = 0; i < input.length; i++) out[i] = floatToInt16Sample(input[i] as number);
  return out;
}

/** Root-mean-square level of the samples (0 for an empty array). */
export function rms(samples: Float32Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += (samples[i] as number) ** 2;
  return Math.sqrt(sum / samples.length);
}

export function concatFloat32(chunks: readonly Float32Array[]): Float32Array {
  let length = 0;
  for (const c of chunks) length += c.length;
  const out = new Float32Array(length);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
