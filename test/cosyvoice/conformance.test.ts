// The `cosyvoice` engine through the engine conformance suite: real Python worker processes
// under the real supervisor; only the model is a stand-in (test/cosyvoice/helpers.ts).
import { after } from 'node:test';
import { runEngineConformance } from '../../src/engines/conformance.js';
import { loadConfig } from '../../src/config/config.js';
import { createCosyVoiceEngine } from '../../src/engines/cosyvoice/engine.js';
import { cosyvoiceSettings, standIn, STANDIN_SPEAKERS, type StandIn } from './helpers.js';

let model: StandIn | undefined;
after(() => model?.remove());

runEngineConformance('cosyvoice (Python workers, stand-in model)', async () => {
  model ??= await standIn();
  const config = loadConfig({ env: {}, overrides: { logLevel: 'silent', ...cosyvoiceSettings(model, { workerProcesses: 2, cosyvoiceSpeakers: STANDIN_SPEAKERS }) } });
  return createCosyVoiceEngine(config);
});
