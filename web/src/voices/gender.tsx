// A voice's gender in words and as choices: the presets' and the library's (as the uploader
// declared it, or not stated), in the Speak picker, the voice tables and the add-voice form.
import type { VoicePatch } from '../api/client.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n, type Translate } from '../i18n/i18n.js';

export type VoiceGender = NonNullable<VoicePatch['gender']>;
/** A Record, so the type-check fails when the API gains a gender. */
const WORDS = { female: 'speak.gender.female', male: 'speak.gender.male', neutral: 'speak.gender.neutral' } as const satisfies Record<VoiceGender, MessageKey>;
export const GENDERS = Object.keys(WORDS) as VoiceGender[];

export const isGender = (value: unknown): value is VoiceGender => typeof value === 'string' && Object.hasOwn(WORDS, value);

/** The word for a gender; null for none (or one this studio does not know, shown as sent). */
export function genderWord(gender: string | null | undefined, t: Translate): string | null {
  if (gender === null || gender === undefined || gender === '') return null;
  return isGender(gender) ? t(WORDS[gender]) : gender;
}

/** `<option>`s for a gender `<select>`, "not stated" first (value ""). */
export function GenderOptions() {
  const { t } = useI18n();
  return (
    <>
      <option value="">{t('voices.gender.none')}</option>
      {GENDERS.map((g) => (
        <option key={g} value={g}>
          {t(WORDS[g])}
        </option>
      ))}
    </>
  );
}
