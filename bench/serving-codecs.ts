// The codec section of `npm run bench:serving`: what the service's own audio path (resample +
// encode: src/audio/codec-session.ts, and the OpenAI route's AAC transcoder) costs per audio
// second for each format, against the ffmpeg CLI doing the same job on the same espeak speech.
// Issue 13's target is <= 1.5x. Both sides are timed from start to finish of one whole stream:
// ours on this thread (synchronous work: wall time is CPU time; encoder set-up included), ffmpeg
// from spawn to exit (its start-up included, as the issue's baseline was measured), alternating,
// median of the rounds. Every output is decoded by ffmpeg in the first round and its length
// checked, so a broken encoder cannot look fast. bench/codecs.ts compares the candidates.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCodecSession, type CodecSpec } from '../src/audio/codec-session.js';
import { createAacEncoder } from '../src/audio/aac.js';
import { polyphaseSimdAvailable } from '../src/audio/polyphase.js';
import { espeakSpeech, SPEECH_RATE } from './speech.js';

/** Samples per write, about what the engine hands the pipeline at a time. */
const CHUNK = 4096;
const TARGET = 1.5;

interface Case {
  name: string;
  /** What the service does. */
  ours: (x: Float32Array) => Promise<Buffer>;
  /** The ffmpeg CLI doing the same to the f32le file. */
  ffmpeg: readonly string[];
  /** How much longer than the input the output may decode (encoder delay and padding). */
  paddingSeconds: number;
  note?: string;
}

function chunks(x: Float32Array): Float32Array[] {
  const out: Float32Array[] = [];
  for (let at = 0; at < x.length; at += CHUNK) out.push(x.subarray(at, at + CHUNK));
  return out;
}

/** One response through openCodecSession, as the pipeline drives it (inline; a thread runs the same). */
async function session(spec: Omit<CodecSpec, 'inputRate' | 'streaming'>, x: Float32Array): Promise<Buffer> {
  const s = await openCodecSession({ ...spec, inputRate: SPEECH_RATE, streaming: true });
  const parts: Buffer[] = [];
  for (const c of chunks(x)) parts.push(...s.write(c));
  parts.push(...s.end());
  return Buffer.concat(parts);
}

/**
 * The OpenAI route's AAC: the pipeline renders 24 kHz s16le PCM (a `pcm` codec session), which
 * the route turns back into floats for the AAC encoder (a worker thread of its own).
 */
async function aacRoute(x: Float32Array, ffmpeg: string | null): Promise<Buffer> {
  const pcm = await openCodecSession({ format: 'pcm', inputRate: SPEECH_RATE, pcmRate: 24000, streaming: true });
  const aac = await createAacEncoder({ sampleRate: 24000, ffmpeg });
  const parts: Buffer[] = [];
  const feed = async (bytes: Buffer[]) => {
    for (const b of bytes) {
      const n = b.length >> 1;
      const f = new Float32Array(n);
      for (let i = 0; i < n; i++) f[i] = b.readInt16LE(2 * i) / 32768;
      parts.push(...(await aac.write(f)));
    }
  };
  for (const c of chunks(x)) await feed(pcm.write(c));
  await feed(pcm.end());
  parts.push(...(await aac.end()));
  return Buffer.concat(parts);
}

const CASES: readonly Case[] = [
  { name: 'wav', ours: (x) => session({ format: 'wav', pcmRate: SPEECH_RATE }, x), ffmpeg: ['-c:a', 'pcm_s16le', '-f', 'wav'], paddingSeconds: 0.01 },
  { name: 'mp3', ours: (x) => session({ format: 'mp3', pcmRate: SPEECH_RATE }, x), ffmpeg: ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'], paddingSeconds: 0.2 },
  {
    name: 'mp3@24k',
    ours: (x) => session({ format: 'mp3', pcmRate: 24000 }, x),
    ffmpeg: ['-ar', '24000', '-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'],
    paddingSeconds: 0.2,
  },
  {
    name: 'opus',
    ours: (x) => session({ format: 'opus', pcmRate: SPEECH_RATE }, x),
    ffmpeg: ['-ar', '48000', '-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg'],
    paddingSeconds: 0.01,
    note: 'ffmpeg resamples to 48 kHz (the issue baseline); ours codes at 24 kHz',
  },
  {
    name: 'opus (vs ffmpeg at 24 kHz)',
    ours: (x) => session({ format: 'opus', pcmRate: SPEECH_RATE }, x),
    ffmpeg: ['-ar', '24000', '-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg'],
    paddingSeconds: 0.01,
    note: 'both code at 24 kHz',
  },
  { name: 'flac', ours: (x) => session({ format: 'flac', pcmRate: SPEECH_RATE }, x), ffmpeg: ['-sample_fmt', 's16', '-c:a', 'flac', '-f', 'flac'], paddingSeconds: 0.01 },
  {
    name: 'aac (OpenAI route, 24 kHz)',
    ours: (x) => aacRoute(x, 'ffmpeg'),
    ffmpeg: ['-ar', '24000', '-c:a', 'aac', '-b:a', '64k', '-f', 'adts'],
    paddingSeconds: 0.2,
    note: 'FFMPEG_PATH=ffmpeg (the default): an ffmpeg process per stream',
  },
  {
    name: 'aac (WASM fallback)',
    ours: (x) => aacRoute(x, null),
    ffmpeg: ['-ar', '24000', '-c:a', 'aac', '-b:a', '64k', '-f', 'adts'],
    paddingSeconds: 0.2,
    note: 'no ffmpeg: FFmpeg\'s encoder in WASM (mediabunny)',
  },
];

function ffmpegCli(inputFile: string, args: readonly string[]): Promise<{ ms: number; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-f', 'f32le', '-ar', String(SPEECH_RATE), '-ac', '1', '-i', inputFile, ...args, 'pipe:1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) reject(new Error(`ffmpeg ${args.join(' ')} exited ${code}: ${err.slice(-300)}`));
      else resolve({ ms, bytes: Buffer.concat(out) });
    });
  });
}

/** Seconds of audio ffmpeg decodes from `bytes` (NaN when it cannot). */
function decodedSeconds(bytes: Buffer, dir: string, name: string): number {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-ac', '1', '-ar', '48000', '-f', 's16le', 'pipe:1'], { maxBuffer: 1 << 30 });
  return r.status === 0 ? r.stdout.length / 2 / 48000 : NaN;
}

export interface CodecCostRow {
  format: string;
  oursMsPerAudioSecond: number;
  ffmpegMsPerAudioSecond: number;
  /** ours / ffmpeg CLI: issue 13's target is <= 1.5. */
  ratio: number;
  met: boolean;
  outputSizeVsFfmpeg: number;
  note?: string;
}

export interface CodecCostResult {
  audioSeconds: number;
  rounds: number;
  ffmpeg: string | null;
  simd: boolean;
  rows: CodecCostRow[];
  problems: string[];
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;

/** Measures every format; `seconds` of speech, `rounds` alternating runs each. */
export async function measureCodecCost(options: { rounds: number; seconds: number }): Promise<CodecCostResult> {
  const version = spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' });
  if (version.status !== 0) return { audioSeconds: 0, rounds: 0, ffmpeg: null, simd: polyphaseSimdAvailable(), rows: [], problems: ['ffmpeg not found: nothing to compare with'] };
  const x = await espeakSpeech(options.seconds);
  const seconds = x.length / SPEECH_RATE;
  const dir = mkdtempSync(join(tmpdir(), 'cosyfleet-bench-serving-codecs-'));
  const problems: string[] = [];
  try {
    const input = join(dir, 'speech.f32');
    writeFileSync(input, Buffer.from(x.buffer, x.byteOffset, x.byteLength));
    // Warm both sides once (WASM compiles, ffmpeg's libraries in the page cache), unmeasured.
    for (const c of CASES) {
      const ours = await c.ours(x);
      const theirs = await ffmpegCli(input, c.ffmpeg);
      for (const [who, bytes] of [
        ['ours', ours],
        ['ffmpeg', theirs.bytes],
      ] as const) {
        const got = decodedSeconds(bytes, dir, `check-${CASES.indexOf(c)}-${who}`);
        if (!(got >= seconds - 0.01 && got <= seconds + c.paddingSeconds)) problems.push(`${c.name} (${who}): decodes to ${got.toFixed(3)} s, expected ${seconds.toFixed(3)} s`);
      }
    }
    const ours = CASES.map(() => [] as number[]);
    const theirs = CASES.map(() => [] as number[]);
    const sizes = CASES.map(() => ({ ours: 0, ffmpeg: 0 }));
    for (let r = 0; r < options.rounds; r++) {
      for (const [i, c] of CASES.entries()) {
        const t0 = performance.now();
        const bytes = await c.ours(x);
        (ours[i] as number[]).push(performance.now() - t0);
        const f = await ffmpegCli(input, c.ffmpeg);
        (theirs[i] as number[]).push(f.ms);
        sizes[i] = { ours: bytes.length, ffmpeg: f.bytes.length };
      }
    }
    const rows = CASES.map((c, i): CodecCostRow => {
      const o = median(ours[i] as number[]);
      const t = median(theirs[i] as number[]);
      const size = sizes[i] as { ours: number; ffmpeg: number };
      return {
        format: c.name,
        oursMsPerAudioSecond: o / seconds,
        ffmpegMsPerAudioSecond: t / seconds,
        ratio: o / t,
        met: o / t <= TARGET,
        outputSizeVsFfmpeg: size.ours / size.ffmpeg,
        ...(c.note ? { note: c.note } : {}),
      };
    });
    return { audioSeconds: seconds, rounds: options.rounds, ffmpeg: version.stdout.split('\n')[0] ?? null, simd: polyphaseSimdAvailable(), rows, problems };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printCodecCost(r: CodecCostResult): void {
  console.log(`\nEncode + resample cost per audio second, the service's codec path vs the ffmpeg CLI on the same audio`);
  console.log(`(${r.audioSeconds.toFixed(0)} s of espeak speech at ${SPEECH_RATE} Hz, ${CHUNK}-sample writes, median of ${r.rounds} rounds; ${r.ffmpeg ?? 'no ffmpeg'}; resampler SIMD: ${r.simd ? 'yes' : 'no'}; target <= ${TARGET}x)\n`);
  console.log('| format | service ms / audio s | ffmpeg CLI ms / audio s | ratio | target | size vs ffmpeg |');
  console.log('|---|---|---|---|---|---|');
  for (const row of r.rows) {
    console.log(`| ${row.format} | ${row.oursMsPerAudioSecond.toFixed(2)} | ${row.ffmpegMsPerAudioSecond.toFixed(2)} | ${row.ratio.toFixed(2)}× | ${row.met ? 'met' : 'missed'} | ${row.outputSizeVsFfmpeg.toFixed(2)} |`);
  }
  const notes = r.rows.filter((row) => row.note).map((row) => `${row.format}: ${row.note}`);
  if (notes.length) console.log(`\n${notes.join('; ')}`);
  if (r.problems.length) console.log(`\nOutput problems:\n${r.problems.map((p) => `- ${p}`).join('\n')}`);
}
