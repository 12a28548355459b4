// Asks for the API key when the service wants one (AUTH=keys): the key is tried against the
// service before it is kept, and a refusal is shown in the server's words.
import { useState } from 'preact/hooks';
import { ApiError, type Api, type EngineInfo } from '../api/client.js';
import { useI18n } from '../i18n/i18n.js';

export function KeyPrompt({ api, problem, onAccepted, onCancel }: { api: Api; problem: string | null; onAccepted: (key: string, engines: EngineInfo[]) => void; onCancel?: () => void }) {
  const { t } = useI18n();
  const [value, setValue] = useState('');
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<string | null>(problem);

  const submit = (event: Event) => {
    event.preventDefault();
    const key = value.trim();
    if (key === '') return;
    setChecking(true);
    setError(null);
    api.engines(key).then(
      (engines) => onAccepted(key, engines),
      (err: unknown) => {
        setChecking(false);
        setError(err instanceof ApiError ? err.message : String(err));
      },
    );
  };

  return (
    <form class="key-prompt card" onSubmit={submit} aria-labelledby="key-title">
      <h1 id="key-title" tabIndex={-1}>
        {t('key.title')}
      </h1>
      <p>{t('key.intro')}</p>
      <div class="field">
        <label for="api-key">{t('key.label')}</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={value}
          // The prompt is the page's only task: where the keyboard starts.
          autoFocus
          aria-describedby={error ? 'key-help key-error' : 'key-help'}
          aria-invalid={error ? 'true' : 'false'}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
        <p id="key-help" class="help">
          {t('key.help')}
        </p>
      </div>
      <p id="key-error" class="problem" role="alert">
        {error}
      </p>
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
