// The one entry point for encoders: the pipeline names a format, this picks the codec module.
import type { AudioEncoder, AudioFormat, EncoderOptions } from './types.js';
import { createWavEncoder } from './wav.js';
import { createRawPcmEncoder } from './raw-pcm.js';
import { createMp3Encoder } from './mp3.js';
import { createOggOpusEncoder } from './ogg-opus.js';
import { createFlacEncoder } from './flac.js';

/**
 * Creates a push encoder for `format`. Async because MP3, Opus and FLAC initialise WASM modules
 * (compiled once per thread). Throws a RangeError for a sample rate the format cannot carry (mp3
 * outside MP3_SAMPLE_RATES); Opus resamples internally instead.
 */
export async function createEncoder(format: AudioFormat, opts: EncoderOptions): Promise<AudioEncoder> {
  switch (format) {
    case 'wav':
      return createWavEncoder(opts);
    case 'pcm':
      return createRawPcmEncoder(opts);
    case 'mp3':
      return createMp3Encoder(opts);
    case 'opus':
      return createOggOpusEncoder(opts);
    case 'flac':
      return createFlacEncoder(opts);
    default: {
      const unknown: never = format;
      throw new RangeError(`unknown audio format ${String(unknown)}`);
    }
  }
}
