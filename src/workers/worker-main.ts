// Entry point of a worker process (COSYFLEET_WORKERS=process): one engine served over the worker
// protocol on stdin/stdout. This is a separate program, so its settings come from the
// environment the supervisor gives it (CUDA_VISIBLE_DEVICES, COSYFLEET_FP16 and the
// COSYFLEET_WORKER_* variables below), not from the service's config module.
import type { Engine } from '../engines/engine.js';
import { EspeakEngine } from '../engines/espeak/engine.js';
import { SyntheticEngine, L20_COSYVOICE3_PROFILE, type SyntheticProfile } from './synthetic-engine.js';
import { serveEngine } from './worker-runtime.js';

const env = process.env;
// stdout carries the protocol; anything a library prints must not corrupt it.
Object.assign(console, { log: console.error, info: console.error, warn: console.error, debug: console.error });

function createEngine(): Engine {
  const concurrency = Math.max(1, Number(env.COSYFLEET_WORKER_CONCURRENCY ?? '1') || 1);
  switch (env.COSYFLEET_WORKER_ENGINE ?? 'espeak') {
    case 'espeak':
      return new EspeakEngine({ workers: concurrency, onWorkerError: (err) => console.error(`espeak worker thread failed: ${err.message}`) });
    case 'synthetic': {
      const given = env.COSYFLEET_SYNTHETIC_PROFILE ? (JSON.parse(env.COSYFLEET_SYNTHETIC_PROFILE) as Partial<SyntheticProfile>) : {};
      return new SyntheticEngine({ ...L20_COSYVOICE3_PROFILE, concurrency, ...given });
    }
    default:
      throw new Error(`unknown COSYFLEET_WORKER_ENGINE "${env.COSYFLEET_WORKER_ENGINE}"`);
  }
}

process.on('uncaughtException', (err) => {
  console.error(`worker crashed: ${err.stack ?? err.message}`);
  process.exit(70);
});

await serveEngine(createEngine(), {
  input: process.stdin,
  output: process.stdout,
  exit: (code) => process.exit(code),
  log: (m) => console.error(m),
  device: { cudaVisibleDevices: env.CUDA_VISIBLE_DEVICES ?? null, fp16: env.COSYFLEET_FP16 === '1' },
});
