// The `pcm` format: headerless little-endian signed 16-bit mono samples.
import type { AudioEncoder, EncoderOptions } from './types.js';
import { assertSampleRate, float32ToS16le } from './s16le.js';

/**
 * `audio/L16` would be the registered type, but RFC 2586 defines L16 as big-endian (network
 * order) and we send little-endian, so we use the de-facto `audio/pcm` and spell out the
 * parameters a client needs to play headerless bytes.
 */
export function rawPcmContentType(sampleRate: number): string {
  return `audio/pcm;rate=${sampleRate};channels=1;encoding=s16le`;
}

class RawPcmEncoder implements AudioEncoder {
  readonly format = 'pcm' as const;
  readonly contentType: string;
  readonly outputSampleRate: number;
  private ended = false;

  constructor(opts: EncoderOptions) {
    assertSampleRate(opts.sampleRate);
    this.outputSampleRate = opts.sampleRate;
    this.contentType = rawPcmContentType(opts.sampleRate);
  }

  // Without a header there is nothing to patch at the end, so streaming and non-streaming
  // behave the same: every write is final bytes.
  write(samples: Float32Array): Buffer[] {
    if (this.ended) throw new Error('pcm encoder: write() after end()');
    return samples.length > 0 ? [float32ToS16le(samples)] : [];
  }

  end(): Buffer[] {
    this.ended = true;
    return [];
  }

  close(): void {
    this.ended = true;
  }
}

export function createRawPcmEncoder(opts: EncoderOptions): AudioEncoder {
  return new RawPcmEncoder(opts);
}
