// One espeak-ng WASM instance in a worker thread. synthesize() is synchronous inside WASM, so
// chunks are posted from its callback as they are made (streaming), and cancellation comes
// through shared memory: the callback returns 1 (espeak's "abort") once the main thread has
// written this job's id into the abort slot.
import { parentPort, workerData } from 'node:worker_threads';
import init from '@echogarden/espeak-ng-emscripten';
import type { SynthJob, WorkerInit, WorkerToMain } from './protocol.js';

if (!parentPort) throw new Error('espeak worker must run in a worker thread');
const port = parentPort;
const abortSlot = new Int32Array((workerData as WorkerInit).abortFlag);
const post = (msg: WorkerToMain, transfer?: ArrayBuffer[]) => port.postMessage(msg, transfer ?? []);

const module = await init();
const espeak = new module.eSpeakNGWorker();
let currentVoice = '';

port.on('message', (job: SynthJob) => {
  const started = performance.now();
  try {
    if (job.voice !== currentVoice) {
      const rc = espeak.set_voice(job.voice);
      if (rc !== 0) throw new Error(`espeak-ng rejected voice "${job.voice}" (code ${rc})`);
      currentVoice = job.voice;
    }
    espeak.set_rate(job.rate);
    let aborted = false;
    espeak.synthesize(job.text, (samples) => {
      if (Atomics.load(abortSlot, 0) === job.jobId) {
        aborted = true;
        return 1;
      }
      if (samples && samples.length > 0) post({ type: 'chunk', jobId: job.jobId, samples }, [samples.buffer as ArrayBuffer]);
      return 0;
    });
    post({ type: 'done', jobId: job.jobId, aborted, ms: performance.now() - started });
  } catch (err) {
    currentVoice = '';
    post({ type: 'error', jobId: job.jobId, message: err instanceof Error ? err.message : String(err) });
  }
});

post({ type: 'ready', voices: espeak.list_voices().map((v) => v.identifier) });
