import { runEngineConformance } from '../conformance.js';
import { EspeakEngine } from './engine.js';

// The embedded engine runs for real (WASM in worker threads); nothing is mocked.
runEngineConformance('espeak', async () => new EspeakEngine({ workers: 2 }), { deterministic: true });
