// A test double at the engine boundary: it declares batching, as a GPU model does (CosyVoice3
// cannot run here), and records every engine call with the texts it carried. Each segment of a
// batch is still synthesized by the wrapped real engine; only the batching claim is the double's.
import type { PcmChunk } from '../../src/audio/pcm.js';
import type { BatchSynthesizeOptions, Engine, EngineCapabilities, SynthesisRequest, SynthesizeOptions } from '../../src/engines/engine.js';
import { WrappedEngine } from './wrapped-engine.js';

export class BatchingEngine extends WrappedEngine {
  private readonly caps: EngineCapabilities;
  /** Texts of each engine call, in call order. */
  readonly calls: string[][] = [];

  constructor(inner: Engine, maxBatch: number) {
    super(inner);
    this.caps = Object.freeze({ ...inner.capabilities, name: 'batching-standin', batching: { supported: true, maxBatch }, concurrency: 1 });
  }

  override get capabilities(): EngineCapabilities {
    return this.caps;
  }

  override synthesize(request: SynthesisRequest, options: SynthesizeOptions = {}): AsyncIterable<PcmChunk> {
    return this.synthesizeBatch([request], { signals: [options.signal] })[0] as AsyncIterable<PcmChunk>;
  }

  /** The gate holds a whole call by its first text. */
  synthesizeBatch(requests: readonly SynthesisRequest[], options: BatchSynthesizeOptions = {}): AsyncIterable<PcmChunk>[] {
    this.calls.push(requests.map((r) => r.text));
    const held = this.gate.wait(requests[0]?.text ?? '');
    const inner = this.inner;
    return requests.map((request, i) =>
      (async function* () {
        await held;
        yield* inner.synthesize(request, { signal: options.signals?.[i] });
      })(),
    );
  }
}
