// Plays POST /v1/tts (stream: true) in an <audio> element while it arrives. MP3 goes through
// MediaSource (Chromium, Firefox, Safari 17+ support audio/mpeg there), so the first segment plays
// while later ones are still being synthesized; other formats (WAV, Ogg Opus, FLAC) have no
// MediaSource form a browser takes, so they play once complete. Either way the bytes are kept for
// the download link, and the response's headers (X-Warnings, X-Segments, X-Audio-Language) are
// reported as they come (X-Output-Id too, when the take is kept in the history). A tap, when
// given, sees the bytes as they arrive (the waveform draws from them).
import { parseWarnings, type Api, type AudioFormat, type ServerWarning, type TtsBody } from '../api/client.js';

export type TakeState = 'idle' | 'connecting' | 'streaming' | 'done' | 'stopped' | 'failed';

export interface Take {
  state: TakeState;
  format: AudioFormat;
  bytes: number;
  warnings: ServerWarning[];
  /** True when this format only plays once it has fully arrived. */
  wholeFile: boolean;
  segments?: number;
  language?: string;
  downloadUrl?: string;
  /** The stream broke after audio had started (the server's answer is truncated). */
  truncated?: boolean;
  /** X-Output-Id: the request said "store": true (the output exists once the take is done). */
  outputId?: string;
  error?: string;
}

/** Sees a take's bytes as they arrive. */
export interface AudioTap {
  start(format: AudioFormat): void;
  chunk(data: Uint8Array<ArrayBuffer>): void;
  /** The response is complete (or cut short): what arrived is all there is. */
  end(): void;
}

export const IDLE_TAKE: Take = { state: 'idle', format: 'mp3', bytes: 0, warnings: [], wholeFile: false };

export const FILE_EXTENSION: Readonly<Record<AudioFormat, string>> = { mp3: 'mp3', wav: 'wav', opus: 'ogg', flac: 'flac', pcm: 'pcm' };

export function streamsWhilePlaying(format: AudioFormat): boolean {
  return format === 'mp3' && typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported('audio/mpeg');
}

function sourceBuffer(source: MediaSource): Promise<SourceBuffer> {
  if (source.readyState === 'open') return Promise.resolve(source.addSourceBuffer('audio/mpeg'));
  return new Promise((resolve, reject) => {
    source.addEventListener(
      'sourceopen',
      () => {
        try {
          resolve(source.addSourceBuffer('audio/mpeg'));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      },
      { once: true },
    );
  });
}

function append(buffer: SourceBuffer, data: Uint8Array<ArrayBuffer>): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      buffer.removeEventListener('updateend', done);
      buffer.removeEventListener('error', failed);
      resolve();
    };
    const failed = () => {
      buffer.removeEventListener('updateend', done);
      buffer.removeEventListener('error', failed);
      reject(new Error('The browser could not decode the audio.'));
    };
    buffer.addEventListener('updateend', done);
    buffer.addEventListener('error', failed);
    buffer.appendBuffer(data);
  });
}

export class StreamPlayer {
  private abort: AbortController | null = null;
  private urls: string[] = [];

  constructor(
    private readonly audio: HTMLAudioElement,
    private readonly onChange: (take: Take) => void,
    private readonly tap?: AudioTap,
  ) {}

  /** Stops the take in progress (if any) and leaves the element paused. */
  stop(): void {
    this.abort?.abort();
    this.audio.pause();
  }

  /** Releases the object URLs of earlier takes. */
  dispose(): void {
    this.stop();
    for (const url of this.urls.splice(0)) URL.revokeObjectURL(url);
  }

  /** Call from the click handler itself: play() must start within the user's gesture. */
  async play(api: Api, body: TtsBody): Promise<void> {
    this.abort?.abort();
    for (const url of this.urls.splice(0)) URL.revokeObjectURL(url);
    const abort = new AbortController();
    this.abort = abort;
    const format = body.format ?? 'wav';
    const live = streamsWhilePlaying(format);
    let take: Take = { state: 'connecting', format, bytes: 0, warnings: [], wholeFile: !live };
    const update = (patch: Partial<Take>) => {
      take = { ...take, ...patch };
      if (this.abort === abort) this.onChange(take);
    };
    update({});
    this.tap?.start(format);
    const source = live ? new MediaSource() : null;
    if (source) {
      this.audio.src = this.keep(URL.createObjectURL(source));
      // Starts as soon as the first audio is appended.
      this.audio.play().catch(() => undefined);
    } else {
      this.audio.removeAttribute('src');
      this.audio.load();
    }
    try {
      const res = await api.speak({ ...body, stream: true }, abort.signal);
      const segments = Number(res.headers.get('x-segments'));
      update({
        state: 'streaming',
        warnings: parseWarnings(res.headers.get('x-warnings')),
        ...(segments > 0 ? { segments } : {}),
        ...(res.headers.get('x-audio-language') ? { language: res.headers.get('x-audio-language') as string } : {}),
        ...(res.headers.get('x-output-id') ? { outputId: res.headers.get('x-output-id') as string } : {}),
      });
      const contentType = (res.headers.get('content-type') ?? 'application/octet-stream').split(';')[0] as string;
      const buffer = source ? await sourceBuffer(source) : null;
      const parts: Uint8Array<ArrayBuffer>[] = [];
      let bytes = 0;
      let truncated = false;
      const reader = (res.body as ReadableStream<Uint8Array<ArrayBuffer>>).getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          parts.push(value);
          bytes += value.byteLength;
          update({ bytes });
          this.tap?.chunk(value);
          if (buffer) await append(buffer, value);
        }
      } catch (err) {
        if (abort.signal.aborted) throw err;
        // Audio had started: the server can only cut the stream short (docs/api.md#streaming).
        truncated = true;
      }
      if (source?.readyState === 'open' && !buffer?.updating) source.endOfStream();
      this.tap?.end();
      const url = this.keep(URL.createObjectURL(new Blob(parts, { type: contentType })));
      if (!source) {
        this.audio.src = url;
        this.audio.play().catch(() => undefined);
      }
      update({ state: 'done', downloadUrl: url, truncated });
    } catch (err) {
      if (abort.signal.aborted) {
        update({ state: 'stopped' });
        return;
      }
      update({ state: 'failed', error: err instanceof Error ? err.message : String(err) });
    }
  }

  private keep(url: string): string {
    this.urls.push(url);
    return url;
  }
}
