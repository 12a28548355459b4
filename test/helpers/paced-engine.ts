// Wraps a real engine so a test decides when each engine call does its work: a delay per call
// (random delays for ordering tests), or a hold until the test releases it. Unlike GateEngine's
// gate, waiting here ends when the call's signal aborts (a preemption, a client leaving), as a
// GPU worker's cancel does. Synthesis itself is the wrapped engine's; nothing is faked, except
// `crashOnce`, which fails a call as a lost worker would (kill -9 is shown by test/workers).
// Events use each call's text as its label; each call's audio is kept for checking the output.
import { setTimeout as sleep } from 'node:timers/promises';
import type { PcmChunk } from '../../src/audio/pcm.js';
import type { SynthesisRequest, SynthesizeOptions } from '../../src/engines/engine.js';
import { workerLost } from '../../src/workers/errors.js';
import { WrappedEngine } from './wrapped-engine.js';

export class PacedEngine extends WrappedEngine {
  readonly events: string[] = [];
  started = 0;
  finished = 0;
  /** Calls whose signal aborted before they finished. */
  aborted = 0;
  /** Calls in progress now, and the most there were at once. */
  running = 0;
  peak = 0;
  /** The audio of each text's last call that finished. */
  readonly audio = new Map<string, Float32Array>();
  /** Milliseconds a call waits before its work (0: none). */
  delay: (text: string) => number = () => 0;
  /** Calls whose text matches wait for release() (or their abort). */
  holdText: RegExp | null = null;
  /** Calls whose text matches fail once, before any audio, as a lost worker. */
  crashOnce: RegExp | null = null;
  private readonly crashed = new Set<string>();
  private releasedAll = false;
  private readonly waiting = new Set<() => void>();

  /** Lets every held call (and every later one) go on. */
  release(): void {
    this.releasedAll = true;
    for (const go of this.waiting) go();
    this.waiting.clear();
  }

  /** Labels of calls that started, in order. */
  starts(): string[] {
    return this.events.filter((e) => e.startsWith('start ')).map((e) => e.slice(6));
  }

  override async *synthesize(request: SynthesisRequest, options: SynthesizeOptions = {}): AsyncGenerator<PcmChunk> {
    const label = request.text;
    const signal = options.signal;
    let over = false;
    const onAbort = () => {
      if (over) return;
      this.aborted++;
      this.events.push(`abort ${label}`);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    this.started++;
    this.running++;
    this.peak = Math.max(this.peak, this.running);
    this.events.push(`start ${label}`);
    try {
      const ms = this.delay(label);
      if (ms > 0) await sleep(ms, undefined, { signal });
      if (this.holdText?.test(label) && !this.releasedAll) {
        this.events.push(`held ${label}`);
        await this.until(signal);
      }
      if (this.crashOnce?.test(label) && !this.crashed.has(label)) {
        this.crashed.add(label);
        this.events.push(`crash ${label}`);
        throw workerLost('paced', 'the test crashed it');
      }
      const parts: Float32Array[] = [];
      for await (const chunk of this.inner.synthesize(request, options)) {
        parts.push(chunk.samples.slice());
        yield chunk;
      }
      if (signal?.aborted) return;
      const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        all.set(p, at);
        at += p.length;
      }
      this.audio.set(label, all);
      this.finished++;
      this.events.push(`end ${label}`);
    } finally {
      over = true;
      this.running--;
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private until(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const go = () => {
        signal?.removeEventListener('abort', stop);
        resolve();
      };
      const stop = () => {
        this.waiting.delete(go);
        reject(signal?.reason);
      };
      this.waiting.add(go);
      signal?.addEventListener('abort', stop, { once: true });
    });
  }
}
