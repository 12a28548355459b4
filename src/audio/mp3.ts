// MP3 encoder: mono, 64 kbit/s constant bitrate. The reference LAME 3.100 compiled to WASM
// (wasm-media-encoders), 4x faster than the pure-JS port it replaced and within issue 13's
// 1.5x of the ffmpeg CLI (docs/audio-codecs.md). That port, lamejs, stays as the fallback for
// a runtime where the WASM module cannot load: slower, never a failure, with one warning.
import { createRequire } from 'node:module';
import { Mp3Encoder as LameJs } from '@breezystack/lamejs';
import { createEncoder as createWasmEncoder, type WasmMediaEncoder } from 'wasm-media-encoders';
import type { AudioEncoder, EncoderOptions } from './types.js';
import { float32ToInt16 } from './pcm.js';
import { compileWasmFile, reason, warnFallback, type WasmModule } from './codec-fallback.js';

/** The sample rates MPEG-1/2/2.5 Layer III can carry; anything else must be resampled first. */
export const MP3_SAMPLE_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000] as const;
/** 64 kbps is a valid bitrate in all three MPEG versions, so it works at every rate above. */
export const MP3_BITRATE_KBPS = 64;

type Mp3Rate = (typeof MP3_SAMPLE_RATES)[number];
type LameWasm = WasmMediaEncoder<'audio/mpeg'>;

/** The LAME WASM build that ships with wasm-media-encoders (its JS checks the versions match). */
export const LAME_WASM_FILE = createRequire(import.meta.url).resolve('wasm-media-encoders/wasm/mp3');

export interface Mp3Options {
  /**
   * LAME's WASM file (default LAME_WASM_FILE); null uses lamejs without a warning (the bench's
   * baseline). A file that cannot be loaded falls back to lamejs with a warning.
   */
  wasmFile?: string | null;
}

/**
 * Samples handed to LAME per call: its input and output buffers in WASM memory grow to the
 * largest call, so a whole non-streaming response in one write must not become one call.
 */
const WASM_SLICE = 32768;
/**
 * Idle LAME instances kept per thread for the next streams (each holds 16 MiB of WASM memory;
 * making one costs more than re-configuring one).
 */
const IDLE_INSTANCES = 4;

/** Compiled once per thread (and per file: tests load a broken one on purpose). */
const modules = new Map<string, Promise<WasmModule | null>>();
const idle = new Map<string, LameWasm[]>();

function lameModule(file: string): Promise<WasmModule | null> {
  let m = modules.get(file);
  if (!m) {
    m = compileWasmFile(file).catch((err: unknown) => {
      warnFallback('mp3-wasm', `audio: LAME's WASM build could not be loaded (${reason(err)}); MP3 is encoded by lamejs, about 4x slower`);
      return null;
    });
    modules.set(file, m);
  }
  return m;
}

/** An instance of the compiled module for one stream: an idle one, or a new one. */
async function takeInstance(file: string): Promise<LameWasm | null> {
  const spare = idle.get(file)?.pop();
  if (spare) return spare;
  const module = await lameModule(file);
  if (!module) return null;
  try {
    return await createWasmEncoder('audio/mpeg', module as Parameters<typeof createWasmEncoder>[1]);
  } catch (err) {
    warnFallback('mp3-wasm', `audio: LAME's WASM build could not be instantiated (${reason(err)}); MP3 is encoded by lamejs, about 4x slower`);
    return null;
  }
}

function giveBack(file: string, lame: LameWasm): void {
  let list = idle.get(file);
  if (!list) idle.set(file, (list = []));
  if (list.length < IDLE_INSTANCES) list.push(lame);
}

function checkRate(rate: number): asserts rate is Mp3Rate {
  if (!(MP3_SAMPLE_RATES as readonly number[]).includes(rate)) {
    throw new RangeError(`mp3 cannot carry ${rate} Hz; resample to one of ${MP3_SAMPLE_RATES.join(', ')} first`);
  }
}

// Both encoders: frames are self-contained, so streaming and non-streaming output are identical:
// LAME returns whole frames as soon as it has them (no VBR/Xing header to patch: we are CBR).

class WasmMp3Encoder implements AudioEncoder {
  readonly format = 'mp3' as const;
  readonly contentType = 'audio/mpeg';
  readonly outputSampleRate: number;
  private lame: LameWasm | null;

  constructor(
    lame: LameWasm,
    rate: Mp3Rate,
    private readonly file: string,
  ) {
    this.outputSampleRate = rate;
    // outputSampleRate too: left unset, LAME picks its own (lower) rate for 64 kbit/s.
    lame.configure({ channels: 1, sampleRate: rate, bitrate: MP3_BITRATE_KBPS, outputSampleRate: rate });
    this.lame = lame;
  }

  write(samples: Float32Array): Buffer[] {
    const lame = this.lame;
    if (!lame) throw new Error('mp3 encoder: write() after end()');
    const out: Buffer[] = [];
    for (let at = 0; at < samples.length; at += WASM_SLICE) {
      // encode() returns a view into the WASM memory that the next call overwrites: copy it.
      const frames = this.call(() => lame.encode([samples.subarray(at, at + WASM_SLICE)]));
      if (frames.length > 0) out.push(Buffer.from(frames));
    }
    return out;
  }

  end(): Buffer[] {
    const lame = this.lame;
    if (!lame) return [];
    const tail = Buffer.from(this.call(() => lame.finalize()));
    this.release();
    return tail.length > 0 ? [tail] : [];
  }

  close(): void {
    this.release();
  }

  /** Runs a LAME call; an instance that failed is dropped, never reused. */
  private call(fn: () => Uint8Array): Uint8Array {
    try {
      return fn();
    } catch (err) {
      this.lame = null;
      throw err;
    }
  }

  private release(): void {
    // The next configure() frees this stream's LAME state; the instance's memory is reused.
    if (this.lame) giveBack(this.file, this.lame);
    this.lame = null;
  }
}

class LameJsMp3Encoder implements AudioEncoder {
  readonly format = 'mp3' as const;
  readonly contentType = 'audio/mpeg';
  readonly outputSampleRate: number;
  private lame: LameJs | null;

  constructor(rate: Mp3Rate) {
    this.outputSampleRate = rate;
    this.lame = new LameJs(1, rate, MP3_BITRATE_KBPS);
  }

  write(samples: Float32Array): Buffer[] {
    if (!this.lame) throw new Error('mp3 encoder: write() after end()');
    if (samples.length === 0) return [];
    const frames = this.lame.encodeBuffer(float32ToInt16(samples));
    return frames.length > 0 ? [asBuffer(frames)] : [];
  }

  end(): Buffer[] {
    if (!this.lame) return [];
    const tail = this.lame.flush();
    this.lame = null;
    return tail.length > 0 ? [asBuffer(tail)] : [];
  }

  close(): void {
    this.lame = null;
  }
}

/** lamejs hands back Int8Array copies; view their bytes without another copy. */
function asBuffer(bytes: Int8Array | Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * An MP3 encoder for mono input at `opts.sampleRate` (one of MP3_SAMPLE_RATES, else a
 * RangeError). LAME in WASM; lamejs when that cannot load (see Mp3Options).
 */
export async function createMp3Encoder(opts: EncoderOptions, mp3: Mp3Options = {}): Promise<AudioEncoder> {
  const rate = opts.sampleRate;
  checkRate(rate);
  const file = mp3.wasmFile === undefined ? LAME_WASM_FILE : mp3.wasmFile;
  const lame = file === null ? null : await takeInstance(file);
  if (!lame || file === null) return new LameJsMp3Encoder(rate);
  try {
    return new WasmMp3Encoder(lame, rate, file);
  } catch (err) {
    // configure() failed: this instance is suspect; this stream gets lamejs.
    warnFallback('mp3-wasm', `audio: LAME's WASM build could not be configured (${reason(err)}); MP3 is encoded by lamejs, about 4x slower`);
    return new LameJsMp3Encoder(rate);
  }
}
