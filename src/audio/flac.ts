// FLAC encoder: libFLAC 1.3 via libflacjs, 16-bit mono.
//
// We load the default asm.js build (dist/libflac.js): its WASM builds fetch() their .wasm
// file when a global fetch exists, which Node 20 has, and fail on the file path. The asm.js
// build needs no extra file, becomes ready a few ms after load and encodes ~200x real time
// for 24 kHz mono, ample for a server.
import Flac, { type StreamMetadata } from 'libflacjs/dist/libflac.js';
import type { AudioEncoder, EncoderOptions } from './types.js';
import { assertSampleRate, quantizeInt16Into } from './s16le.js';

type FlacLib = typeof Flac;
/** The subset of libFLAC's final STREAMINFO that a callback-written header lacks. */
type StreamInfo = Pick<StreamMetadata, 'min_framesize' | 'max_framesize' | 'total_samples' | 'md5sum'>;

/** libFLAC's default: a good size/speed balance. */
const COMPRESSION_LEVEL = 5;

let ready: Promise<FlacLib> | null = null;

function loadFlac(): Promise<FlacLib> {
  ready ??= new Promise<FlacLib>((resolve) => {
    if (Flac.isReady()) resolve(Flac);
    else Flac.on('ready', () => resolve(Flac));
  });
  return ready;
}

/**
 * What libFLAC's callbacks write to; kept apart from the encoder so the library's callback
 * registry does not keep the encoder object alive (which would defeat the leak finalizer).
 */
interface Sink {
  chunks: Buffer[];
  info: StreamInfo | null;
}

const leaks = new FinalizationRegistry<number>((id) => Flac.FLAC__stream_encoder_delete(id));

class FlacEncoder implements AudioEncoder {
  readonly format = 'flac' as const;
  readonly contentType = 'audio/flac';
  readonly outputSampleRate: number;
  private id: number;
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
    this.sink = sink;
    leaks.register(this, id, this);
  }

  write(samples: Float32Array): Buffer[] {
    if (!this.id) throw new Error('flac encoder: write() after end()');
    if (samples.length > 0) {
      if (this.pcm.length < samples.length) this.pcm = new Int32Array(samples.length);
      quantizeInt16Into(samples, this.pcm);
      if (!Flac.FLAC__stream_encoder_process_interleaved(this.id, this.pcm.subarray(0, samples.length), samples.length)) {
        const state = Flac.FLAC__stream_encoder_get_state(this.id);
        this.close();
        throw new Error(`flac: encoding failed (encoder state ${state})`);
      }
    }
    return this.streaming ? this.drain() : [];
  }

  end(): Buffer[] {
    if (!this.id) return [];
    const ok = Flac.FLAC__stream_encoder_finish(this.id);
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
    Flac.FLAC__stream_encoder_delete(this.id);
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

export async function createFlacEncoder(opts: EncoderOptions): Promise<AudioEncoder> {
  assertSampleRate(opts.sampleRate);
  return new FlacEncoder(await loadFlac(), opts);
}
