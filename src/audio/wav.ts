// WAV (RIFF/WAVE, 16-bit PCM, mono) encoder.
import type { AudioEncoder, EncoderOptions } from './types.js';
import { assertSampleRate, float32ToS16le } from './s16le.js';

export const WAV_HEADER_BYTES = 44;
/** RIFF and data sizes of a stream whose length is unknown when the header leaves. */
export const WAV_UNKNOWN_SIZE = 0xffffffff;

/**
 * The canonical 44-byte header. `dataBytes` null writes the streaming "unknown length" sizes,
 * which ffmpeg, sox and browsers read as "until the end of the stream".
 */
export function wavHeader(sampleRate: number, dataBytes: number | null): Buffer {
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  // RIFF sizes are 32-bit; a longer file cannot state its size, so it says "unknown" instead.
  const known = dataBytes !== null && dataBytes <= WAV_UNKNOWN_SIZE - 36;
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(known ? 36 + dataBytes : WAV_UNKNOWN_SIZE, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // WAVE_FORMAT_PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28); // byte rate
  h.writeUInt16LE(2, 32); // block align
  h.writeUInt16LE(16, 34); // bits per sample
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(known ? dataBytes : WAV_UNKNOWN_SIZE, 40);
  return h;
}

class WavEncoder implements AudioEncoder {
  readonly format = 'wav' as const;
  readonly contentType = 'audio/wav';
  readonly outputSampleRate: number;
  private readonly streaming: boolean;
  private headerSent = false;
  private ended = false;
  /** Non-streaming only: the s16le data, held until end() knows the exact sizes. */
  private readonly held: Buffer[] = [];
  private heldBytes = 0;

  constructor(opts: EncoderOptions) {
    assertSampleRate(opts.sampleRate);
    this.outputSampleRate = opts.sampleRate;
    this.streaming = opts.streaming;
  }

  write(samples: Float32Array): Buffer[] {
    if (this.ended) throw new Error('wav encoder: write() after end()');
    const data = float32ToS16le(samples);
    if (!this.streaming) {
      this.held.push(data);
      this.heldBytes += data.length;
      return [];
    }
    const out: Buffer[] = [];
    if (!this.headerSent) {
      this.headerSent = true;
      out.push(wavHeader(this.outputSampleRate, null));
    }
    if (data.length > 0) out.push(data);
    return out;
  }

  end(): Buffer[] {
    if (this.ended) return [];
    this.ended = true;
    if (this.streaming) {
      if (this.headerSent) return [];
      this.headerSent = true;
      return [wavHeader(this.outputSampleRate, null)];
    }
    const file = Buffer.concat([wavHeader(this.outputSampleRate, this.heldBytes), ...this.held]);
    this.held.length = 0;
    return [file];
  }

  close(): void {
    this.ended = true;
    this.held.length = 0;
  }
}

export function createWavEncoder(opts: EncoderOptions): AudioEncoder {
  return new WavEncoder(opts);
}
