// The settings (src/config/settings.ts names) each instance's cosyfleet runs with, from the
// plan: which engine serves the planned profile, how many streams each GPU takes, and the
// timeouts that must agree with the load balancer's.
import { SETTINGS } from '../../config/settings.js';
import type { FleetPlan } from './plan-input.js';

/** The planner's engines and the cosyfleet engine that fronts each on one instance. */
export const ENGINE_SERVING: Record<string, { cosyfleetEngine: string; settings: (p: FleetPlan) => Record<string, string>; engineUnit?: string }> = {
  // The official runtime/triton_trtllm recipe on the same instance (ports of run_cosyvoice3.sh).
  'cosyvoice3-trtllm': {
    cosyfleetEngine: 'triton',
    engineUnit: 'cosyvoice-engine.service',
    settings: (p) => ({ TRITON_URL: '127.0.0.1:18001', REMOTE_CONCURRENCY: String(p.concurrencyPerGpu * p.gpusPerInstance) }),
  },
  'cosyvoice3-vllm-omni': {
    cosyfleetEngine: 'openai-speech',
    engineUnit: 'cosyvoice-engine.service',
    settings: (p) => ({ OPENAI_SPEECH_URL: 'http://127.0.0.1:8091/v1', REMOTE_CONCURRENCY: String(p.concurrencyPerGpu * p.gpusPerInstance) }),
  },
  'espeak-embedded': {
    cosyfleetEngine: 'espeak',
    settings: () => ({}),
  },
};

/** cosyfleet's own supervised workers (`--engine cosyvoice`): one process per GPU. */
export function cosyvoiceWorkerSettings(p: FleetPlan, modelDir: string): Record<string, string> {
  return {
    WORKER_PROCESSES: String(p.gpusPerInstance),
    WORKER_CONCURRENCY: String(p.concurrencyPerGpu),
    WORKER_GPUS: Array.from({ length: p.gpusPerInstance }, (_, i) => String(i)).join(','),
    COSYVOICE_MODEL_DIR: modelDir,
    COSYVOICE_PYTHON: '/opt/venv/bin/python',
    COSYVOICE_PYTHONPATH: '/opt/CosyVoice:/opt/CosyVoice/third_party/Matcha-TTS',
  };
}

/** The service's defaults these timings are built on (the fleet does not change them). */
function defaultOf(key: string): number {
  const spec = SETTINGS.find((s) => s.key === key);
  if (!spec || typeof spec.default !== 'number') throw new Error(`setting ${key} has no numeric default`);
  return spec.default;
}
const MAX_TEXT_CHARS = defaultOf('maxTextChars');
const QUEUE_DEADLINE_S = defaultOf('queueDeadlineMs') / 1000;

/**
 * Longest synthesis one request can ask for: MAX_TEXT_CHARS of the slowest-spoken language at
 * the per-stream speed of a full GPU, after the longest queue wait. A non-streamed response sends
 * nothing until then, so the balancer's idle timeout and the drain must outlast it.
 */
export function longestSynthesisS(p: FleetPlan): number {
  const audioS = MAX_TEXT_CHARS / p.slowestCharsPerSecond;
  const perStream = p.capacityPerGpuAudioSecondsPerSecond / p.concurrencyPerGpu;
  return Math.ceil(QUEUE_DEADLINE_S + audioS / perStream);
}

/** How long the service drains on SIGTERM or a notice (SHUTDOWN_TIMEOUT_MS; at most its 600 s). */
export function shutdownS(p: FleetPlan): number {
  return Math.min(600, longestSynthesisS(p));
}

/**
 * systemd's stop timeout is the drain plus a margin; the termination lifecycle hook's heartbeat
 * outlasts both and the ExecStopPost that completes it (docs/operations.md, "Spot and scale-in"),
 * so the drain, not the timeout, ends the wait.
 */
export function stopTimeoutS(p: FleetPlan): number {
  return shutdownS(p) + 30;
}
export function lifecycleHeartbeatS(p: FleetPlan): number {
  return stopTimeoutS(p) + 60;
}

/** ALB idle timeout: the longest synthesis with a margin, within ALB's 1-4000 s. */
export function idleTimeoutS(p: FleetPlan): number {
  return Math.min(4000, Math.max(60, Math.ceil(longestSynthesisS(p) * 1.25)));
}

export interface EnvOptions {
  engine: 'plan' | 'cosyvoice';
  modelDir: string;
  port: number;
}

/** The env file of the systemd unit, without the secrets (added at boot from Secrets Manager). */
export function workerEnv(p: FleetPlan, o: EnvOptions): Record<string, string> {
  const serving = ENGINE_SERVING[p.engine];
  if (!serving) throw new Error(`no AWS serving recipe for engine ${p.engine} (known: ${Object.keys(ENGINE_SERVING).join(', ')})`);
  const idle = idleTimeoutS(p);
  return {
    HOST: '0.0.0.0',
    PORT: String(o.port),
    DATA_DIR: '/var/lib/cosyfleet',
    LOG_LEVEL: 'info',
    COSYFLEET_ENGINE: o.engine === 'cosyvoice' ? 'cosyvoice' : serving.cosyfleetEngine,
    ...(o.engine === 'cosyvoice' ? cosyvoiceWorkerSettings(p, o.modelDir) : serving.settings(p)),
    COSYFLEET_INSTANCE_TYPE: p.instanceType,
    COSYFLEET_REGION: p.region,
    // Every connection comes from the balancer's few addresses: a per-address cap would cap the fleet.
    MAX_CONNECTIONS_PER_ADDRESS: '0',
    // The balancer must close idle connections before the service does, never the reverse.
    KEEP_ALIVE_TIMEOUT_MS: String((idle + 5) * 1000),
    // Drain on SIGTERM for as long as the termination lifecycle hook waits.
    SHUTDOWN_TIMEOUT_MS: String(shutdownS(p) * 1000),
  };
}

export function envFileText(env: Record<string, string>): string {
  for (const [k, v] of Object.entries(env)) if (!/^[A-Z][A-Z0-9_]*$/.test(k) || /[\n"\\]/.test(v)) throw new Error(`env file: unsafe entry ${k}`);
  return Object.entries(env).map(([k, v]) => `${k}="${v}"`).join('\n') + '\n';
}
