// How much audio a response held, counted as its bytes arrive: raw PCM and WAV by byte counts
// (the rate from the response), compressed formats by decoding the whole body once it is
// complete (after the timing is taken, so decoding never counts as the server's time).
import { WAV_UNKNOWN_SIZE } from '../audio/wav.js';

export const BENCH_AUDIO_FORMATS = ['pcm', 'wav', 'mp3', 'opus', 'flac'] as const;
export type BenchAudioFormat = (typeof BENCH_AUDIO_FORMATS)[number];

/** OpenAI documents its speech output as 24 kHz in every format (`pcm` included). */
export const OPENAI_PCM_RATE = 24000;

export interface AudioMeter {
  /** Takes the next body bytes; true once any audio (not only a header) has arrived. */
  push(chunk: Uint8Array): boolean;
  /** Audio seconds in the whole body, or a reason it cannot be told. */
  seconds(): Promise<{ seconds: number } | { error: string }>;
}

/**
 * The sample rate of a raw PCM response: `X-Sample-Rate` (cosyfleet), the content type's
 * `rate=` parameter, else OpenAI's documented 24 kHz on the OpenAI route.
 */
export function pcmRate(headers: { get(name: string): string | null }, openaiRoute: boolean): number | null {
  const fromHeader = Number(headers.get('x-sample-rate'));
  if (Number.isInteger(fromHeader) && fromHeader > 0) return fromHeader;
  const m = /(?:^|;)\s*rate=(\d+)/i.exec(headers.get('content-type') ?? '');
  if (m) return Number(m[1]);
  return openaiRoute ? OPENAI_PCM_RATE : null;
}

export function audioMeter(format: BenchAudioFormat, headers: { get(name: string): string | null }, openaiRoute: boolean): AudioMeter {
  if (format === 'pcm') return pcmMeter(pcmRate(headers, openaiRoute));
  if (format === 'wav') return wavMeter();
  return decodingMeter();
}

function pcmMeter(rate: number | null): AudioMeter {
  let bytes = 0;
  return {
    push(chunk) {
      bytes += chunk.length;
      return bytes > 0;
    },
    async seconds() {
      if (rate === null) return { error: 'pcm response without a sample rate (no X-Sample-Rate, no rate= in Content-Type)' };
      return { seconds: bytes / 2 / rate };
    },
  };
}

interface WavFormat {
  dataOffset: number;
  /** null: the streamed "unknown length" header. */
  dataBytes: number | null;
  bytesPerSecond: number;
}

/** Reads the RIFF header up to the `data` chunk; null until enough bytes are in, or not WAV. */
export function parseWavHeader(b: Uint8Array): WavFormat | { error: string } | null {
  if (b.length < 12) return null;
  const tag = (at: number) => String.fromCharCode(b[at] ?? 0, b[at + 1] ?? 0, b[at + 2] ?? 0, b[at + 3] ?? 0);
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return { error: 'wav response does not start with a RIFF/WAVE header' };
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let at = 12;
  let bytesPerSecond: number | null = null;
  while (at + 8 <= b.length) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    if (id === 'fmt ') {
      if (at + 8 + 16 > b.length) return null;
      bytesPerSecond = view.getUint32(at + 8 + 8, true);
    } else if (id === 'data') {
      if (!bytesPerSecond) return { error: 'wav response has its data before a fmt chunk' };
      return { dataOffset: at + 8, dataBytes: size === WAV_UNKNOWN_SIZE || size === 0 ? null : size, bytesPerSecond };
    }
    at += 8 + size + (size % 2);
  }
  return null;
}

function wavMeter(): AudioMeter {
  let head = new Uint8Array(0);
  let format: WavFormat | { error: string } | null = null;
  let total = 0;
  return {
    push(chunk) {
      total += chunk.length;
      if (format === null) {
        const joined = new Uint8Array(head.length + chunk.length);
        joined.set(head);
        joined.set(chunk, head.length);
        head = joined;
        format = parseWavHeader(head);
        if (format !== null) head = new Uint8Array(0);
      }
      return format !== null && !('error' in format) && total > format.dataOffset;
    },
    async seconds() {
      if (format === null) return { error: 'wav response ended inside its header' };
      if ('error' in format) return format;
      const received = Math.max(0, total - format.dataOffset);
      return { seconds: Math.min(received, format.dataBytes ?? received) / format.bytesPerSecond };
    },
  };
}

function decodingMeter(): AudioMeter {
  const chunks: Uint8Array[] = [];
  return {
    push(chunk) {
      chunks.push(chunk);
      return true;
    },
    async seconds() {
      const { decodeAudio } = await import('../audio/decoders.js');
      try {
        const decoded = await decodeAudio(Buffer.concat(chunks));
        return { seconds: (decoded.channels[0]?.length ?? 0) / decoded.sampleRate };
      } catch (err) {
        return { error: `the audio could not be decoded: ${(err as Error).message}` };
      }
    },
  };
}
