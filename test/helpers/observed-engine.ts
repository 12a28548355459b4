// Wraps a real engine (a WrappedEngine) to observe and optionally hold back segment calls. It
// delegates every call to the wrapped engine; nothing about synthesis is faked. `failSegment` injects an
// engine failure after real audio, standing in for a worker crash (issue 4 kills real ones).
import type { PcmChunk } from '../../src/audio/pcm.js';
import { AppError } from '../../src/errors/app-error.js';
import type { SynthesisRequest, SynthesizeOptions } from '../../src/engines/engine.js';
import { WrappedEngine } from './wrapped-engine.js';

export class ObservedEngine extends WrappedEngine {
  readonly events: string[] = [];
  segmentsStarted = 0;
  segmentsFinished = 0;
  abortedSignals = 0;
  /** When set, the segment with this index waits for `release()` before synthesizing. */
  holdSegment: number | null = null;
  /** When set, the segment with this index fails after its audio, as a crashed engine would. */
  failSegment: number | null = null;
  private releaseHold: () => void = () => {};
  private readonly holding = new Promise<void>((resolve) => (this.releaseHold = resolve));

  release(): void {
    this.events.push('released');
    this.releaseHold();
  }

  override async *synthesize(request: SynthesisRequest, options: SynthesizeOptions = {}): AsyncGenerator<PcmChunk> {
    const index = this.segmentsStarted++;
    options.signal?.addEventListener('abort', () => this.abortedSignals++, { once: true });
    if (index === this.holdSegment) {
      this.events.push(`segment ${index} held`);
      await this.holding;
    }
    this.events.push(`segment ${index} start`);
    yield* this.inner.synthesize(request, options);
    if (index === this.failSegment) {
      this.events.push(`segment ${index} failed`);
      throw new AppError('engine_failed', `injected failure in segment ${index}`);
    }
    this.segmentsFinished++;
    this.events.push(`segment ${index} end`);
  }
}
