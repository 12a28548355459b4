// Asks for the API key when the service wants one (AUTH=keys): the key is tried against the
// service before it is kept, and a refusal is shown in the server's words.
import { ApiError, type Api, type EngineInfo } from '../api/client.js';
import { useI18n } from '../i18n/i18n.js';
import { KeyField } from '../common/key-field.js';
import { useKeyCheck } from '../common/use-key-check.js';

export function KeyPrompt({ api, problem, onAccepted, onCancel }: { api: Api; problem: string | null; onAccepted: (key: string, engines: EngineInfo[]) => void; onCancel?: () => void }) {
  const { t } = useI18n();
  const { value, setValue, checking, error, submit } = useKeyCheck({
    tryKey: (key) => api.engines(key),
    accepted: onAccepted,
    refusal: (err) => (err instanceof ApiError ? err.message : String(err)),
    initialError: problem,
  });

  return (
    <form class="key-prompt card" onSubmit={submit} aria-labelledby="key-title">
      <h1 id="key-title" tabIndex={-1}>
        {t('key.title')}
      </h1>
      <p>{t('key.intro')}</p>
      {/* The prompt is the page's only task: where the keyboard starts. */}
      <KeyField id="api-key" label={t('key.label')} help={t('key.help')} error={error} value={value} onInput={setValue} autoFocus />
      <div class="actions">
        <button type="submit" class="primary" disabled={checking || value.trim() === ''}>
          {checking ? t('key.checking') : t('key.submit')}
        </button>
        {onCancel && (
          <button type="button" class="secondary" onClick={onCancel}>
            {t('key.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}
