// Messages between the espeak pool (main thread) and its worker threads.

export interface SynthJob {
  type: 'synth';
  jobId: number;
  /** espeak input: SSML-escaped text with `[[...]]` phoneme runs. */
  text: string;
  /** espeak voice id, e.g. `cmn+f2`. */
  voice: string;
  /** Words per minute. */
  rate: number;
}

export type WorkerToMain =
  | { type: 'ready'; voices: string[] }
  | { type: 'chunk'; jobId: number; samples: Int16Array }
  | { type: 'done'; jobId: number; aborted: boolean; ms: number }
  | { type: 'error'; jobId: number; message: string };

export interface WorkerInit {
  /** Int32Array view over it: slot 0 holds the job id the main thread wants aborted. */
  abortFlag: SharedArrayBuffer;
}

/** espeak-ng's output rate (fixed by the build). */
export const ESPEAK_SAMPLE_RATE = 22050;
