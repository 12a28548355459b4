// `npm run bench:codecs`: what encoding and resampling cost per audio second, for each format's
// current encoder and the candidates that could replace it, against the ffmpeg CLI on the same
// audio. The audio is real speech from the embedded espeak engine (22.05 kHz mono float), a few
// minutes of it; every candidate and every ffmpeg run is measured in the same run, alternating,
// median of N rounds, and reported as ratios (the machine is shared and noisy; ratios survive
// that better than absolute times). Issue 13's target is <= 1.5x the ffmpeg CLI.
//
// In-process candidates are timed in wall-clock ms around the whole stream (they run on this
// thread, so that is their CPU time); worker-thread encoders (mediabunny's) by wall clock too.
// ffmpeg runs are timed from spawn to exit, start-up included, as a caller would pay it; its own
// CPU time (-benchmark) and its start-up alone are reported beside them.
//
// Candidates that are not dependencies of the project (LAME in WASM, native addons, ...) are
// loaded when installed, here or in a folder given with --candidates (a node_modules folder,
// e.g. one made with `npm i --no-save` in a scratch directory), and listed as missing otherwise.
//
// Flags: --rounds N (default 3), --seconds S (audio length, default 180), --chunk N (samples per
// write, default 4096), --candidates DIR[,DIR], --only GROUP[,GROUP], --json.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { espeakSpeech, SPEECH_RATE } from './speech.js';
import { createEncoder } from '../src/audio/encoders.js';
import { createAacEncoder } from '../src/audio/aac.js';
import type { Resampler } from '../src/audio/resample.js';
import { createMp3Encoder } from '../src/audio/mp3.js';
import { createFlacEncoder } from '../src/audio/flac.js';
import { createLibsamplerate } from '../test/helpers/libsamplerate.js';
import { createPolyphaseResampler, polyphaseSimdAvailable } from '../src/audio/polyphase.js';
import { concatFloat32, float32ToInt16 } from '../src/audio/pcm.js';
import { FixedFlacEncoder } from './flac-fixed.js';
import type { AudioEncoder } from '../src/audio/types.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '180' },
    chunk: { type: 'string', default: '4096' },
    candidates: { type: 'string', default: '' },
    only: { type: 'string', default: '' },
    json: { type: 'boolean', default: false },
  },
});
const rounds = Math.max(1, Number(values.rounds));
const targetSeconds = Math.max(5, Number(values.seconds));
const chunk = Math.max(64, Number(values.chunk));
const candidateDirs = values.candidates.split(',').filter(Boolean);
const only = new Set(values.only.split(',').filter(Boolean));
const RATE = SPEECH_RATE;

// ---------------------------------------------------------------------------------------------
// Optional candidates: from the project, else from --candidates folders.

/** The node_modules folder that has `name`: the project's, else the first --candidates folder. */
function find(name: string): string | null {
  for (const base of [join(process.cwd(), 'node_modules'), ...candidateDirs]) {
    if (existsSync(join(base, name, 'package.json'))) return base;
  }
  return null;
}

/** Loads a candidate package (or one file of it) by import(); null when it is not installed. */
async function load<T>(name: string, file?: string, base = find(name)): Promise<T | null> {
  if (!base) return null;
  const require = createRequire(join(base, '..', 'noop.js'));
  const path = file ? join(base, name, file) : require.resolve(name);
  const m = (await import(pathToFileURL(path).href)) as T & { default?: T };
  // CommonJS modules arrive as `default`; keep ESM namespaces as they are.
  return file?.endsWith('.cjs') || (m.default && typeof m.default === 'object') ? (m.default as T) : m;
}

// ---------------------------------------------------------------------------------------------
// Runners. Each takes the whole input, feeds it in `chunk`-sample writes like the pipeline does,
// and returns the encoded bytes (or resampled samples) so the first round can check them.

type Output = { bytes: Buffer } | { samples: number };

function chunks(x: Float32Array): Float32Array[] {
  const out: Float32Array[] = [];
  for (let at = 0; at < x.length; at += chunk) out.push(x.subarray(at, at + chunk));
  return out;
}

function runEncoder(enc: AudioEncoder, x: Float32Array): Output {
  const parts: Buffer[] = [];
  for (const c of chunks(x)) parts.push(...enc.write(c));
  parts.push(...enc.end());
  return { bytes: Buffer.concat(parts) };
}

function runResampler(r: Resampler, x: Float32Array): Float32Array {
  const parts: Float32Array[] = [];
  for (const c of chunks(x)) parts.push(r.process(c).slice());
  parts.push(r.flush());
  r.destroy();
  return concatFloat32(parts);
}

/** Resample in the stream, then encode each piece: the codec session's order of work. */
function runResampledEncoder(r: Resampler, enc: AudioEncoder, x: Float32Array): Output {
  const parts: Buffer[] = [];
  for (const c of chunks(x)) parts.push(...enc.write(r.process(c)));
  parts.push(...enc.write(r.flush()), ...enc.end());
  r.destroy();
  return { bytes: Buffer.concat(parts) };
}

/** An encoder that takes float chunks and returns bytes (the candidates' common shape). */
interface PushEncoder {
  write(x: Float32Array): Uint8Array[];
  end(): Uint8Array[];
}

function runPush(enc: PushEncoder, x: Float32Array, resampler?: Resampler): Output {
  const parts: Uint8Array[] = [];
  for (const c of chunks(x)) parts.push(...enc.write(resampler ? resampler.process(c) : c));
  if (resampler) parts.push(...enc.write(resampler.flush()));
  parts.push(...enc.end());
  resampler?.destroy();
  return { bytes: Buffer.concat(parts) };
}

// ---- ffmpeg

const FFMPEG = 'ffmpeg';
const ffmpegPresent = spawnSync(FFMPEG, ['-version']).status === 0;

interface FfmpegRun {
  ms: number;
  /** utime + stime from -benchmark: ffmpeg's own CPU. */
  cpuMs: number;
  bytes: Buffer;
}

function parseBench(stderr: string): number {
  const m = /utime=([\d.]+)s stime=([\d.]+)s/.exec(stderr);
  return m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN;
}

/** ffmpeg on a file (the CLI measurement): input flags, then output flags; output to a pipe we drain. */
function ffmpegCli(inputFile: string, inRate: number, outArgs: readonly string[]): Promise<FfmpegRun> {
  return ffmpegRun(['-f', 'f32le', '-ar', String(inRate), '-ac', '1', '-i', inputFile, ...outArgs, 'pipe:1'], null);
}

/** ffmpeg as a streaming child: f32le written to stdin in chunks, encoded bytes read from stdout. */
function ffmpegPipe(x: Float32Array | null, outArgs: readonly string[]): Promise<FfmpegRun> {
  return ffmpegRun(['-f', 'f32le', '-ar', String(RATE), '-ac', '1', '-i', 'pipe:0', ...outArgs, 'pipe:1'], x ?? new Float32Array(0));
}

function ffmpegRun(args: readonly string[], input: Float32Array | null): Promise<FfmpegRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // -benchmark reports at info level; -nostats keeps the progress lines out.
    const child = spawn(FFMPEG, ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-benchmark', ...args].filter((a) => !(input && a === '-nostdin')), {
      stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) reject(new Error(`ffmpeg ${args.join(' ')} exited ${code}: ${err.slice(-500)}`));
      else resolve({ ms, cpuMs: parseBench(err), bytes: Buffer.concat(out) });
    });
    if (input && child.stdin) {
      const stdin = child.stdin;
      stdin.on('error', () => {});
      void (async () => {
        for (const c of chunks(input)) {
          if (!stdin.write(Buffer.from(c.buffer, c.byteOffset, c.byteLength))) await new Promise((r) => stdin.once('drain', r));
        }
        stdin.end();
      })();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Candidate definitions.

interface Row {
  group: string;
  name: string;
  /** Baseline rows are what the others are divided by. */
  baseline?: boolean;
  note?: string;
  run(): Promise<{ ms: number; cpuMs?: number; output: Output }>;
  /** What the output should be: its length in seconds (decoded by ffmpeg), bit-exact, or a sample count. */
  check?: { seconds?: number; lossless?: boolean; samples?: number };
}

interface Missing {
  group: string;
  name: string;
  why: string;
}

async function timed(fn: () => Output | Promise<Output>): Promise<{ ms: number; output: Output }> {
  const t0 = performance.now();
  const output = await fn();
  return { ms: performance.now() - t0, output };
}

function ffmpegRow(group: string, name: string, run: () => Promise<FfmpegRun>, baseline = false, note?: string): Row {
  return {
    group,
    name,
    baseline,
    ...(note ? { note } : {}),
    async run() {
      const r = await run();
      return { ms: r.ms, cpuMs: r.cpuMs, output: { bytes: r.bytes } };
    },
  };
}

// Minimal shapes of the optional candidates' APIs.
interface WmeEncoder {
  configure(p: { channels: 1; sampleRate: number; bitrate: number }): void;
  encode(samples: Float32Array[]): Uint8Array;
  finalize(): Uint8Array;
}
interface WmeModule {
  createMp3Encoder(): Promise<WmeEncoder>;
}
interface EvanOpusModule {
  Encoder: new (o: { channels: 1; sample_rate: number; application: string }) => { ctl(cmd: number, value: number): number; encode(pcm: ArrayBufferView): Uint8Array };
}
const OPUS_SET_BITRATE = 4002;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_SIGNAL = 4024;
const OPUS_SIGNAL_VOICE = 3001;
interface DiscordOpusModule {
  OpusEncoder: new (rate: number, channels: number) => { setBitrate(b: number): void; encode(pcm: Buffer): Buffer; applyEncoderCTL(ctl: number, value: number): void };
}
interface LameStream {
  on(ev: 'data', cb: (b: Buffer) => void): void;
  on(ev: 'end' | 'error', cb: (e?: Error) => void): void;
  write(b: Buffer): boolean;
  end(): void;
}
interface FlatLameModule {
  Encoder: new (o: Record<string, number>) => LameStream;
  MONO: number;
}
interface MediabunnyModule {
  Output: new (o: { format: unknown; target: unknown }) => { addAudioTrack(s: unknown): void; start(): Promise<void>; finalize(): Promise<void> };
  Mp3OutputFormat: new () => unknown;
  BufferTarget: new () => { buffer: ArrayBuffer | null };
  AudioSampleSource: new (o: { codec: string; bitrate: number }) => { add(s: unknown): Promise<void> };
  AudioSample: new (o: { data: Float32Array; format: string; numberOfChannels: number; sampleRate: number; timestamp: number }) => { close(): void };
}
interface SpeexModule {
  _malloc(n: number): number;
  _free(p: number): void;
  _speex_resampler_init(ch: number, inRate: number, outRate: number, quality: number, err: number): number;
  _speex_resampler_process_float(st: number, ch: number, inp: number, inLen: number, out: number, outLen: number): number;
  _speex_resampler_destroy(st: number): void;
  _speex_resampler_get_input_latency(st: number): number;
  HEAPF32: Float32Array;
  HEAPU32: Uint32Array;
}

/** Opus packets for 20 ms frames of int16 PCM at `rate`, from any raw libopus binding. */
function framedOpus(rate: number, encodeFrame: (pcm: Int16Array) => Uint8Array): PushEncoder {
  const frame = rate / 50;
  let pending = new Float32Array(0);
  const take = (x: Float32Array, flush: boolean): Uint8Array[] => {
    const all = pending.length ? concatFloat32([pending, x]) : x;
    const out: Uint8Array[] = [];
    let at = 0;
    for (; at + frame <= all.length; at += frame) out.push(encodeFrame(float32ToInt16(all.subarray(at, at + frame))).slice());
    pending = all.slice(at);
    if (flush && pending.length) {
      const last = new Float32Array(frame);
      last.set(pending);
      out.push(encodeFrame(float32ToInt16(last)).slice());
      pending = new Float32Array(0);
    }
    return out;
  };
  return { write: (x) => take(x, false), end: () => take(new Float32Array(0), true) };
}

async function rows(x: Float32Array, wavDir: string): Promise<{ rows: Row[]; missing: Missing[] }> {
  const seconds = x.length / RATE;
  const inFile = join(wavDir, 'speech.f32');
  writeFileSync(inFile, Buffer.from(x.buffer, x.byteOffset, x.byteLength));
  const list: Row[] = [];
  const missing: Missing[] = [];
  const want = (g: string) => only.size === 0 || only.has(g);
  const cli = (group: string, name: string, args: readonly string[], baseline = false, note?: string) => {
    if (ffmpegPresent) list.push(ffmpegRow(group, name, () => ffmpegCli(inFile, RATE, args), baseline, note));
  };
  const pipe = (group: string, args: readonly string[], note: string) => {
    if (ffmpegPresent) list.push(ffmpegRow(group, 'ffmpeg child process, f32le piped in (per stream)', () => ffmpegPipe(x, args), false, note));
  };
  const enc = (group: string, name: string, make: () => Promise<AudioEncoder>, resample?: () => Promise<Resampler> | Resampler, lossless?: 'lossless') => {
    list.push({
      group,
      name,
      check: { seconds, lossless: lossless !== undefined },
      async run() {
        // Encoder and resampler set-up is part of a stream's cost, so it is inside the timing.
        return timed(async () => {
          const e = await make();
          return resample ? runResampledEncoder(await resample(), e, x) : runEncoder(e, x);
        });
      },
    });
  };

  // ---- ffmpeg start-up alone: a stream that encodes nothing.
  if (want('startup') && ffmpegPresent) {
    list.push(ffmpegRow('startup', 'ffmpeg child process, empty stream (libmp3lame)', () => ffmpegPipe(null, ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'])));
    list.push(ffmpegRow('startup', 'ffmpeg CLI, f32le copied through (read + write only)', () => ffmpegCli(inFile, RATE, ['-c:a', 'pcm_f32le', '-f', 'f32le'])));
  }

  // ---- MP3, 64 kbps CBR mono at the engine's 22.05 kHz
  if (want('mp3')) {
    const g = 'mp3';
    cli(g, 'ffmpeg CLI libmp3lame', ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'], true);
    enc(g, 'src/audio/mp3.ts (current: LAME WASM, compiled once)', () => createEncoder('mp3', { sampleRate: RATE, streaming: true }));
    enc(g, 'lamejs (before issue 13; the fallback)', () => createMp3Encoder({ sampleRate: RATE, streaming: true }, { wasmFile: null }));
    const wme = await load<WmeModule>('wasm-media-encoders');
    if (wme) {
      list.push({
        group: g,
        name: 'wasm-media-encoders (LAME 3.100 in WASM)',
        check: { seconds },
        run: () =>
          timed(async () => {
            const e = await wme.createMp3Encoder();
            e.configure({ channels: 1, sampleRate: RATE, bitrate: 64 });
            return runPush({ write: (c) => [e.encode([c]).slice()], end: () => [e.finalize().slice()] }, x);
          }),
      });
    } else missing.push({ group: g, name: 'wasm-media-encoders', why: 'not installed' });
    // The extension registers itself with the mediabunny beside it, so load that one.
    const mbBase = find('@mediabunny/mp3-encoder');
    // (Both as ES modules: a CommonJS copy would be a second mediabunny that never heard of it.)
    const mb = mbBase ? await load<MediabunnyModule>('mediabunny', 'dist/modules/src/index.js', mbBase) : null;
    const mbMp3 = mbBase ? await load<{ registerMp3Encoder(): void }>('@mediabunny/mp3-encoder', 'dist/bundles/mediabunny-mp3-encoder.mjs', mbBase) : null;
    if (mb && mbMp3) {
      mbMp3.registerMp3Encoder();
      list.push({
        group: g,
        name: '@mediabunny/mp3-encoder (LAME in WASM, worker thread)',
        check: { seconds },
        run: () =>
          timed(async () => {
            const target = new mb.BufferTarget();
            const out = new mb.Output({ format: new mb.Mp3OutputFormat(), target });
            const src = new mb.AudioSampleSource({ codec: 'mp3', bitrate: 64000 });
            out.addAudioTrack(src);
            await out.start();
            let t = 0;
            for (const c of chunks(x)) {
              const s = new mb.AudioSample({ data: c.slice(), format: 'f32', numberOfChannels: 1, sampleRate: RATE, timestamp: t / RATE });
              t += c.length;
              await src.add(s);
              s.close();
            }
            await out.finalize();
            return { bytes: Buffer.from(target.buffer ?? new ArrayBuffer(0)) };
          }),
      });
    } else missing.push({ group: g, name: '@mediabunny/mp3-encoder', why: 'not installed' });
    const flat = await load<FlatLameModule>('@flat/lame');
    if (flat) {
      list.push({
        group: g,
        name: '@flat/lame (native addon, LAME built from source)',
        check: { seconds },
        run: () =>
          timed(
            () =>
              new Promise<Output>((resolve, reject) => {
                const e = new flat.Encoder({ channels: 1, bitDepth: 16, sampleRate: RATE, bitRate: 64, outSampleRate: RATE, mode: flat.MONO });
                const parts: Buffer[] = [];
                e.on('data', (b) => parts.push(b));
                e.on('end', () => resolve({ bytes: Buffer.concat(parts) }));
                e.on('error', (err) => reject(err ?? new Error('lame failed')));
                for (const c of chunks(x)) {
                  const pcm = float32ToInt16(c);
                  e.write(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
                }
                e.end();
              }),
          ),
      });
    } else missing.push({ group: g, name: '@flat/lame', why: 'not installed (native addon: needs a compiler at install)' });
    pipe(g, ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'], 'start-up included');
  }

  // ---- MP3 at 24 kHz: what a request with sample_rate 24000 costs (resample, then encode)
  if (want('mp3@24k')) {
    const g = 'mp3@24k';
    cli(g, 'ffmpeg CLI -ar 24000 libmp3lame', ['-ar', '24000', '-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'], true);
    const lamejsAt24 = () => createMp3Encoder({ sampleRate: 24000, streaming: true }, { wasmFile: null });
    enc(g, 'polyphase + src/audio/mp3.ts (current)', () => createEncoder('mp3', { sampleRate: 24000, streaming: true }), () => createPolyphaseResampler(RATE, 24000));
    enc(g, 'libsamplerate medium + lamejs (before issue 13)', lamejsAt24, () => createLibsamplerate(RATE, 24000));
    enc(g, 'polyphase + lamejs (the fallback)', lamejsAt24, () => createPolyphaseResampler(RATE, 24000));
    const wme = await load<WmeModule>('wasm-media-encoders');
    if (wme) {
      list.push({
        group: g,
        name: 'polyphase + wasm-media-encoders',
        check: { seconds },
        run: () =>
          timed(async () => {
            const e = await wme.createMp3Encoder();
            e.configure({ channels: 1, sampleRate: 24000, bitrate: 64 });
            return runPush({ write: (c) => [e.encode([c]).slice()], end: () => [e.finalize().slice()] }, x, createPolyphaseResampler(RATE, 24000));
          }),
      });
    }
  }

  // ---- Opus, 32 kbps mono, Ogg
  if (want('opus')) {
    const g = 'opus';
    cli(g, 'ffmpeg CLI libopus (resampled to 48 kHz)', ['-ar', '48000', '-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg'], true);
    cli(g, 'ffmpeg CLI libopus at 24 kHz', ['-ar', '24000', '-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg']);
    enc(g, 'src/audio/ogg-opus.ts (current: polyphase -> 24 kHz + opusscript)', () => createEncoder('opus', { sampleRate: RATE, streaming: true }));
    enc(g, 'libsamplerate -> 48 kHz + opusscript (before issue 13)', () => createEncoder('opus', { sampleRate: 48000, streaming: true }), () => createLibsamplerate(RATE, 48000));
    enc(g, 'polyphase -> 48 kHz + opusscript', () => createEncoder('opus', { sampleRate: 48000, streaming: true }), () => createPolyphaseResampler(RATE, 48000));
    enc(g, 'polyphase -> 24 kHz + opusscript at 24 kHz', () => createEncoder('opus', { sampleRate: 24000, streaming: true }), () => createPolyphaseResampler(RATE, 24000));
    // The raw bindings (the package's lib.js picks one of them once per process).
    const evan = await load<EvanOpusModule>('@evan/opus', 'node/index.js').catch(() => null);
    const evanWasm = await load<EvanOpusModule>('@evan/opus', 'wasm/index.js');
    for (const [label, mod] of [
      ['native', evan],
      ['wasm', evanWasm],
    ] as const) {
      if (!mod) {
        missing.push({ group: g, name: `@evan/opus (${label})`, why: 'not installed' });
        continue;
      }
      for (const [rate, complexity] of [
        [48000, 10],
        [24000, 10],
        [24000, 5],
      ] as const) {
        list.push({
          group: g,
          name: `polyphase -> ${rate / 1000} kHz + @evan/opus ${label}, complexity ${complexity} (packets, no Ogg)`,
          run: () =>
            timed(() => {
              const e = new mod.Encoder({ channels: 1, sample_rate: rate, application: 'audio' });
              e.ctl(OPUS_SET_BITRATE, 32000);
              e.ctl(OPUS_SET_COMPLEXITY, complexity);
              e.ctl(OPUS_SET_SIGNAL, OPUS_SIGNAL_VOICE);
              return runPush(
                framedOpus(rate, (pcm) => e.encode(pcm)),
                x,
                createPolyphaseResampler(RATE, rate),
              );
            }),
        });
      }
    }
    const discord = await load<DiscordOpusModule>('@discordjs/opus');
    if (discord) {
      list.push({
        group: g,
        name: 'polyphase -> 48 kHz + @discordjs/opus (native, built from source; packets, no Ogg)',
        run: () =>
          timed(() => {
            const e = new discord.OpusEncoder(48000, 1);
            e.setBitrate(32000);
            return runPush(
              framedOpus(48000, (pcm) => e.encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength))),
              x,
              createPolyphaseResampler(RATE, 48000),
            );
          }),
      });
    } else missing.push({ group: g, name: '@discordjs/opus', why: 'not installed (native addon; its install tries a GitHub download first, then builds)' });
    pipe(g, ['-ar', '48000', '-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg'], 'start-up included');
  }

  // ---- FLAC, 16-bit, compression level 5
  if (want('flac')) {
    const g = 'flac';
    cli(g, 'ffmpeg CLI flac (s16, level 5)', ['-sample_fmt', 's16', '-c:a', 'flac', '-f', 'flac'], true);
    enc(g, 'libflac.js WASM build (current: src/audio/flac.ts)', () => createEncoder('flac', { sampleRate: RATE, streaming: true }), undefined, 'lossless');
    enc(g, 'libflac.js asm.js build (before issue 13; the fallback)', () => createFlacEncoder({ sampleRate: RATE, streaming: true }, { wasmDir: null }), undefined, 'lossless');
    list.push({
      group: g,
      name: 'hand-written fixed-predictor encoder (bench/flac-fixed.ts, no LPC)',
      check: { seconds, lossless: true },
      run: () => timed(() => runPush(new FixedFlacEncoder(RATE), x)),
    });
    pipe(g, ['-sample_fmt', 's16', '-c:a', 'flac', '-f', 'flac'], 'start-up included');
  }

  // ---- AAC-LC, 64 kbps, ADTS
  if (want('aac')) {
    const g = 'aac';
    cli(g, 'ffmpeg CLI aac (native encoder)', ['-c:a', 'aac', '-b:a', '64k', '-f', 'adts'], true);
    list.push({
      group: g,
      name: '@mediabunny/aac-encoder (current: ffmpeg aac in WASM, worker thread)',
      check: { seconds },
      run: () =>
        timed(async () => {
          const e = await createAacEncoder({ sampleRate: RATE });
          const parts: Buffer[] = [];
          for (const c of chunks(x)) parts.push(...(await e.write(c)));
          parts.push(...(await e.end()));
          return { bytes: Buffer.concat(parts) };
        }),
    });
    pipe(g, ['-c:a', 'aac', '-b:a', '64k', '-f', 'adts'], 'start-up included');
  }

  // ---- Resampling
  for (const to of [24000, 48000]) {
    const g = `resample ${RATE / 1000}->${to / 1000} kHz`;
    if (!want('resample')) break;
    const samples = Math.round((x.length * to) / RATE);
    cli(g, 'ffmpeg CLI swr (default)', ['-ar', String(to), '-f', 'f32le'], true);
    cli(g, 'ffmpeg CLI soxr', ['-af', 'aresample=resampler=soxr', '-ar', String(to), '-f', 'f32le']);
    const res = (name: string, make: () => Promise<Resampler> | Resampler, checked = true) =>
      list.push({ group: g, name, ...(checked ? { check: { samples } } : {}), run: () => timed(async () => ({ samples: runResampler(await make(), x).length })) });
    res('libsamplerate medium (before issue 13; a devDependency now)', () => createLibsamplerate(RATE, to, 'medium'));
    res('libsamplerate fastest', () => createLibsamplerate(RATE, to, 'fastest'));
    if (polyphaseSimdAvailable()) res('polyphase, SIMD loop (current: src/audio/resample.ts)', () => createPolyphaseResampler(RATE, to, { kernel: 'simd' }));
    res('polyphase, JavaScript loop (the fallback)', () => createPolyphaseResampler(RATE, to, { kernel: 'js' }));
    const speexFactory = await load<{ default: (o?: object) => Promise<SpeexModule> }>('@echogarden/speex-resampler-wasm', 'wasm/speex-resampler-simd.js');
    if (speexFactory) {
      const m = await speexFactory.default();
      for (const quality of [5, 10]) {
        res(`speex resampler WASM, quality ${quality} (length not trimmed)`, () => speexResampler(m, RATE, to, quality), false);
      }
    } else if (to === 24000) missing.push({ group: 'resample', name: '@echogarden/speex-resampler-wasm', why: 'not installed' });
  }
  return { rows: list, missing };
}

/** The speex resampler behind our Resampler contract (output length not trimmed: a bench only). */
function speexResampler(m: SpeexModule, from: number, to: number, quality: number): Resampler {
  const errPtr = m._malloc(4);
  const st = m._speex_resampler_init(1, from, to, quality, errPtr);
  m._free(errPtr);
  const cap = 65536;
  const inPtr = m._malloc(cap * 4);
  const outPtr = m._malloc(cap * 4 * 4);
  const lens = m._malloc(8);
  const convert = (x: Float32Array): Float32Array => {
    const parts: Float32Array[] = [];
    for (let at = 0; at < x.length; ) {
      const n = Math.min(cap, x.length - at);
      m.HEAPF32.set(x.subarray(at, at + n), inPtr >> 2);
      m.HEAPU32[lens >> 2] = n;
      m.HEAPU32[(lens >> 2) + 1] = cap * 4;
      m._speex_resampler_process_float(st, 0, inPtr, lens, outPtr, lens + 4);
      const used = m.HEAPU32[lens >> 2] as number;
      const made = m.HEAPU32[(lens >> 2) + 1] as number;
      parts.push(m.HEAPF32.slice(outPtr >> 2, (outPtr >> 2) + made));
      at += used;
    }
    return concatFloat32(parts);
  };
  return {
    from,
    to,
    process: convert,
    flush: () => convert(new Float32Array(m._speex_resampler_get_input_latency(st))),
    destroy: () => {
      m._speex_resampler_destroy(st);
      m._free(inPtr);
      m._free(outPtr);
      m._free(lens);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Checks (first round only): the output is what it claims to be.

/** Decodes with ffmpeg: the length in seconds, and whether it is bit-exact to `x` as 16-bit. */
function decodeCheck(bytes: Buffer, dir: string, i: number, x: Float32Array): { seconds: number; exact: boolean } {
  const file = join(dir, `check-${i}.bin`);
  writeFileSync(file, bytes);
  const r = spawnSync(FFMPEG, ['-v', 'error', '-i', file, '-ac', '1', '-f', 's16le', 'pipe:1'], { maxBuffer: 1 << 30 });
  if (r.status !== 0) return { seconds: NaN, exact: false };
  const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=sample_rate', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  const rate = Number(probe.stdout.trim().split('\n')[0]);
  const got = new Int16Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength >> 1);
  const want = float32ToInt16(x);
  let exact = got.length === want.length;
  for (let k = 0; exact && k < want.length; k++) exact = got[k] === want[k];
  return { seconds: got.length / rate, exact };
}

// ---------------------------------------------------------------------------------------------

const median = (xs: readonly number[]) => {
  const s = [...xs].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[Math.floor((s.length - 1) / 2)] as number);
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cosyfleet-bench-codecs-'));
  try {
    const x = await espeakSpeech(targetSeconds);
    const seconds = x.length / RATE;
    const { rows: list, missing } = await rows(x, dir);
    const times = list.map(() => [] as number[]);
    const cpu = list.map(() => [] as number[]);
    const bytes = list.map(() => NaN);
    const problems: string[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const [i, row] of list.entries()) {
        const { ms, cpuMs, output } = await row.run();
        (times[i] as number[]).push(ms);
        if (cpuMs !== undefined) (cpu[i] as number[]).push(cpuMs);
        if (r === 0) {
          if ('samples' in output && row.check?.samples !== undefined && Math.abs(output.samples - row.check.samples) > 2) {
            problems.push(`${row.group} / ${row.name}: ${output.samples} samples, expected ${row.check.samples}`);
          }
          if ('bytes' in output) {
            bytes[i] = output.bytes.length;
            if (row.check?.seconds !== undefined && ffmpegPresent) {
              const c = decodeCheck(output.bytes, dir, i, x);
              // Lossy codecs add their encoder delay/padding (AAC: 1024 samples, MP3: ~1100).
              if (!(Math.abs(c.seconds - row.check.seconds) < 0.2)) problems.push(`${row.group} / ${row.name}: decodes to ${c.seconds} s, expected ${row.check.seconds.toFixed(2)}`);
              if (row.check.lossless && !c.exact) problems.push(`${row.group} / ${row.name}: does not decode to the 16-bit input bit for bit`);
            }
          }
        }
        if (!values.json) process.stderr.write('.');
      }
    }
    if (!values.json) process.stderr.write('\n');

    const baseline = new Map<string, number>();
    for (const [i, row] of list.entries()) if (row.baseline) baseline.set(row.group, median(times[i] as number[]));
    const startup = list.findIndex((r) => r.group === 'startup' && r.name.startsWith('ffmpeg CLI'));
    const startupMs = startup >= 0 ? median(times[startup] as number[]) : NaN;
    const out = list.map((row, i) => {
      const ms = median(times[i] as number[]);
      const base = baseline.get(row.group);
      return {
        group: row.group,
        name: row.name,
        baseline: row.baseline === true,
        msPerAudioSecond: ms / seconds,
        ms,
        ffmpegCpuMs: cpu[i]?.length ? median(cpu[i] as number[]) : undefined,
        vsFfmpegCli: base ? ms / base : undefined,
        // ffmpeg's time less its start-up and file I/O (a copy-through run of the same input).
        vsFfmpegNet: base && Number.isFinite(startupMs) && base > startupMs ? ms / (base - startupMs) : undefined,
        realtime: seconds / (ms / 1000),
        bytes: Number.isFinite(bytes[i]) ? bytes[i] : undefined,
        sizeVsFfmpeg: undefined as number | undefined,
      };
    });
    for (const r of out) {
      const base = out.find((b) => b.baseline && b.group === r.group);
      if (base?.bytes && r.bytes && !r.group.startsWith('resample')) r.sizeVsFfmpeg = r.bytes / base.bytes;
    }
    const result = {
      audioSeconds: seconds,
      sampleRate: RATE,
      rounds,
      chunk,
      simd: polyphaseSimdAvailable(),
      ffmpeg: ffmpegPresent ? spawnSync(FFMPEG, ['-version'], { encoding: 'utf8' }).stdout.split('\n')[0] : null,
      rows: out,
      missing,
      problems,
    };
    if (values.json) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    console.log(`Encode/resample cost per audio second: ${seconds.toFixed(1)} s of espeak speech at ${RATE} Hz, ${chunk}-sample writes, median of ${rounds} rounds`);
    console.log(`${result.ffmpeg ?? 'ffmpeg: not found'}; polyphase SIMD: ${result.simd ? 'yes' : 'no'}; ffmpeg start-up + I/O (copy-through run): ${startupMs.toFixed(0)} ms\n`);
    console.log('| group | candidate | ms / audio s | × realtime | vs ffmpeg CLI | vs ffmpeg net of start-up | ffmpeg CPU ms | size vs ffmpeg |');
    console.log('|---|---|---|---|---|---|---|---|');
    const f = (v: number | undefined, d = 2) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
    const times2 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(2)}×`);
    for (const r of out) {
      console.log(`| ${r.group} | ${r.baseline ? '**' + r.name + '**' : r.name} | ${f(r.msPerAudioSecond)} | ${f(r.realtime, 0)} | ${r.baseline ? '1' : times2(r.vsFfmpegCli)} | ${r.baseline ? '—' : times2(r.vsFfmpegNet)} | ${f(r.ffmpegCpuMs, 0)} | ${f(r.sizeVsFfmpeg)} |`);
    }
    if (missing.length) console.log(`\nNot measured: ${missing.map((m) => `${m.name} (${m.why})`).join('; ')}`);
    if (problems.length) console.log(`\nOutput problems:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
