// Runs on the audio rendering thread (an AudioWorklet, loaded by recorder.ts from its own built
// asset: the page's CSP allows scripts from the service only). It copies the microphone's first
// channel and posts it to the page in blocks of about 40 ms, with each block's peak, so the page
// both keeps the samples and drives the level meter without a second analysis path.

// The AudioWorklet global scope is not in TypeScript's DOM library: what this file uses of it.
declare abstract class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, processor: new () => AudioWorkletProcessor): void;
declare const sampleRate: number;

/** The name recorder.ts asks for. */
const NAME = 'cosyfleet-capture';

class CaptureProcessor extends AudioWorkletProcessor {
  private block = new Float32Array(Math.max(128, Math.round(sampleRate * 0.04)));
  private filled = 0;

  process(inputs: Float32Array[][]): boolean {
    const input = inputs[0]?.[0];
    if (!input) return true;
    let offset = 0;
    while (offset < input.length) {
      const n = Math.min(input.length - offset, this.block.length - this.filled);
      this.block.set(input.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === this.block.length) this.flush();
    }
    return true;
  }

  private flush(): void {
    let peak = 0;
    for (const s of this.block) peak = Math.max(peak, Math.abs(s));
    const samples = this.block;
    // Transferred, not copied (which empties `samples`): a fresh block for the next 40 ms.
    this.block = new Float32Array(samples.length);
    this.filled = 0;
    this.port.postMessage({ samples, peak }, [samples.buffer]);
  }
}

registerProcessor(NAME, CaptureProcessor);

// A module, so the declarations above stay out of the other files' global scope.
export {};
