// Contracts between the synthesis pipeline and the audio codecs.

export const AUDIO_FORMATS = ['wav', 'pcm', 'mp3', 'opus', 'flac'] as const;
export type AudioFormat = (typeof AUDIO_FORMATS)[number];

export interface EncoderOptions {
  /** Sample rate of the float32 mono input the encoder will receive. */
  sampleRate: number;
  /**
   * true: the total length is unknown when the first bytes leave (chunked HTTP). A WAV header
   * then carries the "unknown length" sizes, FLAC's STREAMINFO has 0 total samples.
   * false: the encoder may hold everything and write exact headers in `end()`.
   */
  streaming: boolean;
}

/**
 * A push encoder. `write` returns the bytes that are ready now (possibly empty); `end` returns
 * the rest. Concatenating every returned buffer in order gives one valid file/stream.
 */
export interface AudioEncoder {
  readonly format: AudioFormat;
  readonly contentType: string;
  /** The sample rate the encoded stream carries (Opus is always 48000 on the wire). */
  readonly outputSampleRate: number;
  write(samples: Float32Array): Buffer[];
  end(): Buffer[];
  /**
   * Abandons the stream without producing the rest (client went away, synthesis failed) and
   * frees codec memory right away. Idempotent, also safe after end(). Optional in the contract;
   * the WASM-backed encoders also free themselves when garbage-collected, just later.
   */
  close?(): void;
}

/** An encoder that answers later: one running in another thread (src/audio/pool.ts, aac.ts). */
export interface AsyncAudioEncoder {
  readonly contentType: string;
  readonly outputSampleRate: number;
  /** Queues samples; resolves with the bytes that are ready by then (possibly none). */
  write(samples: Float32Array): Promise<Buffer[]>;
  /** Flushes the encoder; resolves with the rest of the stream. */
  end(): Promise<Buffer[]>;
  /** Abandons the stream and stops the encoder's worker. Idempotent, also safe after end(). */
  close(): Promise<void>;
}

export interface DecodedAudio {
  /** One Float32Array per channel. */
  channels: Float32Array[];
  sampleRate: number;
}
