// The language picker of a synthesis request: "detect from the text", then the engine's languages
// by name in the UI language. Used by Speak and by the Lexicon's sentence test. LanguageOptions
// is its list alone, for the forms whose select has a first choice and field state of its own
// (a lexicon entry's scope, a new voice's language).
import type { LanguageCode } from '../api/client.js';
import { useI18n } from '../i18n/i18n.js';

export function LanguageSelect({ id, value, languages, onChange }: { id: string; value: LanguageCode | ''; languages: readonly string[]; onChange: (value: LanguageCode | '') => void }) {
  const { t } = useI18n();
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value as LanguageCode | '')}>
      <option value="">{t('speak.language.auto')}</option>
      <LanguageOptions languages={languages} />
    </select>
  );
}

/** One option per language code, named in the UI language with the code beside it. */
export function LanguageOptions({ languages }: { languages: readonly string[] }) {
  const { languageName } = useI18n();
  return (
    <>
      {languages.map((code) => (
        <option key={code} value={code}>
          {languageName(code)} ({code})
        </option>
      ))}
    </>
  );
}
