// Wraps a real engine to see which text each engine call carried and in what order, and to hold
// chosen calls at a gate until the test opens it (standing in for a slow GPU). Synthesis itself
// is the wrapped engine's; nothing is faked. Each call's events use its text as the label.
import type { PcmChunk } from '../../src/audio/pcm.js';
import type { Engine, SynthesisRequest, SynthesizeOptions } from '../../src/engines/engine.js';

export class GateEngine implements Engine {
  readonly events: string[] = [];
  /** Calls whose text matches are held until open(). */
  hold: RegExp | null = null;
  held = 0;
  aborted = 0;
  private opened = false;
  private waiters: (() => void)[] = [];

  constructor(readonly inner: Engine) {}

  get capabilities() {
    return this.inner.capabilities;
  }
  start() {
    return this.inner.start();
  }
  health() {
    return this.inner.health();
  }
  listVoices() {
    return this.inner.listVoices();
  }
  check(request: SynthesisRequest) {
    return this.inner.check(request);
  }
  close() {
    this.open();
    return this.inner.close();
  }

  open(): void {
    this.opened = true;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Index of the first event equal to `event` (-1 when absent). */
  at(event: string): number {
    return this.events.indexOf(event);
  }

  async *synthesize(request: SynthesisRequest, options: SynthesizeOptions = {}): AsyncGenerator<PcmChunk> {
    options.signal?.addEventListener('abort', () => this.aborted++, { once: true });
    if (this.hold?.test(request.text) && !this.opened) {
      this.held++;
      this.events.push(`held ${request.text}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.events.push(`start ${request.text}`);
    yield* this.inner.synthesize(request, options);
    this.events.push(`end ${request.text}`);
  }
}
