// Shared set-up for the worker tests: process-mode configs and engines over real child processes.
import { loadConfig, type Config } from '../../src/config/config.js';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import { processEngineFromConfig, type ProcessEngineOverrides } from '../../src/workers/from-config.js';
import type { ProcessEngine } from '../../src/workers/process-engine.js';
import { SyntheticEngine, L20_COSYVOICE3_PROFILE, type SyntheticProfile } from '../../src/workers/synthetic-engine.js';

/** A process-mode config with fast heartbeats and backoff, so failures show up quickly. */
export function workerConfig(overrides: Partial<Record<keyof Config, unknown>> = {}): Config {
  return loadConfig({
    env: {},
    overrides: {
      logLevel: 'silent',
      workers: 'process',
      workerProcesses: 2,
      workerConcurrency: 1,
      workerHeartbeatMs: 200,
      workerBackoffMs: 50,
      workerBackoffMaxMs: 2000,
      workerDrainTimeoutMs: 10_000,
      workerStartTimeoutMs: 30_000,
      ...overrides,
    },
  });
}

export function espeakProcesses(config: Config, overrides: ProcessEngineOverrides = {}): ProcessEngine {
  return processEngineFromConfig(config, new EspeakEngine({ workers: config.workerConcurrency }), overrides);
}


/**
 * Worker processes running the synthetic engine: real processes and protocol, with a service
 * time the test chooses (a stand-in for a GPU model that cannot run here; the audio is a tone).
 */
export function syntheticProcesses(config: Config, profile: Partial<SyntheticProfile>, overrides: ProcessEngineOverrides = {}): ProcessEngine {
  const full: SyntheticProfile = { ...L20_COSYVOICE3_PROFILE, concurrency: config.workerConcurrency, ...profile };
  return processEngineFromConfig(config, new SyntheticEngine(full), { ...overrides, env: { COSYFLEET_SYNTHETIC_PROFILE: JSON.stringify(full), ...overrides.env } });
}
