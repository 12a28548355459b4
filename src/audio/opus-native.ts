// A typed, memory-safe wrapper around opusscript's WASM build of libopus.
//
// We bypass opusscript's JS class on purpose: it views its input buffer through HEAPU16 at
// the malloc'd *byte* address, so it writes each frame at twice that address, outside its own
// allocation (opusscript 0.1.1), corrupting whatever another encoder keeps there. Here each
// encoder owns correctly sized buffers. The heap is fixed at 16 MiB and running out aborts the
// whole instance, so encoders are spread over several instances with a budget per instance.
import opusNativeFactory, { type OpusNativeModule, type OpusScriptHandler } from 'opusscript/build/opusscript_native_wasm.js';
import { quantizeInt16Into } from './s16le.js';

export const OPUS_APPLICATION_VOIP = 2048;
export const OPUS_APPLICATION_AUDIO = 2049;
const OPUS_SET_BITRATE = 4002;
const OPUS_SET_SIGNAL = 4024;
const OPUS_SIGNAL_VOICE = 3001;
const OPUS_GET_LOOKAHEAD = 4027;
/** libopus' limit for one packet (opusscript's MAX_PACKET_SIZE). */
const MAX_PACKET_BYTES = 1276 * 3;
/**
 * An encoder + decoder pair takes ~85 KB of the 16 MiB heap; 64 per instance keeps well clear
 * of exhaustion, which would abort the instance for every encoder in it.
 */
const ENCODERS_PER_INSTANCE = 64;

interface Instance {
  module: OpusNativeModule;
  /** Settles when the module is usable; callers that reserved a slot wait on it. */
  ready: Promise<unknown>;
  live: number;
}

const instances: Instance[] = [];

async function acquireInstance(): Promise<Instance> {
  let inst = instances.find((i) => i.live < ENCODERS_PER_INSTANCE);
  if (!inst) {
    const module = opusNativeFactory();
    inst = { module, ready: module.ready, live: 0 };
    instances.push(inst);
  }
  // Reserve the slot before awaiting: otherwise every caller in a burst finds no room (the
  // new instance is not listed yet) and instantiates its own 16 MiB module.
  inst.live++;
  try {
    await inst.ready;
  } catch (err) {
    // A module that failed to start must not stay in the pool for later callers.
    const at = instances.indexOf(inst);
    if (at >= 0) instances.splice(at, 1);
    throw err;
  }
  return inst;
}

function releaseInstance(inst: Instance): void {
  inst.live--;
  // Keep one instance warm; extra ones made for a burst are dropped once idle.
  if (inst.live === 0 && instances.length > 1) {
    const at = instances.indexOf(inst);
    if (at >= 0) instances.splice(at, 1);
  }
}

interface NativeResources {
  inst: Instance;
  handler: OpusScriptHandler;
  inPtr: number;
  outPtr: number;
}

function freeNative(r: NativeResources): void {
  r.handler.delete();
  r.inst.module._free(r.inPtr);
  r.inst.module._free(r.outPtr);
  releaseInstance(r.inst);
}

// Safety net for encoders that are dropped without destroy() (an aborted request).
const leaks = new FinalizationRegistry<NativeResources>(freeNative);

export interface OpusFrameEncoderOptions {
  /** One of 8000, 12000, 16000, 24000, 48000. */
  sampleRate: number;
  bitrate: number;
  application?: number;
}

/** Mono libopus encoder taking 20 ms frames of float32 samples. */
export class OpusFrameEncoder {
  /** Samples per 20 ms frame at the encoder's rate. */
  readonly frameSize: number;
  /** Encoder delay in samples at the encoder's rate (what Ogg Opus calls pre-skip). */
  readonly lookahead: number;
  private native: NativeResources | null;
  private readonly pcm: Int16Array;

  private constructor(native: NativeResources, frameSize: number, lookahead: number) {
    this.native = native;
    this.frameSize = frameSize;
    this.lookahead = lookahead;
    this.pcm = new Int16Array(frameSize);
    leaks.register(this, native, this);
  }

  static async create(opts: OpusFrameEncoderOptions): Promise<OpusFrameEncoder> {
    const inst = await acquireInstance();
    const m = inst.module;
    const frameSize = opts.sampleRate / 50;
    let handler: OpusScriptHandler | null = null;
    // Input needs two uint16 elements per sample (see vendor.d.ts), i.e. 4 bytes per sample.
    const inPtr = m._malloc(frameSize * 4);
    const outPtr = m._malloc(MAX_PACKET_BYTES);
    const scratch = m._malloc(4);
    try {
      if (!inPtr || !outPtr || !scratch) throw new Error('opus: out of WASM memory');
      handler = new m.OpusScriptHandler(opts.sampleRate, 1, opts.application ?? OPUS_APPLICATION_AUDIO);
      check(handler._encoder_ctl(OPUS_SET_BITRATE, opts.bitrate), 'OPUS_SET_BITRATE');
      check(handler._encoder_ctl(OPUS_SET_SIGNAL, OPUS_SIGNAL_VOICE), 'OPUS_SET_SIGNAL');
      check(handler._encoder_ctl(OPUS_GET_LOOKAHEAD, scratch), 'OPUS_GET_LOOKAHEAD');
      const lookahead = m.HEAP32[scratch >> 2] as number;
      return new OpusFrameEncoder({ inst, handler, inPtr, outPtr }, frameSize, lookahead);
    } catch (err) {
      handler?.delete();
      if (inPtr) m._free(inPtr);
      if (outPtr) m._free(outPtr);
      releaseInstance(inst);
      throw err;
    } finally {
      if (scratch) m._free(scratch);
    }
  }

  /** Encodes exactly one frame (`frameSize` samples) into one Opus packet. */
  encode(frame: Float32Array): Buffer {
    const native = this.native;
    if (!native) throw new Error('opus encoder used after destroy()');
    if (frame.length !== this.frameSize) throw new RangeError(`opus frame must be ${this.frameSize} samples, got ${frame.length}`);
    quantizeInt16Into(frame, this.pcm);
    const m = native.inst.module;
    const heap16 = m.HEAPU16; // read each time: the views are replaced if the heap is ever rebuilt
    const base = native.inPtr >> 1;
    for (let i = 0; i < this.frameSize; i++) {
      const s = this.pcm[i] as number;
      heap16[base + 2 * i] = s & 0xff;
      heap16[base + 2 * i + 1] = (s >> 8) & 0xff;
    }
    const len = native.handler._encode(native.inPtr, this.frameSize, native.outPtr, this.frameSize);
    check(len, 'opus_encode');
    return Buffer.from(m.HEAPU8.subarray(native.outPtr, native.outPtr + len));
  }

  /** Frees the native encoder; idempotent. */
  destroy(): void {
    const native = this.native;
    if (!native) return;
    this.native = null;
    leaks.unregister(this);
    freeNative(native);
  }
}

function check(code: number, what: string): void {
  if (code < 0) throw new Error(`${what} failed: libopus error ${code}`);
}

/** Native instances in use and the encoders they hold (for diagnostics and tests). */
export function opusNativeStats(): { instances: number; encoders: number } {
  return { instances: instances.length, encoders: instances.reduce((n, i) => n + i.live, 0) };
}
