// AAC-LC in ADTS framing (what `audio/aac` means on the wire, and what OpenAI's speech API
// returns). The codec is FFmpeg's native AAC encoder compiled to WASM (@mediabunny/aac-encoder,
// MPL-2.0, from npm), driven through mediabunny's public Output API. That encoder runs in a
// worker thread per stream and answers asynchronously, so this is an async encoder, separate from
// the synchronous push encoders in encoders.ts: the OpenAI-compatible route transcodes the
// pipeline's PCM through it (see src/http/openai-speech.ts). Where ffmpeg is installed
// (FFMPEG_PATH), the same FFmpeg encoder runs natively in an ffmpeg process (aac-ffmpeg.ts),
// ~1.7x cheaper per audio second; this WASM build is the fallback.
import { AdtsOutputFormat, AppendOnlyStreamTarget, AudioSample, AudioSampleSource, Output } from 'mediabunny';
import { registerAacEncoder } from '@mediabunny/aac-encoder';
import type { AsyncAudioEncoder } from './types.js';
import { createFfmpegAacEncoder } from './aac-ffmpeg.js';
import { reason, warnFallback } from './codec-fallback.js';

export type { AsyncAudioEncoder };

/** The sampling frequencies ADTS can signal. */
export const AAC_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350] as const;
export const AAC_CONTENT_TYPE = 'audio/aac';
/** Mono speech; the same budget as the MP3 encoder. */
const DEFAULT_BITRATE = 64_000;


let registered = false;

export interface AacOptions {
  sampleRate: number;
  bitrate?: number;
  /**
   * An ffmpeg executable (FFMPEG_PATH) to encode with natively (aac-ffmpeg.ts); when it cannot
   * start, the WASM encoder below takes over with a warning. Absent or null: the WASM encoder.
   */
  ffmpeg?: string | null;
}

export async function createAacEncoder(opts: AacOptions): Promise<AsyncAudioEncoder> {
  const { sampleRate } = opts;
  if (!(AAC_SAMPLE_RATES as readonly number[]).includes(sampleRate)) {
    throw new RangeError(`AAC cannot carry ${sampleRate} Hz; use one of ${AAC_SAMPLE_RATES.join(', ')}`);
  }
  if (opts.ffmpeg) {
    try {
      return await createFfmpegAacEncoder({ sampleRate, bitrate: opts.bitrate ?? DEFAULT_BITRATE, ffmpeg: opts.ffmpeg });
    } catch (err) {
      warnFallback('aac-ffmpeg', `ffmpeg (FFMPEG_PATH=${opts.ffmpeg}) cannot run (${reason(err)}); AAC is encoded by the slower WASM build of FFmpeg's encoder instead.`);
    }
  }
  return createWasmAacEncoder(sampleRate, opts.bitrate ?? DEFAULT_BITRATE);
}

async function createWasmAacEncoder(sampleRate: number, bitrate: number): Promise<AsyncAudioEncoder> {
  if (!registered) {
    // Node has no WebCodecs AAC encoder, so mediabunny uses this one for codec 'aac'.
    registerAacEncoder();
    registered = true;
  }
  let ready: Buffer[] = [];
  const output = new Output({
    format: new AdtsOutputFormat(),
    target: new AppendOnlyStreamTarget(
      new WritableStream<Uint8Array>({
        write(chunk) {
          ready.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        },
      }),
    ),
  });
  const source = new AudioSampleSource({ codec: 'aac', bitrate });
  output.addAudioTrack(source);
  await output.start();

  let samplesIn = 0;
  let finished = false;
  const take = (): Buffer[] => {
    const out = ready;
    ready = [];
    return out;
  };
  const add = async (samples: Float32Array): Promise<void> => {
    // mediabunny may keep a reference until the worker has the frame: hand it its own copy.
    const sample = new AudioSample({ data: samples.slice(), format: 'f32', numberOfChannels: 1, sampleRate, timestamp: samplesIn / sampleRate });
    samplesIn += samples.length;
    try {
      await source.add(sample);
    } finally {
      sample.close();
    }
  };

  return {
    contentType: AAC_CONTENT_TYPE,
    outputSampleRate: sampleRate,
    async write(samples) {
      if (finished) throw new Error('AAC encoder already ended');
      if (samples.length > 0) await add(samples);
      return take();
    },
    async end() {
      if (finished) throw new Error('AAC encoder already ended');
      // An ADTS stream needs at least one frame; an empty input becomes one frame of silence.
      if (samplesIn === 0) await add(new Float32Array(1024));
      finished = true;
      await output.finalize();
      return take();
    },
    async close() {
      finished = true;
      ready = [];
      if (output.state !== 'canceled' && output.state !== 'finalized') await output.cancel();
    },
  };
}
