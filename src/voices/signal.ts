// Small DSP helpers for judging a prompt recording: channel mixing, silence trimming and
// clipping detection. Pure functions on float samples, so each rule is unit-testable.

/** The average of the channels (a mono file is returned as is). */
export function mixToMono(channels: readonly Float32Array[]): Float32Array {
  const first = channels[0];
  if (!first) return new Float32Array(0);
  if (channels.length === 1) return first;
  const out = new Float32Array(first.length);
  for (const channel of channels) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (channel[i] as number);
  const scale = 1 / channels.length;
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * scale;
  return out;
}

export const dbToAmplitude = (db: number): number => 10 ** (db / 20);

/** RMS of consecutive frames of `frameLength` samples (the last, partial frame included). */
export function frameRms(samples: Float32Array, frameLength: number): Float32Array {
  const frames = Math.ceil(samples.length / frameLength);
  const out = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    const start = f * frameLength;
    const end = Math.min(samples.length, start + frameLength);
    let sum = 0;
    for (let i = start; i < end; i++) sum += (samples[i] as number) ** 2;
    out[f] = Math.sqrt(sum / (end - start));
  }
  return out;
}

export interface TrimOptions {
  /** Analysis frame, seconds. */
  frameSeconds: number;
  /** A frame is sound when its RMS is within this many dB of the loudest frame... */
  relativeDb: number;
  /** ...and above this absolute level (dBFS). */
  floorDb: number;
  /** Kept on each side of the first and last sound frame, seconds (within the recording). */
  marginSeconds: number;
}

export const DEFAULT_TRIM: TrimOptions = { frameSeconds: 0.02, relativeDb: 40, floorDb: -70, marginSeconds: 0.1 };

export interface TrimResult {
  /** Sample range [start, end) to keep; start === end when nothing is sound. */
  start: number;
  end: number;
  /** RMS of the loudest frame. */
  loudestRms: number;
}

/** Where the sound begins and ends, ignoring leading and trailing silence (and quiet noise). */
export function findSound(samples: Float32Array, sampleRate: number, options: TrimOptions = DEFAULT_TRIM): TrimResult {
  const frameLength = Math.max(1, Math.round(options.frameSeconds * sampleRate));
  const levels = frameRms(samples, frameLength);
  let loudestRms = 0;
  for (const level of levels) loudestRms = Math.max(loudestRms, level);
  const threshold = Math.max(loudestRms * dbToAmplitude(-options.relativeDb), dbToAmplitude(options.floorDb));
  let first = -1;
  let last = -1;
  for (let f = 0; f < levels.length; f++) {
    if ((levels[f] as number) > threshold) {
      if (first < 0) first = f;
      last = f;
    }
  }
  if (first < 0) return { start: 0, end: 0, loudestRms };
  const margin = Math.round(options.marginSeconds * sampleRate);
  return {
    start: Math.max(0, first * frameLength - margin),
    end: Math.min(samples.length, (last + 1) * frameLength + margin),
    loudestRms,
  };
}

/** |sample| at 16-bit resolution from which a flat run counts as clipping (0.99 of full scale). */
const CLIP_LEVEL = Math.round(0.99 * 32767);
/** Identical consecutive samples needed to call it a plateau rather than a waveform's peak. */
const CLIP_RUN = 3;

/**
 * The fraction of samples in [start, end) that sit in clipped plateaus: runs of at least three
 * identical values (at 16-bit resolution) within 1% of full scale. A clean full-scale waveform
 * touches its peak for a sample or two; a clipped one stays flat there. Float samples beyond
 * ±1 count as full scale.
 */
export function clippedFraction(samples: Float32Array, start = 0, end = samples.length): number {
  if (end <= start) return 0;
  let clipped = 0;
  let runValue = NaN;
  let runLength = 0;
  const close = () => {
    if (runLength >= CLIP_RUN) clipped += runLength;
  };
  for (let i = start; i < end; i++) {
    const q = Math.max(-32768, Math.min(32767, Math.round((samples[i] as number) * 32767)));
    if (Math.abs(q) >= CLIP_LEVEL && q === runValue) {
      runLength++;
      continue;
    }
    close();
    runValue = Math.abs(q) >= CLIP_LEVEL ? q : NaN;
    runLength = Number.isNaN(runValue) ? 0 : 1;
  }
  close();
  return clipped / (end - start);
}
