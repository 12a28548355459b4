// Base for test doubles that wrap a real engine: every member delegates to it, and `gate`
// can hold chosen engine calls until the test opens it (standing in for a slow GPU).
import type { PcmChunk } from '../../src/audio/pcm.js';
import type { Engine, EngineCapabilities, SynthesisRequest, SynthesizeOptions } from '../../src/engines/engine.js';

/** Holds calls whose text matches `hold` until open(); once open, nothing is held again. */
export class Gate {
  hold: RegExp | null = null;
  held = 0;
  private opened = false;
  private waiters: (() => void)[] = [];

  /** A promise to await before the call's work when `text` is held, else null. */
  wait(text: string): Promise<void> | null {
    if (!this.hold?.test(text) || this.opened) return null;
    this.held++;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  open(): void {
    this.opened = true;
    for (const w of this.waiters.splice(0)) w();
  }
}

export class WrappedEngine implements Engine {
  readonly gate = new Gate();

  constructor(readonly inner: Engine) {}

  get capabilities(): EngineCapabilities {
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
    this.gate.open();
    return this.inner.close();
  }
  synthesize(request: SynthesisRequest, options?: SynthesizeOptions): AsyncIterable<PcmChunk> {
    return this.inner.synthesize(request, options);
  }

  // The gate's controls, on the engine for brevity in tests.
  get hold(): RegExp | null {
    return this.gate.hold;
  }
  set hold(value: RegExp | null) {
    this.gate.hold = value;
  }
  get held(): number {
    return this.gate.held;
  }
  open(): void {
    this.gate.open();
  }
}
