// The server's quality checks of a recording (POST /v1/voices: each refusal its own error code,
// param `audio`) in plain words in the UI language. A code this page does not know is shown in
// the server's own message, so a new check on the server is never hidden.
import type { ApiError, Voice } from '../api/client.js';
import type { MessageKey } from '../i18n/en.js';
import type { Translate } from '../i18n/i18n.js';

/** The server's limits for a prompt recording (src/voices/prompt-audio.ts PROMPT_LIMITS), for the guide. */
export const PROMPT_GUIDE = { minSeconds: 3, maxSeconds: 30, minKhz: 16 } as const;

const WORDS: Readonly<Record<string, MessageKey>> = {
  audio_silent: 'voices.verdict.silent',
  audio_clipped: 'voices.verdict.clipped',
  audio_sample_rate_too_low: 'voices.verdict.rate',
  audio_too_short: 'voices.verdict.short',
  audio_too_long: 'voices.verdict.long',
  audio_unreadable: 'voices.verdict.unreadable',
  body_too_large: 'voices.verdict.tooLarge',
  consent_required: 'voices.verdict.consent',
};

export interface Verdict {
  /** The check in the UI language, or the server's message for a code not in WORDS. */
  words: string;
  /** The server's message, when `words` is a translation of it (shown as the detail). */
  detail: string | null;
  code: string;
}

const khz = (hz: number) => String(Math.round(hz / 100) / 10);

/** A refusal in words; `sampleRate` is the file's own rate when the page could read it (a WAV header). */
export function verdictOf(error: ApiError, t: Translate, sampleRate: number | null = null): Verdict {
  const key = WORDS[error.code];
  if (!key) return { words: error.message, detail: null, code: error.code };
  const vars = { seconds: PROMPT_GUIDE.minSeconds, max: PROMPT_GUIDE.maxSeconds, need: PROMPT_GUIDE.minKhz };
  const words = key === 'voices.verdict.rate' && sampleRate !== null ? t('voices.verdict.rateOf', { ...vars, khz: khz(sampleRate) }) : t(key, vars);
  return { words, detail: error.message, code: error.code };
}

function facts(voice: Voice, t: Translate) {
  const original = voice.original;
  return {
    seconds: (voice.durationSeconds ?? 0).toFixed(1),
    khz: original?.sampleRate ? khz(original.sampleRate) : '?',
    channels: original?.channels === 1 ? t('voices.mono') : t('voices.channels', { n: original?.channels ?? 0 }),
    format: (original?.format ?? '').toUpperCase(),
    kb: ((original?.bytes ?? 0) / 1024).toFixed(0),
  };
}

/** What an accepted recording passed, in words: its length of speech, rate and channels. */
export function acceptedWords(voice: Voice, t: Translate): string {
  return t('voices.verdict.ok', facts(voice, t));
}

/** The table's quality cell: the checks passed, and what was uploaded. */
export function qualityWords(voice: Voice, t: Translate): string {
  return t('voices.quality.passed', facts(voice, t));
}
