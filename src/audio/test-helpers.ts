// Helpers for tests that judge audio with Debian's ffprobe/ffmpeg (an independent decoder,
// not our code). Used by src/audio tests and by the HTTP end-to-end tests, so they take file
// paths and know nothing about cosyfleet's encoders.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AudioEncoder } from './types.js';
import { int16ToFloat32, rms } from './pcm.js';
import { AUDIO_FALLBACK_WARNING } from './codec-fallback.js';

const run = promisify(execFile);
/** Decoded PCM of long test files can be large; execFile's default 1 MiB is far too small. */
const MAX_OUTPUT_BYTES = 512 * 1024 * 1024;

/** Describes a headerless s16le file, which ffmpeg cannot probe on its own. */
export interface RawPcmInput {
  rawRate: number;
  /** Interleaved channels in the raw file; 1 if omitted. */
  rawChannels?: number;
}

export interface FfprobeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  /** ffprobe prints sample_rate as a string. */
  sample_rate?: string;
  channels?: number;
  duration?: string;
  bits_per_sample?: number;
  [key: string]: unknown;
}

export interface FfprobeFormat {
  format_name?: string;
  duration?: string;
  size?: string;
  [key: string]: unknown;
}

export interface FfprobeResult {
  streams: FfprobeStream[];
  format: FfprobeFormat;
}

function rawInputArgs(raw: RawPcmInput | undefined): string[] {
  if (!raw) return [];
  const layout = (raw.rawChannels ?? 1) === 1 ? 'mono' : 'stereo';
  return ['-f', 's16le', '-ar', String(raw.rawRate), '-ch_layout', layout];
}

/** `ffprobe -show_streams -show_format` as parsed JSON. Rejects if ffprobe cannot read the file. */
export async function ffprobeJson(path: string, raw?: RawPcmInput): Promise<FfprobeResult> {
  const args = ['-v', 'error', ...rawInputArgs(raw), '-show_streams', '-show_format', '-of', 'json', path];
  const { stdout } = await run('ffprobe', args, { maxBuffer: 16 * 1024 * 1024 });
  const parsed = JSON.parse(stdout) as Partial<FfprobeResult>;
  return { streams: parsed.streams ?? [], format: parsed.format ?? {} };
}

export interface FfmpegDecoded {
  /** Mono s16 samples (ffmpeg downmixes multichannel input). */
  samples: Int16Array;
  /** The first audio stream's own rate; nothing is resampled. */
  sampleRate: number;
}

/**
 * Decodes the first audio stream with ffmpeg to mono s16le at its native rate. Streams whose
 * header lies about the length (streamed WAV) are measured by what actually decodes.
 */
export async function decodeWithFfmpeg(path: string, raw?: RawPcmInput): Promise<FfmpegDecoded> {
  let sampleRate = raw?.rawRate;
  if (sampleRate === undefined) {
    const probe = await ffprobeJson(path);
    const audio = probe.streams.find((s) => s.codec_type === 'audio');
    sampleRate = Number(audio?.sample_rate);
    if (!audio || !Number.isFinite(sampleRate) || sampleRate <= 0) throw new Error(`ffprobe finds no audio stream in ${path}`);
  }
  const args = ['-v', 'error', ...rawInputArgs(raw), '-i', path, '-map', '0:a:0', '-f', 's16le', '-acodec', 'pcm_s16le', '-ac', '1', 'pipe:1'];
  const { stdout } = await run('ffmpeg', args, { encoding: 'buffer', maxBuffer: MAX_OUTPUT_BYTES });
  // Copy into a fresh, aligned buffer: the Buffer from execFile may sit at an odd offset.
  const samples = new Int16Array(Math.floor(stdout.length / 2));
  Buffer.from(samples.buffer).set(stdout.subarray(0, samples.length * 2));
  return { samples, sampleRate };
}

/** Runs ffmpeg with `args` (e.g. a lavfi source and codec options), writing `outPath`. */
export async function ffmpegGenerate(args: readonly string[], outPath: string): Promise<void> {
  await run('ffmpeg', ['-v', 'error', '-y', ...args, outPath], { maxBuffer: 16 * 1024 * 1024 });
}

/** A sine tone, float32 mono. */
export function sine(frequency: number, sampleRate: number, seconds: number, amplitude = 0.5): Float32Array {
  const out = new Float32Array(Math.round(sampleRate * seconds));
  const step = (2 * Math.PI * frequency) / sampleRate;
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin(step * i);
  return out;
}

/**
 * Estimates the frequency of a clean tone from its zero crossings (rising and falling), which
 * is enough to tell 440 Hz from a pitch shift or a wrong sample rate.
 */
export function zeroCrossingFrequency(samples: ArrayLike<number>, sampleRate: number): number {
  let crossings = 0;
  let prev = samples[0] ?? 0;
  for (let i = 1; i < samples.length; i++) {
    const s = samples[i] as number;
    if ((prev < 0 && s >= 0) || (prev >= 0 && s < 0)) crossings++;
    prev = s;
  }
  return crossings / 2 / (samples.length / sampleRate);
}

/** A fresh temporary directory and a function that removes it. */
export async function tempDir(prefix = 'cosyfleet-audio-'): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface EncodedRun {
  /** The complete encoded stream. */
  bytes: Buffer;
  /** Bytes returned by the first write() alone. */
  firstWriteBytes: number;
  /** Bytes returned by end() alone. */
  endBytes: number;
}

/**
 * Feeds `input` to an encoder as a pipeline would: a first chunk of `firstChunk` samples, then
 * chunks of `chunk` samples, then end(). Returns the concatenated output.
 */
export function runEncoder(encoder: AudioEncoder, input: Float32Array, firstChunk: number, chunk: number): EncodedRun {
  const parts: Buffer[] = [];
  const first = encoder.write(input.subarray(0, firstChunk));
  parts.push(...first);
  for (let at = firstChunk; at < input.length; at += chunk) parts.push(...encoder.write(input.subarray(at, Math.min(input.length, at + chunk))));
  const end = encoder.end();
  parts.push(...end);
  const sum = (bufs: Buffer[]): number => bufs.reduce((n, b) => n + b.length, 0);
  return { bytes: Buffer.concat(parts), firstWriteBytes: sum(first), endBytes: sum(end) };
}

/** Writes `bytes` to `dir/name` and returns the path. */
export async function writeTemp(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

export interface ToneFileExpectations {
  codecName: string;
  sampleRate: number;
  /** The input: `toneSeconds` of a 440 Hz sine at amplitude 0.5, then silence up to `totalSeconds`. */
  toneSeconds: number;
  totalSeconds: number;
  /** Allowed relative error of the durations (codec padding). */
  durationTolerance: number;
  /** false where the header cannot know the length (streamed WAV/FLAC): only decoding counts. */
  checkProbeDuration: boolean;
  raw?: RawPcmInput;
}

/**
 * Asserts that ffprobe/ffmpeg see a mono stream of the expected codec and rate, that it lasts
 * as long as the input, that the tone is there at 440 Hz and loud, and the silence is silent.
 * Returns the decoded audio for further checks.
 */
export async function assertToneFile(path: string, want: ToneFileExpectations): Promise<FfmpegDecoded> {
  const probe = await ffprobeJson(path, want.raw);
  const audio = probe.streams.find((s) => s.codec_type === 'audio');
  assert.ok(audio, 'ffprobe finds an audio stream');
  assert.equal(audio.codec_name, want.codecName);
  assert.equal(Number(audio.sample_rate), want.sampleRate);
  assert.equal(audio.channels, 1);
  const near = (seconds: number): boolean => Math.abs(seconds - want.totalSeconds) <= want.totalSeconds * want.durationTolerance;
  if (want.checkProbeDuration) {
    const probed = Number(audio.duration ?? probe.format.duration);
    assert.ok(near(probed), `ffprobe duration ${probed} s, expected ${want.totalSeconds} s`);
  }

  const decoded = await decodeWithFfmpeg(path, want.raw);
  assert.equal(decoded.sampleRate, want.sampleRate);
  const seconds = decoded.samples.length / decoded.sampleRate;
  assert.ok(near(seconds), `decoded ${seconds.toFixed(4)} s, expected ${want.totalSeconds} s`);

  const pcm = int16ToFloat32(decoded.samples);
  const at = (t: number): number => Math.round(t * decoded.sampleRate);
  // Margins leave room for codec delay and the onset/offset transients.
  const tone = pcm.subarray(at(0.2), at(want.toneSeconds - 0.2));
  const level = rms(tone);
  assert.ok(level > 0.25, `tone rms ${level.toFixed(3)} (a 0.5 sine has 0.354)`);
  const hz = zeroCrossingFrequency(tone, decoded.sampleRate);
  assert.ok(Math.abs(hz - 440) < 440 * 0.02, `tone measures ${hz.toFixed(1)} Hz, expected 440`);
  const quiet = pcm.subarray(at(want.toneSeconds + 0.15), at(want.totalSeconds - 0.05));
  assert.ok(quiet.length > 0, 'the silent tail is decoded');
  assert.ok(rms(quiet) < 0.01, `silence rms ${rms(quiet).toFixed(4)}`);
  return decoded;
}

/** The standard test input: `toneSeconds` of 440 Hz at 0.5, then silence to `totalSeconds`. */
export function toneThenSilence(sampleRate: number, toneSeconds: number, totalSeconds: number): Float32Array {
  const out = new Float32Array(Math.round(sampleRate * totalSeconds));
  out.set(sine(440, sampleRate, toneSeconds));
  return out;
}

/**
 * Deterministic, irregular chunk sizes summing to `total`: mostly a few hundred to a few
 * thousand samples, with empty and single-sample writes mixed in, because codecs that buffer
 * frames break at boundaries a regular chunk size never hits.
 */
export function irregularChunks(total: number, seed = 1, max = 3000): number[] {
  let state = seed >>> 0 || 1;
  const next = (): number => {
    // xorshift32: reproducible across runs, so a failure can be replayed.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const sizes: number[] = [];
  let left = total;
  while (left > 0) {
    const r = next() % 16;
    const size = r === 0 ? 0 : r === 1 ? 1 : 1 + (next() % max);
    const n = Math.min(size, left);
    sizes.push(n);
    left -= n;
  }
  return sizes;
}

/** Feeds `input` to `encoder` in chunks of `sizes` (which must sum to its length), then end(). */
export function runEncoderChunks(encoder: AudioEncoder, input: Float32Array, sizes: readonly number[]): EncodedRun {
  const parts: Buffer[] = [];
  let at = 0;
  let firstWriteBytes = -1;
  for (const n of sizes) {
    const out = encoder.write(input.subarray(at, at + n));
    if (firstWriteBytes < 0) firstWriteBytes = out.reduce((s, b) => s + b.length, 0);
    parts.push(...out);
    at += n;
  }
  assert.equal(at, input.length, 'chunk sizes cover the input');
  const end = encoder.end();
  parts.push(...end);
  return { bytes: Buffer.concat(parts), firstWriteBytes: Math.max(0, firstWriteBytes), endBytes: end.reduce((s, b) => s + b.length, 0) };
}

/**
 * The lag (in samples, within ±maxLag) at which `signal` best matches `reference`, by
 * normalised cross-correlation. Positive: `signal` is late. Use a non-periodic reference
 * (a chirp), or the answer is only known modulo the period.
 */
export function bestLag(reference: ArrayLike<number>, signal: ArrayLike<number>, maxLag: number): { lag: number; correlation: number } {
  let best = { lag: 0, correlation: -Infinity };
  const n = Math.min(reference.length, signal.length);
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let dot = 0;
    let e1 = 0;
    let e2 = 0;
    for (let i = Math.max(0, -lag); i < n && i + lag < n; i++) {
      const a = reference[i] as number;
      const b = signal[i + lag] as number;
      dot += a * b;
      e1 += a * a;
      e2 += b * b;
    }
    const c = e1 > 0 && e2 > 0 ? dot / Math.sqrt(e1 * e2) : 0;
    if (c > best.correlation) best = { lag, correlation: c };
  }
  return best;
}

/** A linear chirp from `f0` to `f1` Hz: unlike a sine, its alignment is unambiguous. */
export function chirp(f0: number, f1: number, sampleRate: number, seconds: number, amplitude = 0.5): Float32Array {
  const out = new Float32Array(Math.round(sampleRate * seconds));
  const k = (f1 - f0) / seconds;
  for (let i = 0; i < out.length; i++) {
    const t = i / sampleRate;
    out[i] = amplitude * Math.sin(2 * Math.PI * (f0 * t + (k * t * t) / 2));
  }
  return out;
}

/**
 * Runs `fn` and returns the messages of the codec-fallback warnings (codec-fallback.ts) emitted
 * meanwhile; Node delivers warnings a tick late, so this waits one before it stops listening.
 */
export async function fallbackWarnings(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const listen = (w: Error & { code?: string }) => {
    if (w.code === AUDIO_FALLBACK_WARNING) seen.push(w.message);
  };
  process.on('warning', listen);
  try {
    await fn();
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', listen);
  }
  return seen;
}
