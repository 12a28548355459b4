// The worker protocol (docs/worker-protocol.md): length-prefixed frames over a worker process's
// stdin (supervisor -> worker) and stdout (worker -> supervisor). A frame is
//
//   u32 big-endian N | u8 kind | N-1 bytes of body
//
// kind 1 = a JSON message (UTF-8 object with a "type"), kind 2 = audio:
// u32 big-endian job id, then float32 little-endian mono samples. Audio travels as binary so a
// GPU worker streaming 24 kHz float32 does not pay for base64.
import { endianness } from 'node:os';
import type { VoiceGender } from '../engines/engine.js';

export const PROTOCOL_VERSION = 1;
const LITTLE_ENDIAN = endianness() === 'LE';
export const FRAME_JSON = 1;
export const FRAME_AUDIO = 2;
/** Larger frames are a protocol error (a worker writing garbage to stdout, say). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** A segment request as it crosses the wire: SynthesisRequest without functions. */
export interface WireRequest {
  text: string;
  mode: string;
  voice: string;
  language: string;
  speed: number;
  seed?: number;
  requestId?: string;
  instruction?: { key?: string; text: string };
  /** A cloned voice: metadata only; the samples arrive once per worker with prepare_voice. */
  prompt?: WireVoice;
}

export interface WireVoice {
  id: string;
  version: number;
  transcript: string;
  language: string;
  sampleRate: number;
  pitchHz?: number;
  gender?: VoiceGender;
}

export interface WorkerCapabilities {
  name: string;
  sampleRate: number;
  /** Segments this worker synthesizes at once. */
  concurrency: number;
  streaming: boolean;
  batching: { supported: boolean; maxBatch: number };
  /** Preset voices the worker's model knows (CosyVoice3: the speakers in spk2info.pt). */
  voices?: string[];
}

/** GPU memory of the worker's process after a segment (torch.cuda counters), in bytes. */
export interface WireGpuMemory {
  allocatedBytes: number;
  reservedBytes: number;
  /** Most allocated at once during the segment (per device: concurrent segments share it). */
  peakBytes: number;
}

export type SupervisorMessage =
  | { type: 'synth'; id: number; request: WireRequest }
  | { type: 'synth_batch'; items: { id: number; request: WireRequest }[] }
  | { type: 'cancel'; id: number }
  | { type: 'prepare_voice'; id: number; voice: WireVoice }
  | { type: 'heartbeat'; seq: number }
  | { type: 'shutdown'; graceMs: number };

export type WorkerMessage =
  | { type: 'hello'; protocol: number; pid: number; engine: string; device?: { cudaVisibleDevices: string | null; fp16: boolean } }
  | { type: 'ready'; capabilities: WorkerCapabilities }
  | { type: 'done'; id: number; ms: number; samples: number; gpu?: WireGpuMemory }
  /** `retryable`: the segment may succeed if run again (CUDA out of memory, NaN or silent output). */
  | { type: 'error'; id: number; code: string; message: string; retryable?: boolean }
  /** The worker asks to be replaced; `stopFirst`: stop it before starting the replacement (its GPU has no room for two). */
  | { type: 'recycle'; reason: string; stopFirst?: boolean }
  /** Something an operator must know about the worker (e.g. `fp16_unsafe`); shown by the admin API. */
  | { type: 'warning'; code: string; message: string }
  | { type: 'voice_prepared'; id: number }
  /** `sessions`: entries the model keeps per running call (CosyVoice3: its per-session dicts); 0 when idle, growth is a leak. */
  | { type: 'stats'; seq: number; rssBytes: number; gpuMemoryBytes: number | null; active: number; jobsDone: number; sessions?: number | null }
  /** The segment is making progress without audio yet (CosyVoice3: speech tokens of its LLM). */
  | { type: 'progress'; id: number; tokens?: number }
  | { type: 'fatal'; message: string };

export type Frame = { kind: 'json'; message: Record<string, unknown> & { type: string } } | { kind: 'audio'; id: number; samples: Float32Array };

export function encodeJson(message: SupervisorMessage | WorkerMessage): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const frame = Buffer.allocUnsafe(5 + body.length);
  frame.writeUInt32BE(body.length + 1, 0);
  frame.writeUInt8(FRAME_JSON, 4);
  body.copy(frame, 5);
  return frame;
}

export function encodeAudio(id: number, samples: Float32Array): Buffer {
  const frame = Buffer.allocUnsafe(9 + samples.length * 4);
  frame.writeUInt32BE(5 + samples.length * 4, 0);
  frame.writeUInt8(FRAME_AUDIO, 4);
  frame.writeUInt32BE(id, 5);
  if (LITTLE_ENDIAN) Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).copy(frame, 9);
  else for (let i = 0; i < samples.length; i++) frame.writeFloatLE(samples[i] as number, 9 + i * 4);
  return frame;
}

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/**
 * Reassembles frames from stream data however it is split. Pieces are kept as they arrive and
 * joined once per complete frame, so a large audio frame spread over many pipe reads (a whole
 * non-streamed segment) is copied once, not once per read.
 */
export class FrameDecoder {
  private pieces: Buffer[] = [];
  private buffered = 0;

  push(data: Buffer): Frame[] {
    if (data.length > 0) {
      this.pieces.push(data);
      this.buffered += data.length;
    }
    const frames: Frame[] = [];
    while (this.buffered >= 4) {
      const length = this.peek(4).readUInt32BE(0);
      if (length < 1 || length > MAX_FRAME_BYTES) throw new ProtocolError(`bad frame length ${length}`);
      if (this.buffered - 4 < length) break;
      const frame = this.take(4 + length);
      frames.push(decodeBody(frame.readUInt8(4), frame.subarray(5)));
    }
    return frames;
  }

  /** The first n buffered bytes, without consuming them. */
  private peek(n: number): Buffer {
    const first = this.pieces[0] as Buffer;
    if (first.length >= n) return first;
    // Join just the leading pieces that hold the n bytes.
    let count = 0;
    for (let got = 0; got < n; count++) got += (this.pieces[count] as Buffer).length;
    const head = Buffer.concat(this.pieces.slice(0, count));
    this.pieces.splice(0, count, head);
    return head;
  }

  /** Consumes the first n buffered bytes (all buffered: n <= this.buffered). */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.pieces[0] as Buffer;
    if (first.length >= n) {
      if (first.length === n) this.pieces.shift();
      else this.pieces[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const piece = this.pieces[0] as Buffer;
      const used = Math.min(piece.length, n - at);
      piece.copy(out, at, 0, used);
      at += used;
      if (used === piece.length) this.pieces.shift();
      else this.pieces[0] = piece.subarray(used);
    }
    return out;
  }
}

function decodeBody(kind: number, body: Buffer): Frame {
  if (kind === FRAME_JSON) {
    let message: unknown;
    try {
      message = JSON.parse(body.toString('utf8'));
    } catch {
      throw new ProtocolError('a JSON frame does not hold JSON');
    }
    if (message === null || typeof message !== 'object' || typeof (message as { type?: unknown }).type !== 'string') {
      throw new ProtocolError('a JSON frame must hold an object with a "type"');
    }
    return { kind: 'json', message: message as Record<string, unknown> & { type: string } };
  }
  if (kind === FRAME_AUDIO) {
    if (body.length < 4 || (body.length - 4) % 4 !== 0) throw new ProtocolError('an audio frame must hold a job id and whole float32 samples');
    const id = body.readUInt32BE(0);
    const samples = new Float32Array((body.length - 4) / 4);
    if (LITTLE_ENDIAN) body.copy(Buffer.from(samples.buffer), 0, 4);
    else for (let i = 0; i < samples.length; i++) samples[i] = body.readFloatLE(4 + i * 4);
    return { kind: 'audio', id, samples };
  }
  throw new ProtocolError(`unknown frame kind ${kind}`);
}
