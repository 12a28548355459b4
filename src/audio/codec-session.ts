// One response's audio path after the engine: resample from the engine's rate to the requested
// one, then encode. The same object runs on the event loop (AUDIO_THREADS=0, and WAV/PCM at the
// engine's rate, which is only quantizing) or inside an audio worker thread (src/audio/pool.ts).
import { createEncoder } from './encoders.js';
import { createResampler, type Resampler } from './resample.js';
import type { AsyncAudioEncoder, AudioEncoder, AudioFormat } from './types.js';

export interface CodecSpec {
  format: AudioFormat;
  /** Rate of the samples written (the engine's). */
  inputRate: number;
  /** Rate of the PCM the encoder receives (the request's `sample_rate`). */
  pcmRate: number;
  /** See EncoderOptions.streaming. */
  streaming: boolean;
}

export interface CodecSession {
  readonly contentType: string;
  readonly outputSampleRate: number;
  write(samples: Float32Array): Buffer[];
  end(): Buffer[];
  close(): void;
}

/** True when the work is more than quantizing samples: a codec or a resampler runs. */
export function isHeavy(spec: CodecSpec): boolean {
  return spec.inputRate !== spec.pcmRate || (spec.format !== 'wav' && spec.format !== 'pcm');
}

export async function openCodecSession(spec: CodecSpec): Promise<CodecSession> {
  const resampler: Resampler = await createResampler(spec.inputRate, spec.pcmRate);
  let encoder: AudioEncoder;
  try {
    encoder = await createEncoder(spec.format, { sampleRate: spec.pcmRate, streaming: spec.streaming });
  } catch (err) {
    resampler.destroy();
    throw err;
  }
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    resampler.destroy();
    encoder.close?.();
  };
  return {
    contentType: encoder.contentType,
    outputSampleRate: encoder.outputSampleRate,
    write(samples) {
      return encoder.write(resampler.process(samples));
    },
    end() {
      const out = [...encoder.write(resampler.flush()), ...encoder.end()];
      close();
      return out;
    },
    close,
  };
}

/** A session on the event loop behind the async interface the pipeline uses. */
export function inlineEncoder(session: CodecSession): AsyncAudioEncoder {
  return {
    contentType: session.contentType,
    outputSampleRate: session.outputSampleRate,
    write: async (samples) => session.write(samples),
    end: async () => session.end(),
    close: async () => session.close(),
  };
}
