// espeak-ng's language voices and the named preset timbres cosyfleet offers on top of them.
// A preset is language-agnostic (like CosyVoice's multilingual speakers): the request's
// language picks espeak's language voice, the preset picks its variant (+f2, +m3, ...).
import type { Voice } from '../engine.js';

/** cosyfleet language code -> espeak-ng voice identifier (checked with set_voice at start). */
export const ESPEAK_LANGUAGE_VOICES: Readonly<Record<string, string>> = Object.freeze({
  en: 'en-us',
  cmn: 'cmn',
  yue: 'yue',
  ja: 'ja',
  ko: 'ko',
  de: 'de',
  es: 'es',
  fr: 'fr',
  it: 'it',
  ru: 'ru',
});

export interface EspeakPreset extends Voice {
  /** espeak-ng variant appended as `+variant`; empty for the language voice's own timbre. */
  readonly variant: string;
}

const preset = (id: string, name: string, gender: 'female' | 'male', variant: string, description: string): EspeakPreset =>
  Object.freeze({ id, name, kind: 'preset', engine: 'espeak', gender, languages: [], variant, description });

export const ESPEAK_PRESETS: readonly EspeakPreset[] = Object.freeze([
  preset('mei', 'Mei', 'female', 'f2', 'Bright female timbre (espeak variant f2).'),
  preset('ava', 'Ava', 'female', 'f3', 'Soft female timbre (espeak variant f3).'),
  preset('hao', 'Hao', 'male', 'm3', 'Deep male timbre (espeak variant m3).'),
  preset('sam', 'Sam', 'male', '', 'The language voice\'s own male timbre.'),
  preset('kai', 'Kai', 'male', 'm1', 'Clear male timbre (espeak variant m1).'),
]);

export const DEFAULT_ESPEAK_VOICE = 'mei';

export function espeakVoiceId(language: string, preset: EspeakPreset): string {
  const base = ESPEAK_LANGUAGE_VOICES[language];
  if (!base) throw new Error(`espeak has no voice for language ${language}`);
  return preset.variant ? `${base}+${preset.variant}` : base;
}
