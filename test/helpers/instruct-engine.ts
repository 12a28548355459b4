// Stands in for CosyVoice3 where an engine with instruct mode is needed: the real model is a GPU
// process that cannot run here. It declares instruct mode and records the instruction each
// request carries, then speaks with the real espeak engine in preset mode; nothing about the
// service's handling of the instruction is faked.
import type { PcmChunk } from '../../src/audio/pcm.js';
import type { Engine, EngineCapabilities, Instruction, SynthesisRequest, SynthesizeOptions } from '../../src/engines/engine.js';
import { WrappedEngine } from './wrapped-engine.js';

export class InstructEngine extends WrappedEngine {
  private readonly caps: EngineCapabilities;
  /** The instruction of every synthesized segment, in order. */
  readonly instructions: (Instruction | undefined)[] = [];
  readonly modes: string[] = [];

  constructor(inner: Engine) {
    super(inner);
    this.caps = Object.freeze({ ...inner.capabilities, name: 'instruct-standin', modes: ['preset', 'instruct'] as const });
  }

  override get capabilities(): EngineCapabilities {
    return this.caps;
  }
  override check(request: SynthesisRequest) {
    return this.inner.check({ ...request, mode: 'preset' });
  }
  override synthesize(request: SynthesisRequest, options?: SynthesizeOptions): AsyncIterable<PcmChunk> {
    this.instructions.push(request.instruction);
    this.modes.push(request.mode);
    return this.inner.synthesize({ ...request, mode: 'preset' }, options);
  }
}
