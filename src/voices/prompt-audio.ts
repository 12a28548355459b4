// Validation and normalization of a voice prompt upload: decode (bounded), refuse what a
// cloning engine cannot use (each reason its own error code), mix to mono, trim silence,
// resample to 16 kHz and encode as 16-bit WAV; estimate the median pitch on the way. Pure: bytes
// in, bytes and facts out, no storage.
import { AppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/catalog.js';
import { AudioDecodeError, decodeAudio, sniffFormat, type DecodeResult, type SniffedFormat } from '../audio/decoders.js';
import { createEncoder } from '../audio/encoders.js';
import { resampleAll } from '../audio/resample.js';
import type { OriginalAudio } from '../storage/voice-store.js';
import { estimateMedianPitch } from './pitch.js';
import { clippedFraction, dbToAmplitude, findSound, mixToMono } from './signal.js';

/** CosyVoice3 consumes prompts at 16 kHz. */
export const PROMPT_SAMPLE_RATE = 16000;

export interface PromptLimits {
  /** Below this the recording lacks the bandwidth the model expects (the CosyVoice web demo refuses it too). */
  minSampleRate: number;
  /** Sound after trimming silence, seconds. */
  minSeconds: number;
  maxSeconds: number;
  /** Refused before decoding: files that would decode to more than this (silence included)... */
  maxDecodeSeconds: number;
  /** ...or to more samples than this over all channels. */
  maxDecodeSamples: number;
  /** The loudest 20 ms frame must reach this (dBFS). */
  silenceDb: number;
  /** Share of samples in clipped plateaus (any channel) above which the recording is refused. */
  maxClippedFraction: number;
}

export const PROMPT_LIMITS: PromptLimits = Object.freeze({
  minSampleRate: 16000,
  minSeconds: 3,
  maxSeconds: 30,
  maxDecodeSeconds: 65,
  maxDecodeSamples: 65 * 96000 * 2,
  silenceDb: -55,
  maxClippedFraction: 0.01,
});

export const CONTENT_TYPES: Readonly<Record<SniffedFormat, string>> = Object.freeze({
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  flac: 'audio/flac',
  opus: 'audio/ogg; codecs=opus',
});

export interface NormalizedPrompt {
  /** 16 kHz mono 16-bit PCM WAV of the trimmed recording. */
  readonly wav: Buffer;
  readonly samples: Float32Array;
  readonly sampleRate: typeof PROMPT_SAMPLE_RATE;
  readonly durationSeconds: number;
  readonly pitchHz: number | null;
  readonly original: OriginalAudio;
}

const refuse = (code: ErrorCode, message: string): AppError => new AppError(code, message, { param: 'audio' });

/** Throws AppError (audio_*) with param `audio` for anything a cloning engine should not get. */
export async function normalizePromptAudio(bytes: Uint8Array, limits: PromptLimits = PROMPT_LIMITS): Promise<NormalizedPrompt> {
  const format = sniffFormat(bytes);
  const decoded = await decode(bytes, limits);
  if (!format) throw refuse('audio_unreadable', 'The audio is not a WAV, MP3, FLAC or Ogg Opus file.');
  const rate = Math.min(decoded.sampleRate, decoded.sourceSampleRate);
  if (rate < limits.minSampleRate) {
    throw refuse('audio_sample_rate_too_low', `The audio was recorded at ${rate} Hz; voice prompts need at least ${limits.minSampleRate} Hz.`);
  }
  const frames = decoded.channels[0]?.length ?? 0;
  const original: OriginalAudio = {
    format,
    contentType: CONTENT_TYPES[format],
    bytes: bytes.length,
    sampleRate: decoded.sourceSampleRate,
    channels: decoded.channels.length,
    durationSeconds: round(frames / decoded.sampleRate),
  };

  const mono = mixToMono(decoded.channels);
  const sound = findSound(mono, decoded.sampleRate);
  if (sound.end === sound.start || sound.loudestRms < dbToAmplitude(limits.silenceDb)) {
    throw refuse('audio_silent', `The audio is silent (nothing louder than ${limits.silenceDb} dBFS).`);
  }
  const seconds = (sound.end - sound.start) / decoded.sampleRate;
  if (seconds < limits.minSeconds) {
    throw refuse('audio_too_short', `The audio holds ${seconds.toFixed(1)} s of sound after trimming silence; voice prompts need at least ${limits.minSeconds} s.`);
  }
  if (seconds > limits.maxSeconds) {
    throw refuse('audio_too_long', `The audio holds ${seconds.toFixed(1)} s of sound after trimming silence; voice prompts may be at most ${limits.maxSeconds} s.`);
  }
  // Per channel: averaging a clipped channel with a clean one would hide the plateaus.
  const clipped = Math.max(...decoded.channels.map((c) => clippedFraction(c, sound.start, sound.end)));
  if (clipped > limits.maxClippedFraction) {
    throw refuse(
      'audio_clipped',
      `${(clipped * 100).toFixed(1)}% of the samples are clipped at full scale (at most ${limits.maxClippedFraction * 100}% accepted); record at a lower level.`,
    );
  }

  const samples = await resampleAll(mono.subarray(sound.start, sound.end), decoded.sampleRate, PROMPT_SAMPLE_RATE);
  const encoder = await createEncoder('wav', { sampleRate: PROMPT_SAMPLE_RATE, streaming: false });
  const wav = Buffer.concat([...encoder.write(samples), ...encoder.end()]);
  const pitch = estimateMedianPitch(samples, PROMPT_SAMPLE_RATE);
  return {
    wav,
    samples,
    sampleRate: PROMPT_SAMPLE_RATE,
    durationSeconds: round(samples.length / PROMPT_SAMPLE_RATE),
    pitchHz: pitch === null ? null : Math.round(pitch * 10) / 10,
    original,
  };
}

async function decode(bytes: Uint8Array, limits: PromptLimits): Promise<DecodeResult> {
  try {
    return await decodeAudio(bytes, { maxSeconds: limits.maxDecodeSeconds, maxSamples: limits.maxDecodeSamples });
  } catch (err) {
    if (!(err instanceof AudioDecodeError)) throw err;
    switch (err.reason) {
      case 'too_long':
        throw refuse('audio_too_long', `The audio is too long to be a voice prompt: ${err.message}.`);
      case 'empty':
        throw refuse('audio_unreadable', `The audio holds no samples: ${err.message}.`);
      case 'unrecognized_format':
        throw refuse('audio_unreadable', `The audio is not a supported WAV, MP3, FLAC or Ogg Opus file: ${err.message}.`);
      case 'corrupt':
        throw refuse('audio_unreadable', `The audio file is damaged or truncated: ${err.message}.`);
    }
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;
