// Builds the engine named by COSYFLEET_ENGINE. New engines are added here and nowhere else.
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Engine } from './engine.js';
import { EspeakEngine } from './espeak/engine.js';
import { CosyVoiceFastApiEngine, cosyVoiceFastApiOptions } from './remote/cosyvoice-fastapi.js';
import { TritonEngine, tritonOptions } from './remote/triton.js';
import { OpenAISpeechEngine, openAISpeechOptions } from './remote/openai-speech.js';
import { processEngineFromConfig } from '../workers/from-config.js';
import { createCosyVoiceEngine } from './cosyvoice/engine.js';

export function createEngine(config: Config, log: Logger): Engine {
  switch (config.engine) {
    case 'espeak':
      // Process mode: each worker process runs WORKER_CONCURRENCY espeak threads.
      if (config.workers === 'process') return processEngineFromConfig(config, new EspeakEngine({ workers: config.workerConcurrency }), { log });
      return new EspeakEngine({
        workers: config.espeakWorkers,
        onWorkerError: (err) => log.error({ err }, 'espeak worker failed'),
      });
    // Fun-CosyVoice3 on this machine: always supervised Python worker processes, one per GPU.
    case 'cosyvoice':
      return createCosyVoiceEngine(config, log);
    // Remote engines: cosyfleet in front of an official CosyVoice3 server (src/engines/remote).
    case 'cosyvoice-fastapi':
      return new CosyVoiceFastApiEngine(cosyVoiceFastApiOptions(config, log));
    case 'triton':
      return new TritonEngine(tritonOptions(config, log));
    case 'openai-speech':
      return new OpenAISpeechEngine(openAISpeechOptions(config, log));
  }
}
