// Builds the process-mode engine from the service configuration: N worker processes (this
// package's own worker, src/workers/worker-main, unless another program is given), each with its
// environment (a GPU from WORKER_GPUS, the fp16 flag, the engine and its concurrency) and the
// recycling policy.
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { SETTINGS, type SettingSpec } from '../config/settings.js';
import type { Engine } from '../engines/engine.js';
import { GpuMemoryProbe } from './gpu-memory.js';
import { ProcessEngine, builtinWorkerCommand, supervisorLog } from './process-engine.js';
import type { WorkerSpec } from './worker-process.js';
import type { RecyclePolicy } from './supervisor.js';

/** Heartbeats a worker may miss before it is killed as hung. */
export const HEARTBEAT_MISSES = 5;
/** RTF samples that make up a worker's own baseline. */
export const RTF_BASELINE_JOBS = 5;

type WorkerConfig = Pick<
  Config,
  | 'workerProcesses'
  | 'workerConcurrency'
  | 'workerGpus'
  | 'workerFp16'
  | 'workerStartTimeoutMs'
  | 'workerHeartbeatMs'
  | 'workerDrainTimeoutMs'
  | 'workerSegmentStallMs'
  | 'workerRecycleJobs'
  | 'workerRecycleMinutes'
  | 'workerRecycleRssMb'
  | 'workerRecycleGpuMb'
  | 'workerRecycleRtfPercent'
  | 'workerBackoffMs'
  | 'workerBackoffMaxMs'
>;

/**
 * The environment of worker `slot`: the service's own (PATH, HOME, proxies...) minus its
 * secrets, plus the worker's settings.
 */
export function workerEnv(config: WorkerConfig, engine: string, slot: number, base: NodeJS.ProcessEnv, extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...base };
  for (const spec of SETTINGS as readonly SettingSpec[]) if (spec.secret) delete env[spec.env];
  const gpu = config.workerGpus.length > 0 ? config.workerGpus[slot % config.workerGpus.length] : undefined;
  if (gpu !== undefined) env.CUDA_VISIBLE_DEVICES = gpu;
  env.COSYFLEET_FP16 = config.workerFp16 ? '1' : '0';
  env.COSYFLEET_WORKER_ENGINE = engine;
  env.COSYFLEET_WORKER_CONCURRENCY = String(config.workerConcurrency);
  env.COSYFLEET_WORKER_SLOT = String(slot);
  env.COSYFLEET_SEGMENT_STALL_MS = String(config.workerSegmentStallMs);
  return { ...env, ...extra };
}

export interface ProcessEngineOverrides {
  /** Another worker command (a test fixture), environment and all. */
  spec?: (slot: number) => WorkerSpec;
  /** Another worker program (the Python CosyVoice3 worker), with the usual per-slot environment. */
  command?: { command: string; args: string[] };
  /** Finer recycling than the settings allow (tests: an age in milliseconds). */
  recycle?: Partial<RecyclePolicy>;
  /** More environment for every worker (a synthetic engine's profile, say). */
  env?: Record<string, string>;
  log?: Logger;
}

export function processEngineFromConfig(config: WorkerConfig, describe: Engine, overrides: ProcessEngineOverrides = {}): ProcessEngine {
  const name = describe.capabilities.name;
  const { command, args } = overrides.command ?? builtinWorkerCommand();
  // The one read of process.env outside config: a child inherits the service's environment.
  const base = process.env;
  return new ProcessEngine({
    describe,
    workers: config.workerProcesses,
    concurrencyPerWorker: config.workerConcurrency,
    spec: overrides.spec ?? ((slot) => ({ command, args, env: workerEnv(config, name, slot, base, overrides.env) })),
    timings: { startTimeoutMs: config.workerStartTimeoutMs, heartbeatMs: config.workerHeartbeatMs, heartbeatMisses: HEARTBEAT_MISSES, segmentStallMs: config.workerSegmentStallMs },
    drainTimeoutMs: config.workerDrainTimeoutMs,
    recycle: {
      maxJobs: config.workerRecycleJobs,
      maxAgeMs: config.workerRecycleMinutes * 60_000,
      rssBytes: config.workerRecycleRssMb * 1024 * 1024,
      gpuBytes: config.workerRecycleGpuMb * 1024 * 1024,
      rtfDegradation: config.workerRecycleRtfPercent / 100,
      baselineJobs: RTF_BASELINE_JOBS,
      ...overrides.recycle,
    },
    backoff: { baseMs: config.workerBackoffMs, maxMs: config.workerBackoffMaxMs },
    ...(overrides.log ? { log: supervisorLog(overrides.log) } : {}),
    gpu: new GpuMemoryProbe(),
  });
}
