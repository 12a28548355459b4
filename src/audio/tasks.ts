// What the audio threads do, as plain functions over a message: decode an upload, validate and
// normalize a voice prompt, resample a signal, run a response's codec session. pool-worker.ts
// runs them in a worker thread; the pool runs the same functions inline when AUDIO_THREADS=0,
// so both paths give byte-identical results. Errors cross the thread as data (WireError) and
// come back as the class they were (AppError, AudioDecodeError, RangeError).
import { threadId } from 'node:worker_threads';
import { AppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/catalog.js';
import { normalizePromptAudio, type NormalizedPrompt, type PromptLimits } from '../voices/prompt-audio.js';
import { openCodecSession, type CodecSession, type CodecSpec } from './codec-session.js';
import { AudioDecodeError, decodeAudio, type AudioDecodeErrorReason, type DecodeOptions, type DecodeResult } from './decoders.js';
import { resampleAll } from './resample.js';

export type AudioTask =
  | { op: 'decode'; bytes: Uint8Array; options: DecodeOptions }
  | { op: 'prompt'; bytes: Uint8Array; limits: PromptLimits | undefined }
  | { op: 'resample'; samples: Float32Array; from: number; to: number }
  | { op: 'open'; session: number; spec: CodecSpec }
  | { op: 'write'; session: number; samples: Float32Array }
  | { op: 'end'; session: number }
  | { op: 'close'; session: number };

export type AudioOp = AudioTask['op'];

export interface OpenedSession {
  contentType: string;
  outputSampleRate: number;
}

/** What each op resolves with. */
export interface AudioResults {
  decode: DecodeResult;
  prompt: NormalizedPrompt;
  resample: Float32Array;
  open: OpenedSession;
  write: Buffer;
  end: Buffer;
  close: null;
}

export type WireError =
  | { kind: 'app'; code: ErrorCode; message: string; param: string | null }
  | { kind: 'decode'; reason: AudioDecodeErrorReason; message: string }
  | { kind: 'range'; message: string }
  | { kind: 'error'; message: string };

export type TaskReply =
  | { id: number; ok: true; value: unknown; threadId: number }
  | { id: number; ok: false; error: WireError; threadId: number };

export function toWire(err: unknown): WireError {
  if (err instanceof AppError) return { kind: 'app', code: err.code, message: err.message, param: err.param };
  if (err instanceof AudioDecodeError) return { kind: 'decode', reason: err.reason, message: err.message };
  if (err instanceof RangeError) return { kind: 'range', message: err.message };
  return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
}

export function fromWire(wire: WireError): Error {
  switch (wire.kind) {
    case 'app':
      return new AppError(wire.code, wire.message, { param: wire.param });
    case 'decode':
      return new AudioDecodeError(wire.reason, wire.message);
    case 'range':
      return new RangeError(wire.message);
    case 'error':
      return new Error(wire.message);
  }
}

/** A typed array that owns its whole ArrayBuffer, so the buffer can be transferred. */
export function owned<T extends Float32Array | Uint8Array>(view: T): T {
  if (view.byteOffset === 0 && view.byteLength === view.buffer.byteLength && view.buffer instanceof ArrayBuffer && !Buffer.isBuffer(view)) return view;
  // A copy (not view.slice(), which on a Buffer is a view into Node's shared pool).
  return copyInto(view);
}

/** Encoded chunks as one Buffer on its own ArrayBuffer (never a slice of Node's shared pool). */
function joined(buffers: Buffer[]): Buffer {
  const out = Buffer.from(new ArrayBuffer(buffers.reduce((n, b) => n + b.length, 0)));
  let at = 0;
  for (const b of buffers) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** Runs one task against this thread's sessions; returns the value and what may be transferred. */
export async function runTask(task: AudioTask, sessions: Map<number, CodecSession>): Promise<{ value: unknown; transfer: ArrayBuffer[] }> {
  switch (task.op) {
    case 'decode': {
      const result = await decodeAudio(task.bytes, task.options);
      const channels = result.channels.map(owned);
      return { value: { ...result, channels }, transfer: channels.map((c) => c.buffer as ArrayBuffer) };
    }
    case 'prompt': {
      const prompt = await normalizePromptAudio(task.bytes, task.limits);
      const wav = joined([prompt.wav]);
      const samples = owned(prompt.samples);
      return { value: { ...prompt, wav, samples }, transfer: [wav.buffer as ArrayBuffer, samples.buffer as ArrayBuffer] };
    }
    case 'resample': {
      const out = owned(await resampleAll(task.samples, task.from, task.to));
      return { value: out, transfer: [out.buffer as ArrayBuffer] };
    }
    case 'open': {
      const session = await openCodecSession(task.spec);
      sessions.set(task.session, session);
      return { value: { contentType: session.contentType, outputSampleRate: session.outputSampleRate } satisfies OpenedSession, transfer: [] };
    }
    case 'write':
    case 'end': {
      const session = sessions.get(task.session);
      if (!session) throw new Error(`audio session ${task.session} is not open`);
      let bytes: Buffer;
      try {
        bytes = joined(task.op === 'write' ? session.write(task.samples) : session.end());
      } catch (err) {
        session.close();
        sessions.delete(task.session);
        throw err;
      }
      if (task.op === 'end') sessions.delete(task.session);
      return { value: bytes, transfer: [bytes.buffer as ArrayBuffer] };
    }
    case 'close': {
      sessions.get(task.session)?.close();
      sessions.delete(task.session);
      return { value: null, transfer: [] };
    }
  }
}

/** Runs a task and shapes the reply (never throws). */
export async function reply(id: number, task: AudioTask, sessions: Map<number, CodecSession>): Promise<{ reply: TaskReply; transfer: ArrayBuffer[] }> {
  try {
    const { value, transfer } = await runTask(task, sessions);
    return { reply: { id, ok: true, value, threadId }, transfer };
  } catch (err) {
    return { reply: { id, ok: false, error: toWire(err), threadId }, transfer: [] };
  }
}

/**
 * A copy on its own ArrayBuffer, which the thread may own and we may transfer: never
 * view.slice(), which on a Buffer is a view into Node's shared pool. By memcpy
 * (`new Uint8Array(aBuffer)` copies element by element).
 */
export function copyInto<T extends Float32Array | Uint8Array>(view: T): T {
  const out = view instanceof Float32Array ? new Float32Array(view.length) : new Uint8Array(view.length);
  out.set(view);
  return out as T;
}
