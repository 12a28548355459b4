// The studio's shell: navigation between pages (by the URL's hash), the UI language, and the API
// key (asked once when the service wants one, kept for the tab). Pages get the typed API client.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, createApi, type EngineInfo } from './api/client.js';
import { HTML_LANG, I18nContext, initialLanguage, makeI18n, rememberLanguage, type UiLanguage } from './i18n/i18n.js';
import { storedKey, storeKey } from './key.js';
import { CostPage } from './pages/cost.js';
import { FleetPage } from './pages/fleet.js';
import { HistoryPage } from './pages/history.js';
import { KeyPrompt } from './pages/key-prompt.js';
import { LexiconPage } from './pages/lexicon.js';
import { SpeakPage } from './pages/speak.js';
import { VoicesPage } from './pages/voices.js';

const PAGES = ['speak', 'voices', 'lexicon', 'history', 'fleet', 'cost'] as const;
type PageId = (typeof PAGES)[number];

function pageFromHash(): PageId {
  const name = /^#\/([a-z]+)/.exec(location.hash)?.[1];
  return PAGES.find((p) => p === name) ?? 'speak';
}

type Auth = { state: 'checking' } | { state: 'ok' } | { state: 'needed'; problem: string | null } | { state: 'unreachable'; problem: string };

export function App() {
  const [lang, setLang] = useState<UiLanguage>(initialLanguage);
  const i18n = useMemo(() => makeI18n(lang), [lang]);
  const { t } = i18n;
  const [page, setPage] = useState<PageId>(pageFromHash);
  const [key, setKey] = useState<string | null>(storedKey);
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });
  const [engine, setEngine] = useState<EngineInfo | null>(null);
  const keyRef = useRef(key);
  keyRef.current = key;
  const mainRef = useRef<HTMLElement>(null);

  const api = useMemo(
    () =>
      createApi({
        key: () => keyRef.current,
        // No key at all is the ordinary first visit: the prompt, without an error.
        onUnauthorized: (error) => setAuth({ state: 'needed', problem: error.code === 'api_key_required' ? null : error.message }),
      }),
    [],
  );

  useEffect(() => {
    document.documentElement.lang = HTML_LANG[lang];
    document.title = t('app.title');
    rememberLanguage(lang);
  }, [lang, t]);

  useEffect(() => {
    const follow = () => {
      setPage(pageFromHash());
      // Where a screen reader and the keyboard continue: the new page's heading.
      requestAnimationFrame(() => mainRef.current?.querySelector<HTMLElement>('h1')?.focus());
    };
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);

  // Whether the service wants a key, and whether the tab's key (if any) still works.
  useEffect(() => {
    let live = true;
    api.engines().then(
      (engines) => {
        if (!live) return;
        setEngine(engines[0] ?? null);
        setAuth({ state: 'ok' });
      },
      (err: unknown) => {
        if (!live || (err instanceof ApiError && err.status === 401)) return;
        if (err instanceof ApiError && err.status === 403) setAuth({ state: 'needed', problem: err.message });
        else setAuth({ state: 'unreachable', problem: err instanceof Error ? err.message : String(err) });
      },
    );
    return () => {
      live = false;
    };
  }, [api, key]);

  const accept = (newKey: string, engines: EngineInfo[]) => {
    storeKey(newKey);
    keyRef.current = newKey;
    setKey(newKey);
    setEngine(engines[0] ?? null);
    setAuth({ state: 'ok' });
  };
  const forget = () => {
    storeKey(null);
    setAuth({ state: 'checking' });
    setKey(null);
  };

  let content;
  if (auth.state === 'needed') content = <KeyPrompt api={api} problem={auth.problem} onAccepted={accept} />;
  else if (auth.state === 'unreachable') content = <p class="problem" role="alert">{t('app.loadFailed', { message: auth.problem })}</p>;
  else if (auth.state === 'checking') content = null;
  else if (page === 'speak') content = <SpeakPage api={api} engine={engine} />;
  else if (page === 'voices') content = <VoicesPage api={api} />;
  else if (page === 'lexicon') content = <LexiconPage api={api} engine={engine} />;
  else if (page === 'history') content = <HistoryPage api={api} />;
  else if (page === 'cost') content = <CostPage api={api} />;
  else content = <FleetPage tabKey={key} />;

  return (
    <I18nContext.Provider value={i18n}>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), mainRef.current?.focus())}>
        {t('app.skip')}
      </a>
      <header class="top">
        <p class="brand">
          <span aria-hidden="true" class="logo" />
          {t('app.title')}
        </p>
        <nav aria-label={t('nav.label')}>
          <ul>
            {PAGES.map((p) => (
              <li key={p}>
                <a href={`#/${p}`} aria-current={page === p ? 'page' : undefined}>
                  {t(`nav.${p}`)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="tools">
          <button type="button" class="secondary" lang={lang === 'en' ? 'zh-CN' : 'en'} title={t('lang.switchLabel')} onClick={() => setLang(lang === 'en' ? 'zh' : 'en')} data-testid="language">
            {t('lang.switch')}
          </button>
          {key !== null && auth.state === 'ok' && (
            <button type="button" class="secondary" onClick={forget}>
              {t('key.forget')}
            </button>
          )}
        </div>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1}>
        {content}
      </main>
      <footer class="bottom">
        {engine && (
          <p>
            {engine.health.ready ? t('app.engine', { engine: engine.name }) : t('app.engineNotReady', { engine: engine.name, detail: engine.health.detail ?? '' })} · <a href="/docs">API</a>
          </p>
        )}
      </footer>
    </I18nContext.Provider>
  );
}
