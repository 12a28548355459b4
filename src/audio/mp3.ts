// MP3 encoder (LAME via @breezystack/lamejs, pure JS): mono, constant bitrate.
import { Mp3Encoder } from '@breezystack/lamejs';
import type { AudioEncoder, EncoderOptions } from './types.js';
import { float32ToInt16 } from './pcm.js';

/** The sample rates MPEG-1/2/2.5 Layer III can carry; anything else must be resampled first. */
export const MP3_SAMPLE_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000] as const;
/** 64 kbps is a valid bitrate in all three MPEG versions, so it works at every rate above. */
export const MP3_BITRATE_KBPS = 64;

/** lamejs hands back Int8Array copies; view their bytes without another copy. */
function asBuffer(bytes: Int8Array | Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

class LameMp3Encoder implements AudioEncoder {
  readonly format = 'mp3' as const;
  readonly contentType = 'audio/mpeg';
  readonly outputSampleRate: number;
  private lame: Mp3Encoder | null;

  constructor(opts: EncoderOptions) {
    if (!(MP3_SAMPLE_RATES as readonly number[]).includes(opts.sampleRate)) {
      throw new RangeError(`mp3 cannot carry ${opts.sampleRate} Hz; resample to one of ${MP3_SAMPLE_RATES.join(', ')} first`);
    }
    this.outputSampleRate = opts.sampleRate;
    // Frames are self-contained, so streaming and non-streaming output are identical: LAME
    // returns whole frames as soon as it has them (no VBR/Xing header to patch: we are CBR).
    this.lame = new Mp3Encoder(1, opts.sampleRate, MP3_BITRATE_KBPS);
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

export function createMp3Encoder(opts: EncoderOptions): AudioEncoder {
  return new LameMp3Encoder(opts);
}
