// The take's waveform, drawn while it streams and plays: the bytes received so far are decoded by
// the browser (an OfflineAudioContext's decodeAudioData: no audio device, no user gesture, and the
// <audio> element's own path to the speakers untouched), reduced to one peak per 10 ms, and drawn
// on a canvas, the part already played in the accent colour with a line at the playhead. Decoding
// always starts from the first byte (a cut mid-frame decodes nothing reliably); one decode runs at
// a time and the newest bytes wait for it to finish, so a long take costs a few decodes, not one
// per network chunk.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AudioFormat } from '../api/client.js';
import type { AudioTap } from './player.js';

const DECODE_RATE = 8000;
const BLOCK = DECODE_RATE / 100;

export interface WaveformData {
  /** The largest magnitude of each 10 ms block, 0..1. */
  peaks: Float32Array;
  /** Seconds decoded so far. */
  duration: number;
}

const EMPTY: WaveformData = { peaks: new Float32Array(0), duration: 0 };

function peaksOf(buffer: AudioBuffer): Float32Array {
  const samples = buffer.getChannelData(0);
  const peaks = new Float32Array(Math.ceil(samples.length / BLOCK));
  for (let i = 0; i < samples.length; i++) {
    const v = Math.abs(samples[i] as number);
    const b = (i / BLOCK) | 0;
    if (v > (peaks[b] as number)) peaks[b] = v;
  }
  return peaks;
}

/** An AudioTap that keeps the decoded waveform of the take in progress. */
export class WaveformTracker implements AudioTap {
  data: WaveformData = EMPTY;
  private parts: Uint8Array<ArrayBuffer>[] = [];
  private received = 0;
  private decoded = 0;
  private busy = false;
  private take = 0;
  private context: OfflineAudioContext | null = null;

  constructor(private readonly onChange: (data: WaveformData) => void) {}

  start(_format: AudioFormat): void {
    this.take++;
    this.parts = [];
    this.received = 0;
    this.decoded = 0;
    this.set(EMPTY);
  }

  chunk(data: Uint8Array<ArrayBuffer>): void {
    this.parts.push(data);
    this.received += data.byteLength;
    void this.decode();
  }

  end(): void {
    void this.decode();
  }

  private set(data: WaveformData): void {
    this.data = data;
    this.onChange(data);
  }

  private async decode(): Promise<void> {
    if (this.busy || this.received === this.decoded) return;
    this.busy = true;
    const take = this.take;
    const size = this.received;
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const part of this.parts) {
      bytes.set(part.subarray(0, size - at), at);
      at += part.byteLength;
      if (at >= size) break;
    }
    try {
      this.context ??= new OfflineAudioContext({ numberOfChannels: 1, length: 1, sampleRate: DECODE_RATE });
      const buffer = await this.context.decodeAudioData(bytes.buffer);
      if (take === this.take) this.set({ peaks: peaksOf(buffer), duration: buffer.duration });
    } catch {
      // Too little to decode yet (a header, half a frame): the next bytes try again.
    } finally {
      if (take === this.take) this.decoded = size;
      this.busy = false;
    }
    if (this.received !== this.decoded) void this.decode();
  }
}

function draw(canvas: HTMLCanvasElement, data: WaveformData, played: number): void {
  const ratio = globalThis.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
  const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const g = canvas.getContext('2d');
  if (!g) return;
  g.clearRect(0, 0, width, height);
  const { peaks } = data;
  if (peaks.length === 0) return;
  const style = getComputedStyle(canvas);
  const playedColour = style.getPropertyValue('--accent').trim() || '#1d4e89';
  const restColour = style.getPropertyValue('--border').trim() || '#8a94a3';
  // Quiet speech still fills the height: scaled to the loudest peak so far.
  let loudest = 0.05;
  for (const p of peaks) if (p > loudest) loudest = p;
  const mid = height / 2;
  const playedX = data.duration > 0 ? Math.min(1, played / data.duration) * width : 0;
  for (let x = 0; x < width; x++) {
    const from = Math.floor((x / width) * peaks.length);
    const to = Math.max(from + 1, Math.floor(((x + 1) / width) * peaks.length));
    let peak = 0;
    for (let i = from; i < to && i < peaks.length; i++) if ((peaks[i] as number) > peak) peak = peaks[i] as number;
    const h = Math.max(ratio, (peak / loudest) * (height - 2 * ratio));
    g.fillStyle = x < playedX ? playedColour : restColour;
    g.fillRect(x, mid - h / 2, 1, h);
  }
  if (playedX > 0) {
    g.fillStyle = playedColour;
    g.fillRect(Math.min(width - ratio, playedX), 0, ratio, height);
  }
}

/** The canvas: redrawn when more is decoded and, while the element plays, every frame. */
export function Waveform({ data, audio, label }: { data: WaveformData; audio: { current: HTMLAudioElement | null }; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [, setTick] = useState(0);

  useEffect(() => {
    const el = audio.current;
    if (!el) return;
    let frame = 0;
    const loop = () => {
      setTick((n) => n + 1);
      frame = el.paused || el.ended ? 0 : requestAnimationFrame(loop);
    };
    const play = () => {
      if (frame === 0) frame = requestAnimationFrame(loop);
    };
    const once = () => setTick((n) => n + 1);
    el.addEventListener('playing', play);
    el.addEventListener('seeked', once);
    el.addEventListener('ended', once);
    return () => {
      cancelAnimationFrame(frame);
      el.removeEventListener('playing', play);
      el.removeEventListener('seeked', once);
      el.removeEventListener('ended', once);
    };
  }, [audio]);

  useEffect(() => {
    if (canvas.current) draw(canvas.current, data, audio.current?.currentTime ?? 0);
  });

  return <canvas ref={canvas} class="waveform" role="img" aria-label={label} data-testid="waveform" data-duration={data.duration.toFixed(2)} data-peaks={data.peaks.length} />;
}
