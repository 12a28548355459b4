// The doctor's check of the embedded engine (COSYFLEET_ENGINE=espeak): the espeak-ng WASM engine
// loads in a worker thread and speaks a sentence, as the service's first request would.
import type { Config } from '../config/config.js';
import { EspeakEngine } from '../engines/espeak/engine.js';
import { DEFAULT_ESPEAK_VOICE } from '../engines/espeak/voices.js';
import type { CheckResult } from './checks.js';

export async function checkEmbedded(config: Config): Promise<CheckResult> {
  const id = 'embedded-engine';
  const title = 'Embedded engine (espeak-ng)';
  const engine = new EspeakEngine({ workers: 1 });
  try {
    await engine.start();
    let samples = 0;
    for await (const chunk of engine.synthesize({ text: 'cosyfleet doctor.', mode: 'preset', voice: DEFAULT_ESPEAK_VOICE, language: 'en', speed: 1 })) samples += chunk.samples.length;
    if (samples === 0) return { id, title, status: 'fail', detail: 'espeak-ng loaded but produced no audio.', fix: 'Reinstall the dependencies: npm ci.' };
    const seconds = samples / engine.capabilities.sampleRate;
    return { id, title, status: 'ok', detail: `espeak-ng loads and speaks (${seconds.toFixed(1)} s of test audio at ${engine.capabilities.sampleRate} Hz); ESPEAK_WORKERS=${config.espeakWorkers} threads will serve.` };
  } catch (err) {
    return { id, title, status: 'fail', detail: `espeak-ng did not load or speak: ${(err as Error).message}`, fix: 'Reinstall the dependencies: npm ci (espeak-ng comes from npm).' };
  } finally {
    await engine.close();
  }
}
