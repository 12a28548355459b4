// The language picker of a synthesis request: "detect from the text", then the engine's languages
// by name in the UI language. Used by Speak and by the Lexicon's sentence test.
import type { LanguageCode } from '../api/client.js';
import { useI18n } from '../i18n/i18n.js';

export function LanguageSelect({ id, value, languages, onChange }: { id: string; value: LanguageCode | ''; languages: readonly string[]; onChange: (value: LanguageCode | '') => void }) {
  const { t, languageName } = useI18n();
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value as LanguageCode | '')}>
      <option value="">{t('speak.language.auto')}</option>
      {languages.map((code) => (
        <option key={code} value={code}>
          {languageName(code)} ({code})
        </option>
      ))}
    </select>
  );
}
