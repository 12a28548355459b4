// Wraps a real engine to see which text each engine call carried and in what order, and to hold
// chosen calls at a gate until the test opens it (standing in for a slow GPU). Synthesis itself
// is the wrapped engine's; nothing is faked. Each call's events use its text as the label.
import type { PcmChunk } from '../../src/audio/pcm.js';
import type { SynthesisRequest, SynthesizeOptions } from '../../src/engines/engine.js';
import { WrappedEngine } from './wrapped-engine.js';

export class GateEngine extends WrappedEngine {
  readonly events: string[] = [];
  aborted = 0;

  /** Index of the first event equal to `event` (-1 when absent). */
  at(event: string): number {
    return this.events.indexOf(event);
  }

  override async *synthesize(request: SynthesisRequest, options: SynthesizeOptions = {}): AsyncGenerator<PcmChunk> {
    options.signal?.addEventListener('abort', () => this.aborted++, { once: true });
    const held = this.gate.wait(request.text);
    if (held) {
      this.events.push(`held ${request.text}`);
      await held;
    }
    this.events.push(`start ${request.text}`);
    yield* this.inner.synthesize(request, options);
    this.events.push(`end ${request.text}`);
  }
}
