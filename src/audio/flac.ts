// FLAC encoder: libFLAC 1.3 via libflacjs, 16-bit mono.
//
// libflacjs ships libFLAC as WASM and as asm.js; the WASM build encodes about twice as fast
// (0.55x the ffmpeg CLI's time against 0.97x, docs/audio-codecs.md). Its Emscripten loader,
// though, fetch()es the .wasm by a plain file path whenever a global fetch exists, which Node 20
// has, and that fails. So we evaluate the loader as CommonJS with `fetch` shadowed (undefined):
// it then reads the .wasm next to it from disk, as it does on a Node without fetch. The .wasm is
// compiled once first, because a file the loader cannot instantiate makes it abort inside a
// promise nobody awaits. Whatever goes wrong, the asm.js build (the one this module used before)
// takes over, with a warning.
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { compileFunction } from 'node:vm';
import type * as LibFlac from 'libflacjs/dist/libflac.js';
import type { AudioEncoder, EncoderOptions } from './types.js';
import { assertSampleRate, quantizeInt16Into } from './s16le.js';
import { compileWasmFile, reason, warnFallback } from './codec-fallback.js';

type FlacLib = typeof LibFlac;
/** The subset of libFLAC's final STREAMINFO that a callback-written header lacks. */
type StreamInfo = Pick<LibFlac.StreamMetadata, 'min_framesize' | 'max_framesize' | 'total_samples' | 'md5sum'>;

/** libFLAC's default: a good size/speed balance. */
const COMPRESSION_LEVEL = 5;

const require = createRequire(import.meta.url);
/** The folder with libflacjs' WASM build: its loader (libflac.wasm.js) and libflac.wasm.wasm. */
export const LIBFLAC_WASM_DIR = dirname(require.resolve('libflacjs/dist/libflac.wasm.js'));

export interface FlacOptions {
  /**
   * The folder of the WASM build (default LIBFLAC_WASM_DIR); null uses the asm.js build without
   * a warning (the bench's baseline). A build that cannot load falls back to asm.js with a warning.
   */
  wasmDir?: string | null;
}

export interface FlacBuild {
  lib: FlacLib;
  kind: 'wasm' | 'asmjs';
}

function whenReady(lib: FlacLib): Promise<FlacLib> {
  return new Promise<FlacLib>((resolve) => {
    if (lib.isReady()) resolve(lib);
    else lib.on('ready', () => resolve(lib));
  });
}

let asmjs: Promise<FlacLib> | null = null;

function loadAsmJs(): Promise<FlacLib> {
  asmjs ??= whenReady(require('libflacjs/dist/libflac.js') as FlacLib);
  return asmjs;
}

async function loadWasm(dir: string): Promise<FlacLib> {
  await compileWasmFile(join(dir, 'libflac.wasm.wasm'));
  const file = join(dir, 'libflac.wasm.js');
  const source = await readFile(file, 'utf8');
  // Node's CommonJS wrapper, plus `fetch` as a parameter that stays undefined.
  const run = compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname', 'fetch'], { filename: file });
  const module = { exports: {} as unknown, require: createRequire(file) };
  run.call(module.exports, module.exports, module.require, module, file, dir, undefined);
  return whenReady(module.exports as FlacLib);
}

const builds = new Map<string | null, Promise<FlacBuild>>();

/** The libFLAC build encoders use in this thread (loaded once per folder). */
export function flacBuild(options: FlacOptions = {}): Promise<FlacBuild> {
  const dir = options.wasmDir === undefined ? LIBFLAC_WASM_DIR : options.wasmDir;
  let build = builds.get(dir);
  if (!build) {
    build =
      dir === null
        ? loadAsmJs().then((lib) => ({ lib, kind: 'asmjs' as const }))
        : loadWasm(dir).then(
            (lib) => ({ lib, kind: 'wasm' as const }),
            async (err: unknown) => {
              warnFallback('flac-wasm', `audio: libFLAC's WASM build could not be loaded (${reason(err)}); FLAC is encoded by its asm.js build, about 2x slower`);
              return { lib: await loadAsmJs(), kind: 'asmjs' as const };
            },
          );
    builds.set(dir, build);
  }
  return build;
}

/**
 * What libFLAC's callbacks write to; kept apart from the encoder so the library's callback
 * registry does not keep the encoder object alive (which would defeat the leak finalizer).
 */
interface Sink {
  chunks: Buffer[];
  info: StreamInfo | null;
}

const leaks = new FinalizationRegistry<{ lib: FlacLib; id: number }>(({ lib, id }) => lib.FLAC__stream_encoder_delete(id));

class FlacEncoder implements AudioEncoder {
  readonly format = 'flac' as const;
  readonly contentType = 'audio/flac';
  readonly outputSampleRate: number;
  private id: number;
  private readonly lib: FlacLib;
  private readonly sink: Sink;
  private readonly streaming: boolean;
  /** Reused input buffer: libFLAC takes one int32 per sample. */
  private pcm = new Int32Array(4096);

  constructor(lib: FlacLib, opts: EncoderOptions) {
    this.outputSampleRate = opts.sampleRate;
    this.streaming = opts.streaming;
    // total_samples 0 = unknown: STREAMINFO says so until (non-streaming) we patch it.
    const id = lib.create_libflac_encoder(opts.sampleRate, 1, 16, COMPRESSION_LEVEL, 0, false, 0);
    if (!id) throw new Error(`flac: could not create an encoder for ${opts.sampleRate} Hz`);
    const sink: Sink = { chunks: [], info: null };
    const status = lib.init_encoder_stream(
      id,
      (data) => {
        sink.chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      },
      (info) => {
        sink.info = info ?? null;
      },
    );
    if (status !== 0) {
      lib.FLAC__stream_encoder_delete(id);
      throw new Error(`flac: encoder init failed with status ${status}`);
    }
    this.id = id;
    this.lib = lib;
    this.sink = sink;
    leaks.register(this, { lib, id }, this);
  }

  write(samples: Float32Array): Buffer[] {
    if (!this.id) throw new Error('flac encoder: write() after end()');
    if (samples.length > 0) {
      if (this.pcm.length < samples.length) this.pcm = new Int32Array(samples.length);
      quantizeInt16Into(samples, this.pcm);
      if (!this.lib.FLAC__stream_encoder_process_interleaved(this.id, this.pcm.subarray(0, samples.length), samples.length)) {
        const state = this.lib.FLAC__stream_encoder_get_state(this.id);
        this.close();
        throw new Error(`flac: encoding failed (encoder state ${state})`);
      }
    }
    return this.streaming ? this.drain() : [];
  }

  end(): Buffer[] {
    if (!this.id) return [];
    const ok = this.lib.FLAC__stream_encoder_finish(this.id);
    this.close();
    if (!ok) throw new Error('flac: finishing the stream failed');
    if (this.streaming) return this.drain();
    const file = Buffer.concat(this.drain());
    if (this.sink.info) patchStreamInfo(file, this.sink.info);
    return [file];
  }

  close(): void {
    if (!this.id) return;
    leaks.unregister(this);
    this.lib.FLAC__stream_encoder_delete(this.id);
    this.id = 0;
  }

  private drain(): Buffer[] {
    const out = this.sink.chunks;
    this.sink.chunks = [];
    return out;
  }
}

/**
 * Writes the final STREAMINFO values into a complete FLAC file. libFLAC can only do this
 * itself with a seekable output; ours is a callback, so the header still says "unknown".
 */
export function patchStreamInfo(file: Buffer, info: StreamInfo): void {
  // "fLaC", then the first metadata block, which the format requires to be STREAMINFO (34 bytes).
  if (file.length < 42 || file.toString('ascii', 0, 4) !== 'fLaC' || ((file[4] as number) & 0x7f) !== 0) {
    throw new Error('flac: output does not start with a STREAMINFO block');
  }
  const si = 8;
  file.writeUIntBE(info.min_framesize, si + 4, 3);
  file.writeUIntBE(info.max_framesize, si + 7, 3);
  // Total samples: the low 4 bits of byte 13, then bytes 14..17 (36 bits after rate/channels/bps).
  const total = info.total_samples;
  const high = Math.floor(total / 0x1_0000_0000) & 0x0f;
  file[si + 13] = ((file[si + 13] as number) & 0xf0) | high;
  file.writeUInt32BE(total % 0x1_0000_0000, si + 14);
  if (/^[0-9a-f]{32}$/i.test(info.md5sum)) Buffer.from(info.md5sum, 'hex').copy(file, si + 18);
}

/** A FLAC encoder (16-bit mono) on the WASM build of libFLAC, or its asm.js build (FlacOptions). */
export async function createFlacEncoder(opts: EncoderOptions, flac: FlacOptions = {}): Promise<AudioEncoder> {
  assertSampleRate(opts.sampleRate);
  return new FlacEncoder((await flacBuild(flac)).lib, opts);
}
