// Median fundamental frequency of a voice recording, by normalized autocorrelation: enough to
// tell a high voice from a low one (the espeak engine picks a preset by it), not a research
// pitch tracker.

export interface PitchOptions {
  minHz: number;
  maxHz: number;
  /** A frame counts as voiced when its best normalized autocorrelation reaches this. */
  voicing: number;
  /** Frames quieter than the loudest by more than this (dB) are skipped. */
  relativeDb: number;
  /** Fewer voiced frames than this: no estimate. */
  minVoicedFrames: number;
}

export const DEFAULT_PITCH: PitchOptions = { minHz: 60, maxHz: 500, voicing: 0.6, relativeDb: 30, minVoicedFrames: 5 };

/** Target analysis rate: voice F0 is far below 4 kHz, and halving the rate quarters the work. */
const ANALYSIS_RATE = 8000;
const WINDOW_SECONDS = 0.04;
const HOP_SECONDS = 0.02;
/** Among lags scoring this close to the best, the shortest wins (the period, not a multiple of it). */
const OCTAVE_TOLERANCE = 0.85;

/** Median F0 in Hz over the voiced frames of 16 kHz mono `samples`, or null when too little is voiced. */
export function estimateMedianPitch(samples: Float32Array, sampleRate: number, options: PitchOptions = DEFAULT_PITCH): number | null {
  const factor = Math.max(1, Math.round(sampleRate / ANALYSIS_RATE));
  const rate = sampleRate / factor;
  const x = decimate(samples, factor);
  const window = Math.round(WINDOW_SECONDS * rate);
  const hop = Math.round(HOP_SECONDS * rate);
  const minLag = Math.max(2, Math.floor(rate / options.maxHz));
  const maxLag = Math.ceil(rate / options.minHz);
  const frames: number[] = [];
  for (let at = 0; at + window + maxLag + 1 <= x.length; at += hop) frames.push(at);
  const energies = frames.map((at) => energy(x, at, window));
  const loudest = Math.max(0, ...energies);
  if (loudest === 0) return null;
  const floor = loudest * 10 ** (-options.relativeDb / 10);
  const scores = new Float64Array(maxLag + 2);
  const f0s: number[] = [];
  frames.forEach((at, f) => {
    const e0 = energies[f] as number;
    if (e0 < floor) return;
    let best = 0;
    for (let lag = minLag - 1; lag <= maxLag + 1; lag++) {
      let dot = 0;
      for (let i = 0; i < window; i++) dot += (x[at + i] as number) * (x[at + i + lag] as number);
      const e1 = energy(x, at + lag, window);
      const r = e1 > 0 ? dot / Math.sqrt(e0 * e1) : 0;
      scores[lag] = r;
      if (lag >= minLag && lag <= maxLag) best = Math.max(best, r);
    }
    if (best < options.voicing) return;
    for (let lag = minLag; lag <= maxLag; lag++) {
      const r = scores[lag] as number;
      if (r >= best * OCTAVE_TOLERANCE && r >= (scores[lag - 1] as number) && r >= (scores[lag + 1] as number)) {
        f0s.push(rate / (lag + parabolicOffset(scores[lag - 1] as number, r, scores[lag + 1] as number)));
        return;
      }
    }
  });
  if (f0s.length < options.minVoicedFrames) return null;
  f0s.sort((a, b) => a - b);
  const mid = f0s.length >> 1;
  return f0s.length % 2 === 1 ? (f0s[mid] as number) : ((f0s[mid - 1] as number) + (f0s[mid] as number)) / 2;
}

function energy(x: Float32Array, at: number, length: number): number {
  let sum = 0;
  for (let i = at; i < at + length; i++) sum += (x[i] as number) ** 2;
  return sum;
}

/** Where the true peak lies between three scores around a local maximum, in samples (-0.5..0.5). */
function parabolicOffset(left: number, centre: number, right: number): number {
  const denominator = left - 2 * centre + right;
  return denominator < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (left - right)) / denominator)) : 0;
}

/** Keeps every `factor`-th sample after a [1 2 1]/4 low-pass (crude, but F0 lives far below the cut). */
function decimate(samples: Float32Array, factor: number): Float32Array {
  if (factor === 1) return samples;
  const out = new Float32Array(Math.floor(samples.length / factor));
  for (let o = 0; o < out.length; o++) {
    const i = o * factor;
    const prev = (samples[i - 1] ?? samples[i]) as number;
    const next = (samples[i + 1] ?? samples[i]) as number;
    out[o] = 0.25 * prev + 0.5 * (samples[i] as number) + 0.25 * next;
  }
  return out;
}
