// The microphone, recorded as raw samples: getUserMedia (the browser's own processing off, so
// the server judges the voice and not a noise suppressor), an AudioContext and the capture
// worklet (capture-worklet.ts), which posts 40 ms blocks with their peaks. Lengths are counted
// in samples received, not by a clock, so the timer shows exactly what will be uploaded.
import workletUrl from './capture-worklet.ts?worker&url';

export interface Take {
  blocks: Float32Array[];
  sampleRate: number;
  seconds: number;
  /** The loudest sample of the take, 0–1. */
  peak: number;
}

export interface RecorderEvents {
  /** After each block: its peak and the take's length so far. */
  onBlock: (peak: number, seconds: number) => void;
}

/** Why the microphone could not start, for the page to say in its language. */
export type MicrophoneProblem = 'insecure' | 'denied' | 'missing' | 'busy' | 'other';

export class MicrophoneError extends Error {
  constructor(
    readonly problem: MicrophoneProblem,
    message: string,
  ) {
    super(message);
    this.name = 'MicrophoneError';
  }
}

export class Recorder {
  private readonly blocks: Float32Array[] = [];
  private frames = 0;
  private peak = 0;
  private stopped = false;

  private constructor(
    private readonly stream: MediaStream,
    private readonly context: AudioContext,
    private readonly node: AudioWorkletNode,
    events: RecorderEvents,
  ) {
    node.port.onmessage = (event: MessageEvent<{ samples: Float32Array; peak: number }>) => {
      if (this.stopped) return;
      const { samples, peak } = event.data;
      this.blocks.push(samples);
      this.frames += samples.length;
      this.peak = Math.max(this.peak, peak);
      events.onBlock(peak, this.frames / context.sampleRate);
    };
  }

  /** Asks for the microphone (the browser may prompt) and starts recording. */
  static async start(events: RecorderEvents): Promise<Recorder> {
    if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
      throw new MicrophoneError('insecure', 'getUserMedia is unavailable on a page that is not https or localhost.');
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      });
    } catch (err) {
      const name = err instanceof DOMException ? err.name : '';
      const problem: MicrophoneProblem =
        name === 'NotAllowedError' || name === 'SecurityError' ? 'denied' : name === 'NotFoundError' || name === 'OverconstrainedError' ? 'missing' : name === 'NotReadableError' ? 'busy' : 'other';
      throw new MicrophoneError(problem, err instanceof Error ? err.message : String(err));
    }
    const context = new AudioContext();
    try {
      await context.audioWorklet.addModule(workletUrl);
      const source = context.createMediaStreamSource(stream);
      // No outputs: nothing is played back (no echo through the speakers); the node is still pulled.
      const node = new AudioWorkletNode(context, 'cosyfleet-capture', { numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1, channelCountMode: 'explicit' });
      const recorder = new Recorder(stream, context, node, events);
      source.connect(node);
      await context.resume();
      return recorder;
    } catch (err) {
      stream.getTracks().forEach((track) => track.stop());
      void context.close();
      throw new MicrophoneError('other', err instanceof Error ? err.message : String(err));
    }
  }

  /** Stops and releases the microphone; the samples received so far are the take. */
  stop(): Take {
    if (!this.stopped) {
      this.stopped = true;
      this.node.port.onmessage = null;
      this.node.disconnect();
      this.stream.getTracks().forEach((track) => track.stop());
      void this.context.close();
    }
    return { blocks: this.blocks, sampleRate: this.context.sampleRate, seconds: this.frames / this.context.sampleRate, peak: this.peak };
  }
}
