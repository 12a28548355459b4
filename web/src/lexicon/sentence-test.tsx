// "Test a sentence": what the engine would receive without the lexicon and with it (POST
// /v1/tts/preview-text with "lexicon": false and true), which entries applied, and both played
// (POST /v1/tts, MP3 while it streams). A change to the lexicon tests the sentence again.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Api, type EngineInfo, type LanguageCode, type PreviewResult, type TtsBody } from '../api/client.js';
import { useI18n } from '../i18n/i18n.js';
import { TokenText } from '../speak/editor.js';
import { LanguageSelect } from '../speak/language-select.js';
import { IDLE_TAKE, StreamPlayer, type Take } from '../speak/player.js';

type Side = 'before' | 'after';

interface Outcome {
  body: TtsBody;
  before: PreviewResult;
  after: PreviewResult;
}

export function SentenceTest({ api, engine, version }: { api: Api; engine: EngineInfo | null; version: number }) {
  const { t } = useI18n();
  const [sentence, setSentence] = useState('');
  const [language, setLanguage] = useState<LanguageCode | ''>('');
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [take, setTake] = useState<Take>(IDLE_TAKE);
  const [playing, setPlaying] = useState<Side | null>(null);
  const audioRef = useRef<HTMLAudioElement>(null);
  const player = useRef<StreamPlayer | null>(null);
  const tested = useRef<TtsBody | null>(null);

  useEffect(() => {
    const audio = audioRef.current;
    if (!audio) return;
    const p = new StreamPlayer(audio, setTake);
    player.current = p;
    return () => p.dispose();
  }, []);

  const run = (body: TtsBody) => {
    tested.current = body;
    setBusy(true);
    Promise.all([api.preview({ ...body, lexicon: false }), api.preview({ ...body, lexicon: true })]).then(
      ([before, after]) => {
        if (tested.current !== body) return;
        setBusy(false);
        setError(null);
        setOutcome({ body, before, after });
      },
      (err: unknown) => {
        if (tested.current !== body) return;
        setBusy(false);
        setOutcome(null);
        setError(err instanceof ApiError || err instanceof Error ? err.message : String(err));
      },
    );
  };

  // The lexicon changed: the sentence tested last is tested again.
  useEffect(() => {
    if (version > 0 && tested.current) run(tested.current);
    // run reads only refs and stable setters.
  }, [version]);

  const submit = (event: Event) => {
    event.preventDefault();
    if (sentence.trim() === '') return;
    run({ text: sentence, ...(language ? { language } : {}) });
  };

  const play = (side: Side) => {
    if (!outcome) return;
    setPlaying(side);
    void player.current?.play(api, { ...outcome.body, lexicon: side === 'after', format: 'mp3' });
  };

  const panel = (side: Side, result: PreviewResult) => (
    <div class={`side side-${side}`} data-testid={`test-${side}`}>
      <h3>{side === 'before' ? t('lexicon.test.before') : t('lexicon.test.after')}</h3>
      <p class="engine-text">
        <TokenText text={result.text ?? ''} />
      </p>
      <button type="button" class="secondary" onClick={() => play(side)}>
        {side === 'before' ? t('lexicon.test.playBefore') : t('lexicon.test.playAfter')}
      </button>
    </div>
  );

  const applied = outcome?.after.lexiconApplied ?? [];
  return (
    <section class="card sentence-test" aria-labelledby="test-title">
      <h2 id="test-title">{t('lexicon.test.title')}</h2>
      <form onSubmit={submit} class="test-form" noValidate>
        <div class="field grow">
          <label for="lex-test-text">{t('lexicon.test.sentence')}</label>
          <input id="lex-test-text" type="text" maxLength={1000} value={sentence} onInput={(e) => setSentence(e.currentTarget.value)} aria-describedby="lex-test-help" />
          <p id="lex-test-help" class="help">
            {t('lexicon.test.help')}
          </p>
        </div>
        <div class="field">
          <label for="lex-test-language">{t('speak.language')}</label>
          <LanguageSelect id="lex-test-language" value={language} languages={engine?.languages ?? []} onChange={setLanguage} />
        </div>
        <div class="field">
          <button type="submit" class="primary" disabled={sentence.trim() === '' || busy}>
            {t('lexicon.test.run')}
          </button>
        </div>
      </form>
      <p class="help" role="status" aria-live="polite">
        {busy ? t('lexicon.test.testing') : outcome ? t('lexicon.test.summary', { n: applied.length }) : ''}
      </p>
      <div data-testid="test-result" data-busy={busy ? 'true' : 'false'}>
        {error && (
          <p class="problem" role="alert">
            <strong>{t('speak.check.error')}</strong> {error}
          </p>
        )}
        {outcome && (
          <>
            <div class="sides">
              {panel('before', outcome.before)}
              {panel('after', outcome.after)}
            </div>
            {applied.length > 0 ? (
              <>
                <h3>{t('preview.lexicon')}</h3>
                <ul>
                  {applied.map((a, i) => (
                    <li key={i}>{t('preview.lexiconEntry', { matched: a.matched ?? '', pronunciation: a.pronunciation ?? '' })}</li>
                  ))}
                </ul>
              </>
            ) : (
              <p class="help">{t('lexicon.test.none')}</p>
            )}
          </>
        )}
      </div>
      <div class="player" hidden={!outcome}>
        <audio ref={audioRef} controls preload="none" aria-label={t('lexicon.test.audioLabel')} data-testid="test-audio" />
        <p role="status" aria-live="polite" data-state={take.state} data-side={playing ?? ''} data-testid="test-player-status">
          {playing && take.state !== 'idle' && <span>{playing === 'before' ? t('lexicon.test.before') : t('lexicon.test.after')}: </span>}
          {take.state === 'connecting' && t('player.connecting')}
          {take.state === 'streaming' && t('player.streaming', { kb: (take.bytes / 1024).toFixed(1) })}
          {take.state === 'done' && t('lexicon.test.played')}
          {take.state === 'stopped' && t('player.stopped')}
          {take.state === 'failed' && (
            <span class="problem">
              <strong>{t('player.failed')}</strong> {take.error}
            </span>
          )}
        </p>
      </div>
    </section>
  );
}
