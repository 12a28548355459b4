// Engine `cosyvoice`: Fun-CosyVoice3-0.5B on this machine's GPUs through the official `cosyvoice`
// package. The model runs in Python workers (workers/cosyvoice/worker.py), one per GPU
// (WORKER_PROCESSES, WORKER_GPUS -> CUDA_VISIBLE_DEVICES), supervised like every process engine:
// heartbeats, recycling, crash retry, and the worker-requested replacement after CUDA out of memory.
// This file describes the model to the service (modes, languages, voices, request checks); the
// worker maps the modes onto the package: preset -> inference_sft, clone -> inference_zero_shot,
// cross_lingual -> inference_cross_lingual, instruct -> inference_instruct2.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { AppError } from '../../errors/app-error.js';
import { processEngineFromConfig } from '../../workers/from-config.js';
import type { ProcessEngine } from '../../workers/process-engine.js';
import type { WorkerCapabilities } from '../../workers/protocol.js';
import {
  type Engine,
  type EngineCapabilities,
  type EngineHealth,
  type SynthesisRequest,
  type SynthesisWarning,
  type Voice,
} from '../engine.js';
import { cosyVoice3Capabilities, refuseUnsupported } from '../remote/cosyvoice3.js';

export const COSYVOICE_ENGINE = 'cosyvoice';
/** Fun-CosyVoice3's output rate (its HiFT vocoder). */
export const COSYVOICE3_SAMPLE_RATE = 24_000;

/** The worker program, found from this file in src/ and in dist/ alike (both sit two levels below the package root). */
export const COSYVOICE_WORKER_SCRIPT = fileURLToPath(new URL('../../../workers/cosyvoice/worker.py', import.meta.url));

export interface CosyVoiceModelOptions {
  /** Preset speaker ids (spk2info.pt) known before any worker reports its own. */
  readonly speakers: readonly string[];
  /** Segments one worker runs at once (its threads). */
  readonly concurrencyPerWorker: number;
  readonly streaming: boolean;
}

/**
 * What the service knows about the model without running it. Never started: synthesis happens in
 * the workers (ProcessEngine). Its prepareVoice marks the engine as one that caches prompts.
 */
export class CosyVoiceModel implements Engine {
  readonly capabilities: EngineCapabilities;
  private readonly presets: Set<string>;

  constructor(private readonly options: CosyVoiceModelOptions) {
    this.presets = new Set(options.speakers);
    this.capabilities = cosyVoice3Capabilities({
      name: COSYVOICE_ENGINE,
      description: 'Fun-CosyVoice3-0.5B on local GPUs through the official cosyvoice package: zero-shot cloning, cross-lingual, instructions, pronunciation tokens.',
      modes: ['preset', 'clone', 'cross_lingual', 'instruct'],
      streaming: options.streaming,
      sampleRate: COSYVOICE3_SAMPLE_RATE,
      // Threads in one worker (the package has no batched call; vLLM batches their LLM steps).
      concurrency: options.concurrencyPerWorker,
      speed: { min: 0.5, max: 2 },
      license: 'Apache-2.0 (CosyVoice code and Fun-CosyVoice3 weights)',
    });
  }

  /** Speakers a worker's model reported (its spk2info.pt). */
  addPresets(ids: readonly string[]): void {
    for (const id of ids) this.presets.add(id);
  }

  async start(): Promise<void> {
    throw new Error('the cosyvoice engine runs only in worker processes');
  }

  health(): EngineHealth {
    return { ready: false, detail: 'description only; the workers synthesize' };
  }

  async listVoices(): Promise<readonly Voice[]> {
    return [...this.presets].sort().map((id) => ({
      id,
      name: id,
      kind: 'preset' as const,
      engine: COSYVOICE_ENGINE,
      languages: [],
      description: 'A speaker saved in the model (spk2info.pt), spoken with inference_sft.',
    }));
  }

  async prepareVoice(): Promise<void> {
    // The workers prepare voices (add_zero_shot_spk); this instance never synthesizes.
  }

  check(request: SynthesisRequest): SynthesisWarning[] {
    const caps = this.capabilities;
    refuseUnsupported(caps, request);
    if (request.mode === 'instruct' && !request.instruction) {
      throw new AppError('missing_field', 'mode "instruct" needs an instruction in "instruct".', { param: 'instruct' });
    }
    if (!request.prompt) {
      if (request.mode !== 'preset') {
        throw new AppError('invalid_value', `Mode "${request.mode}" needs a cloned voice from the voice library; "${request.voice}" is a preset speaker.`, { param: 'voice' });
      }
      if (!this.presets.has(request.voice)) {
        const known = [...this.presets].sort();
        throw new AppError(
          'unknown_voice',
          `The ${caps.name} engine has no voice "${request.voice}"; ${known.length > 0 ? `its preset speakers are ${known.join(', ')}` : 'the model has no preset speakers (set COSYVOICE_SPEAKERS, or use a cloned voice from the library)'}.`,
          { param: 'voice' },
        );
      }
    }
    const warnings: SynthesisWarning[] = [];
    if (request.seed !== undefined && this.options.concurrencyPerWorker > 1) {
      warnings.push({
        code: 'seed_not_reproducible',
        message: 'The seed is set for the whole worker process; with WORKER_CONCURRENCY > 1 segments running beside this one draw from the same generators, so the result may differ between runs.',
        param: 'seed',
      });
    }
    return warnings;
  }

  // eslint-disable-next-line require-yield -- never called: ProcessEngine sends segments to the workers
  async *synthesize(): AsyncGenerator<never> {
    throw new AppError('engine_unavailable', 'The cosyvoice engine synthesizes only in its worker processes.');
  }

  async close(): Promise<void> {}
}

/** The worker's settings as its environment (docs/worker-protocol.md, workers/cosyvoice/worker.py). */
export function cosyVoiceWorkerEnv(config: Config): Record<string, string> {
  const bit = (on: boolean) => (on ? '1' : '0');
  return {
    COSYVOICE_MODEL_DIR: resolve(config.cosyvoiceModelDir),
    COSYVOICE_LOAD_VLLM: bit(config.cosyvoiceLoadVllm),
    COSYVOICE_LOAD_TRT: bit(config.cosyvoiceLoadTrt),
    COSYVOICE_STREAM: bit(config.cosyvoiceStream),
    COSYVOICE_BAD_AUDIO_LIMIT: String(config.cosyvoiceBadAudioLimit),
    // The package logs every text piece at INFO and configures DEBUG itself: only cosyfleet's debug shows it.
    COSYVOICE_PACKAGE_LOG_LEVEL: config.logLevel === 'debug' || config.logLevel === 'trace' ? 'DEBUG' : 'WARNING',
    // stderr lines reach the service log as they are written.
    PYTHONUNBUFFERED: '1',
    PYTHONIOENCODING: 'utf-8',
    ...(config.cosyvoicePythonPath ? { PYTHONPATH: config.cosyvoicePythonPath } : {}),
  };
}

export function createCosyVoiceEngine(config: Config, log?: Logger, env: Record<string, string> = {}): ProcessEngine {
  const model = new CosyVoiceModel({ speakers: config.cosyvoiceSpeakers, concurrencyPerWorker: config.workerConcurrency, streaming: config.cosyvoiceStream });
  const engine = processEngineFromConfig(config, model, {
    command: { command: config.cosyvoicePython, args: ['-u', COSYVOICE_WORKER_SCRIPT] },
    env: { ...cosyVoiceWorkerEnv(config), ...env },
    ...(log ? { log } : {}),
  });
  engine.supervisor.on('worker-capabilities', (caps: WorkerCapabilities) => model.addPresets(caps.voices ?? []));
  return engine;
}
