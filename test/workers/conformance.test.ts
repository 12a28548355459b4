import { runEngineConformance } from '../../src/engines/conformance.js';
import { espeakProcesses, workerConfig } from './helpers.js';

// espeak in real worker processes, over the worker protocol; nothing is mocked.
runEngineConformance('espeak in worker processes', async () => espeakProcesses(workerConfig()), { deterministic: true });
