import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runEngineConformance } from '../../src/engines/conformance.js';
import type { SynthesisRequest, VoicePrompt } from '../../src/engines/engine.js';
import { estimateMedianPitch } from '../../src/voices/pitch.js';
import { espeakProcesses, workerConfig } from './helpers.js';

// espeak in real worker processes, over the worker protocol; nothing is mocked.
runEngineConformance('espeak in worker processes', async () => espeakProcesses(workerConfig()), { deterministic: true });

describe('espeak in worker processes: a cloned voice crosses the worker protocol whole', () => {
  it('a high voice declared male is spoken by the male preset in the worker, as in the service', async () => {
    const engine = espeakProcesses(workerConfig({ workerProcesses: 1 }));
    try {
      await engine.start();
      const base = { text: 'A declared gender, heard in the pitch of the voice.', language: 'en', mode: 'preset', speed: 1 } as const;
      // espeak's output is not bit-identical from call to call, so the preset is told by its pitch.
      const pitchOf = async (request: SynthesisRequest) => {
        const parts: Float32Array[] = [];
        for await (const chunk of engine.synthesize(request)) parts.push(chunk.samples);
        const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) samples.set(p, (at += p.length) - p.length);
        return estimateMedianPitch(samples, engine.capabilities.sampleRate) ?? Number.NaN;
      };
      const prompt: VoicePrompt = { id: 'voice_declaredmale01', version: 1, transcript: 'Hello.', language: 'en', sampleRate: 16000, pitchHz: 230, loadAudio: async () => new Float32Array(16000) };
      await engine.prepareVoice?.(prompt);
      const byPitch = await pitchOf({ ...base, voice: prompt.id, prompt });
      const declared = await pitchOf({ ...base, voice: prompt.id, prompt: { ...prompt, gender: 'male' } });
      const male = await pitchOf({ ...base, voice: 'sam' });
      assert.ok(byPitch > 165, `without a gender, a 230 Hz voice is approximated by the female preset (${byPitch} Hz)`);
      assert.ok(declared < 165 && Math.abs(declared - male) < 15, `declared male: ${declared} Hz, the male preset ${male} Hz`);
    } finally {
      await engine.close();
    }
  });
});
