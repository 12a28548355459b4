// Preset voices for remotes that only clone (the Triton cosyvoice3 model, vLLM-Omni's CosyVoice3):
// recordings the operator puts in REMOTE_VOICES_DIR, each `<name>.<wav|mp3|flac|opus|ogg>` with
// its transcript in `<name>.txt`. They go through the voice library's normalization (16 kHz mono,
// trimmed, 3-30 s of sound), so a preset is exactly what a cloned library voice would be.
// The directory comes from configuration, never from a request.
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { AppError } from '../../errors/app-error.js';
import { normalizePromptAudio } from '../../voices/prompt-audio.js';
import { detectLanguage } from '../../text/language.js';
import type { VoicePrompt } from '../engine.js';

const AUDIO_EXTENSIONS = ['.wav', '.mp3', '.flac', '.opus', '.ogg'];
const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export interface ReferenceVoice {
  readonly name: string;
  readonly prompt: VoicePrompt;
}

/** Loads every reference voice in `dir`; throws an Error naming the file for anything unusable. */
export async function loadReferenceVoices(dir: string): Promise<ReferenceVoice[]> {
  if (!dir) return [];
  let entries: string[];
  try {
    entries = (await readdir(dir)).sort();
  } catch (err) {
    throw new Error(`REMOTE_VOICES_DIR ${dir}: ${(err as Error).message}`);
  }
  const voices: ReferenceVoice[] = [];
  for (const file of entries) {
    const ext = extname(file).toLowerCase();
    if (!AUDIO_EXTENSIONS.includes(ext)) continue;
    const name = file.slice(0, -ext.length);
    const where = `REMOTE_VOICES_DIR ${join(dir, file)}`;
    if (!NAME.test(name)) throw new Error(`${where}: voice names are lowercase letters, digits, "_" and "-" (at most 64)`);
    if (voices.some((v) => v.name === name)) throw new Error(`${where}: another recording is already named "${name}"`);
    let transcript: string;
    try {
      transcript = (await readFile(join(dir, `${name}.txt`), 'utf8')).trim();
    } catch {
      throw new Error(`${where}: needs its transcript in ${name}.txt`);
    }
    if (!transcript) throw new Error(`${where}: ${name}.txt is empty`);
    let normalized;
    try {
      normalized = await normalizePromptAudio(await readFile(join(dir, file)));
    } catch (err) {
      throw new Error(`${where}: ${err instanceof AppError ? err.message : (err as Error).message}`);
    }
    const samples = normalized.samples;
    voices.push({
      name,
      prompt: {
        id: name,
        version: 1,
        transcript,
        language: detectLanguage(transcript),
        sampleRate: normalized.sampleRate,
        ...(normalized.pitchHz === null ? {} : { pitchHz: normalized.pitchHz }),
        loadAudio: async () => samples,
      },
    });
  }
  return voices;
}
