// The audio the codec benches measure with: real speech from the embedded espeak engine
// (22.05 kHz mono float), a few paragraphs read until there is enough of it.
import { EspeakEngine } from '../src/engines/espeak/engine.js';
import { concatFloat32 } from '../src/audio/pcm.js';

/** espeak's output rate: what the service's codec path receives from the embedded engine. */
export const SPEECH_RATE = 22050;

const TEXT = [
  'Speech synthesis turns written text into audio that a listener can follow without reading.',
  'A service that does it well has to be fast, predictable under load, and honest about its limits.',
  'It covers numbers like 42 and 3.14, abbreviations such as Dr. Smith, and a question or two?',
  'The quick brown fox jumps over the lazy dog, while six sleek swans swam swiftly southwards.',
  'Every sentence adds a little more audio, so the measurement settles to its steady value.',
].join(' ');

/** `seconds` of espeak speech at SPEECH_RATE. */
export async function espeakSpeech(seconds: number): Promise<Float32Array> {
  const engine = new EspeakEngine({ workers: 1 });
  await engine.start();
  const parts: Float32Array[] = [];
  let samples = 0;
  try {
    while (samples < seconds * SPEECH_RATE) {
      for await (const c of engine.synthesize({ text: TEXT, mode: 'preset', voice: 'mei', language: 'en', speed: 1 })) {
        if (c.sampleRate !== SPEECH_RATE) throw new Error(`espeak spoke at ${c.sampleRate} Hz, expected ${SPEECH_RATE}`);
        parts.push(c.samples);
        samples += c.samples.length;
      }
    }
  } finally {
    await engine.close();
  }
  return concatFloat32(parts).subarray(0, Math.round(seconds * SPEECH_RATE));
}
