// AAC-LC in ADTS through a system ffmpeg process (FFMPEG_PATH), where one is installed: FFmpeg's
// own AAC encoder runs natively, about 1.7x faster per audio second than its WASM build in
// aac.ts, and in its own process, so it never touches the event loop. The process starts when the
// request is planned, so its start-up (~0.1 s) overlaps the engine's time to first audio.
// Float samples go in on stdin (f32le), ADTS frames come out on stdout as ffmpeg makes them.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AsyncAudioEncoder } from './types.js';

/** What ffmpeg said on stderr, kept for an error message (bounded). */
const STDERR_KEEP = 4096;

export interface FfmpegAacOptions {
  sampleRate: number;
  bitrate: number;
  /** The ffmpeg executable (a name on PATH or a path); operator configuration, never user input. */
  ffmpeg: string;
}

/** Starts ffmpeg; rejects (ENOENT, EACCES) when it cannot run, so the caller can fall back. */
export async function createFfmpegAacEncoder(opts: FfmpegAacOptions): Promise<AsyncAudioEncoder> {
  const child = spawn(
    opts.ffmpeg,
    ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'f32le', '-ar', String(opts.sampleRate), '-ac', '1', '-i', 'pipe:0', '-c:a', 'aac', '-b:a', String(opts.bitrate), '-f', 'adts', '-flush_packets', '1', 'pipe:1'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  let ready: Buffer[] = [];
  let stderr = '';
  let finished = false;
  let samplesIn = 0;
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.stdout.on('data', (b: Buffer) => ready.push(b));
  child.stderr.on('data', (b: Buffer) => {
    if (stderr.length < STDERR_KEEP) stderr += b.toString('utf8').slice(0, STDERR_KEEP - stderr.length);
  });
  // A write after ffmpeg died fails through exitedEarly(); this keeps EPIPE from being unhandled.
  child.stdin.on('error', () => {});
  const take = (): Buffer[] => {
    const out = ready;
    ready = [];
    return out;
  };
  const failure = (code: number | null, signal: NodeJS.Signals | null) =>
    new Error(`ffmpeg (AAC) ended with ${signal ?? `code ${code}`}${stderr ? `: ${stderr.trim()}` : ''}`);
  const exitedEarly = () => child.exitCode !== null || child.signalCode !== null;

  return {
    contentType: 'audio/aac',
    outputSampleRate: opts.sampleRate,
    async write(samples) {
      if (finished) throw new Error('AAC encoder already ended');
      if (exitedEarly()) throw failure(child.exitCode, child.signalCode);
      if (samples.length > 0) {
        samplesIn += samples.length;
        // A copy: the caller may reuse its array once write() returns.
        const bytes = Buffer.from(new Float32Array(samples).buffer);
        if (!child.stdin.write(bytes)) await Promise.race([once(child.stdin, 'drain'), exited]);
      }
      return take();
    },
    async end() {
      if (finished) throw new Error('AAC encoder already ended');
      finished = true;
      // An ADTS stream needs at least one frame (as the WASM encoder does): one frame of silence.
      child.stdin.end(samplesIn === 0 ? Buffer.alloc(1024 * 4) : undefined);
      const [code, signal] = exitedEarly() ? [child.exitCode, child.signalCode] : await exited;
      // stdout may still hold its last frames after `exit`; `close` follows every stream's end.
      if (child.stdout.readable) await once(child.stdout, 'close');
      if (code !== 0) throw failure(code, signal);
      return take();
    },
    async close() {
      finished = true;
      ready = [];
      if (!exitedEarly()) child.kill('SIGKILL');
    },
  };
}
