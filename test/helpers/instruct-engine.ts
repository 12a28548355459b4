// Stands in for CosyVoice3 where an engine with instruct mode is needed: the real model is a GPU
// process that cannot run here. It declares instruct mode and records the instruction each
// request carries, then speaks with the real espeak engine in preset mode; nothing about the
// service's handling of the instruction is faked.
import type { PcmChunk } from '../../src/audio/pcm.js';
import type { Engine, EngineCapabilities, Instruction, SynthesisRequest, SynthesizeOptions } from '../../src/engines/engine.js';

export class InstructEngine implements Engine {
  readonly capabilities: EngineCapabilities;
  /** The instruction of every synthesized segment, in order. */
  readonly instructions: (Instruction | undefined)[] = [];
  readonly modes: string[] = [];

  constructor(readonly inner: Engine) {
    this.capabilities = Object.freeze({ ...inner.capabilities, name: 'instruct-standin', modes: ['preset', 'instruct'] as const });
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
  close() {
    return this.inner.close();
  }
  check(request: SynthesisRequest) {
    return this.inner.check({ ...request, mode: 'preset' });
  }
  synthesize(request: SynthesisRequest, options?: SynthesizeOptions): AsyncIterable<PcmChunk> {
    this.instructions.push(request.instruction);
    this.modes.push(request.mode);
    return this.inner.synthesize({ ...request, mode: 'preset' }, options);
  }
}
