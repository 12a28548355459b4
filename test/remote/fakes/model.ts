// The stand-in for Fun-CosyVoice3 inside the fake remote servers. CI has no GPU and no weights,
// so the model is replaced at the process boundary the real servers have too (the server process
// and its model): the fakes speak the official wire formats byte for byte, and the audio they
// send is real speech from the embedded espeak-ng engine, resampled to the model's 24 kHz.
// What the fakes receive is recorded so tests can check what cosyfleet sent.
import { EspeakEngine } from '../../../src/engines/espeak/engine.js';
import { createResampler } from '../../../src/audio/resample.js';
import { detectLanguage } from '../../../src/text/language.js';
import { COSYVOICE3_PROMPT_PREFIX } from '../../../src/engines/remote/cosyvoice3.js';

export const MODEL_RATE = 24000;

/** Faults a test arms on a fake server; each applies to the next requests and counts down. */
export interface Faults {
  /** This many requests fail before any audio (connection dropped / error response). */
  failBeforeAudio: number;
  /** The next request sends this many pieces of audio and then the connection dies. */
  dieAfterPieces: number | null;
  /** Every request waits this long before its first audio (the slow-server case). */
  delayFirstAudioMs: number;
}

export function noFaults(): Faults {
  return { failBeforeAudio: 0, dieAfterPieces: null, delayFirstAudioMs: 0 };
}

export interface SpeakOptions {
  /** A speaker id the fake knows, or undefined for a cloned (prompt) voice. */
  speaker?: string;
  speed?: number;
}

/** espeak presets standing in for speakers saved in the model. */
const SPEAKERS: Record<string, string> = { 中文女: 'mei', 英文男: 'sam', default: 'ava' };

export class StandInModel {
  readonly espeak = new EspeakEngine({ workers: 2 });
  /** Requests in flight (the slow-server test watches it fall back to zero). */
  active = 0;

  async start(): Promise<void> {
    await this.espeak.start();
  }

  /** Speaks text as the model would: 24 kHz float pieces, one per espeak chunk. */
  async *speak(text: string, options: SpeakOptions = {}): AsyncGenerator<Float32Array> {
    // The real model reads CosyVoice3's system prompt as an instruction, not as words.
    const words = text.startsWith(COSYVOICE3_PROMPT_PREFIX) ? text.slice(COSYVOICE3_PROMPT_PREFIX.length) : text;
    const language = detectLanguage(words);
    const voice = SPEAKERS[options.speaker ?? 'default'] ?? 'ava';
    const speed = Math.min(2, Math.max(0.5, options.speed ?? 1));
    const resampler = await createResampler(this.espeak.capabilities.sampleRate, MODEL_RATE);
    this.active++;
    try {
      for await (const chunk of this.espeak.synthesize({ text: words, mode: 'preset', voice, language, speed })) {
        const out = resampler.process(chunk.samples);
        if (out.length > 0) yield out.slice();
      }
      const tail = resampler.flush();
      if (tail.length > 0) yield tail.slice();
    } finally {
      resampler.destroy();
      this.active--;
    }
  }

  knowsSpeaker(id: string): boolean {
    return id in SPEAKERS && id !== 'default';
  }

  close(): Promise<void> {
    return this.espeak.close();
  }
}
