// Builds the engine named by COSYFLEET_ENGINE. New engines are added here and nowhere else.
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Engine } from './engine.js';
import { EspeakEngine } from './espeak/engine.js';

export function createEngine(config: Config, log: Logger): Engine {
  switch (config.engine) {
    case 'espeak':
      return new EspeakEngine({
        workers: config.espeakWorkers,
        onWorkerError: (err) => log.error({ err }, 'espeak worker failed'),
      });
  }
}
