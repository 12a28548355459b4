// Audio on the wire to and from remote servers: raw little-endian int16 PCM arriving in pieces
// that need not end on a sample boundary, and 16 kHz prompt audio sent as a WAV file.
import { wavHeader } from '../../audio/wav.js';
import { float32ToS16le } from '../../audio/s16le.js';

/** Turns byte pieces of s16le PCM into float samples, carrying an odd byte to the next piece. */
export class S16leDecoder {
  private carry: number | null = null;

  push(piece: Buffer): Float32Array {
    let bytes = piece;
    if (this.carry !== null) {
      bytes = Buffer.concat([Buffer.from([this.carry]), piece]);
      this.carry = null;
    }
    const whole = bytes.length - (bytes.length % 2);
    if (whole < bytes.length) this.carry = bytes[bytes.length - 1] as number;
    const out = new Float32Array(whole / 2);
    for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(i * 2) / 32768;
    return out;
  }

  /** True when a stream ended in the middle of a sample (the remote broke off). */
  get partial(): boolean {
    return this.carry !== null;
  }
}

/** A 16-bit mono WAV file of the samples. */
export function encodeWav(samples: Float32Array, sampleRate: number): Buffer {
  const data = float32ToS16le(samples);
  return Buffer.concat([wavHeader(sampleRate, data.length), data]);
}
