// The engine's preset voices, read-only beside the library: what a request can use without a
// recording, with gender and languages (a library voice has its recording's language instead,
// its pitch, and the gender its uploader declared).
import type { Voice } from '../api/client.js';
import { useI18n } from '../i18n/i18n.js';
import { genderWord } from './gender.js';

export function PresetTable({ presets }: { presets: readonly Voice[] }) {
  const { t, languageName } = useI18n();
  return (
    <table class="stack-table" data-testid="preset-table">
      <caption class="visually-hidden">{t('voices.presets')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('voices.name')}</th>
          <th scope="col">{t('voices.gender')}</th>
          <th scope="col">{t('voices.languages')}</th>
          <th scope="col">{t('voices.description')}</th>
        </tr>
      </thead>
      <tbody>
        {presets.map((voice) => (
          <tr key={voice.id} data-id={voice.id}>
            <th scope="row" data-label={t('voices.name')}>
              {voice.name} <code class="help">{voice.id}</code>
            </th>
            <td data-label={t('voices.gender')}>{genderWord(voice.gender, t) ?? '—'}</td>
            <td data-label={t('voices.languages')}>{voice.languages.length === 0 ? t('speak.voice.allLanguages') : voice.languages.map(languageName).join(', ')}</td>
            <td data-label={t('voices.description')}>{voice.description ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
