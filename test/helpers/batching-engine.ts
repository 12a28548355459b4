// A test double at the engine boundary: it declares batching, as a GPU model does (CosyVoice3
// cannot run here), and records every engine call with the texts it carried. Each segment of a
// batch is still synthesized by the wrapped real engine; only the batching claim is the double's.
import type { PcmChunk } from '../../src/audio/pcm.js';
import type { BatchSynthesizeOptions, Engine, EngineCapabilities, SynthesisRequest, SynthesizeOptions } from '../../src/engines/engine.js';

export class BatchingEngine implements Engine {
  readonly capabilities: EngineCapabilities;
  /** Texts of each engine call, in call order. */
  readonly calls: string[][] = [];
  /** Calls whose first text matches wait for open(). */
  hold: RegExp | null = null;
  held = 0;
  private opened = false;
  private waiters: (() => void)[] = [];

  constructor(
    readonly inner: Engine,
    maxBatch: number,
  ) {
    this.capabilities = Object.freeze({ ...inner.capabilities, name: 'batching-standin', batching: { supported: true, maxBatch }, concurrency: 1 });
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

  synthesize(request: SynthesisRequest, options: SynthesizeOptions = {}): AsyncIterable<PcmChunk> {
    return this.synthesizeBatch([request], { signals: [options.signal] })[0] as AsyncIterable<PcmChunk>;
  }

  synthesizeBatch(requests: readonly SynthesisRequest[], options: BatchSynthesizeOptions = {}): AsyncIterable<PcmChunk>[] {
    this.calls.push(requests.map((r) => r.text));
    const gate = this.hold?.test(requests[0]?.text ?? '') && !this.opened ? new Promise<void>((resolve) => this.waiters.push(resolve)) : null;
    if (gate) this.held++;
    const inner = this.inner;
    return requests.map((request, i) =>
      (async function* () {
        await gate;
        yield* inner.synthesize(request, { signal: options.signals?.[i] });
      })(),
    );
  }
}
