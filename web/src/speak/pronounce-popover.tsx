// The readings of the word at the editor's caret (GET /v1/pronounce), in a small non-modal dialog
// beside it: one group of readings per word or character, the service's first pick chosen, then
// "insert" (the tokens replace the word in the text; Enter on a reading does the same) or "save
// to the lexicon" (POST /v1/lexicon). Escape closes it and the keyboard goes back to the editor;
// so does inserting.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Api } from '../api/client.js';
import { useI18n } from '../i18n/i18n.js';
import { chosenTokens, lookUp, type PronounceItem } from './pronounce.js';
import type { LookupTarget } from './word-at.js';

type Found = { state: 'loading' } | { state: 'ready'; items: PronounceItem[] } | { state: 'error'; message: string };
type Saved = { state: 'idle' } | { state: 'saving' } | { state: 'saved'; tokens: string } | { state: 'error'; message: string };

export interface PronouncePopoverProps {
  api: Api;
  target: LookupTarget;
  /** Move the keyboard into the dialog (opened from the button or the keyboard, not by a click in the text). */
  takeFocus: boolean;
  /** Where the word is drawn, to sit below it: its element in the editor's layer. */
  anchor: () => HTMLElement | null;
  onInsert: (tokens: string) => void;
  onClose: () => void;
}

const message = (err: unknown) => (err instanceof ApiError || err instanceof Error ? err.message : String(err));

export function PronouncePopover({ api, target, takeFocus, anchor, onInsert, onClose }: PronouncePopoverProps) {
  const { t } = useI18n();
  const [found, setFound] = useState<Found>({ state: 'loading' });
  const [choices, setChoices] = useState<number[]>([]);
  const [saved, setSaved] = useState<Saved>({ state: 'idle' });
  const [place, setPlace] = useState<{ top: number; left: number } | null>(null);
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    setFound({ state: 'loading' });
    setSaved({ state: 'idle' });
    lookUp(api, target, abort.signal).then(
      (items) => {
        setChoices(items.map(() => 0));
        setFound({ state: 'ready', items });
      },
      (err: unknown) => !abort.signal.aborted && setFound({ state: 'error', message: message(err) }),
    );
    return () => abort.abort();
  }, [target.query, target.start, target.end, target.language]);

  // Below the word, kept inside the editor's width (phones).
  useLayoutEffect(() => {
    const el = anchor();
    const box = root.current;
    const parent = box?.offsetParent as HTMLElement | null;
    if (!box || !parent) return;
    // Without the word's mark (never expected), at the editor's top rather than nowhere.
    if (!el) return setPlace({ top: 0, left: 0 });
    const a = el.getBoundingClientRect();
    const p = parent.getBoundingClientRect();
    const left = Math.max(0, Math.min(a.left - p.left, p.width - box.offsetWidth));
    setPlace({ top: a.bottom - p.top + 4, left });
  }, [target.start, target.end, found.state]);

  useEffect(() => {
    if (takeFocus && found.state !== 'loading') root.current?.querySelector<HTMLElement>('input:checked, button')?.focus();
  }, [takeFocus, found.state]);

  const items = found.state === 'ready' ? found.items : [];
  const tokens = chosenTokens(items, choices, target.language);

  const save = () => {
    if (!tokens) return;
    setSaved({ state: 'saving' });
    api
      // English words are said the same in any request; pinyin readings are Mandarin's.
      .createLexicon({ term: target.text, pronunciation: tokens, caseSensitive: false, wholeWord: true, ...(target.language === 'cmn' ? { language: 'cmn' as const } : {}) })
      .then(
        () => setSaved({ state: 'saved', tokens }),
        (err: unknown) => setSaved({ state: 'error', message: message(err) }),
      );
  };

  const single = items.length === 1;
  return (
    <div
      class="lookup"
      role="dialog"
      aria-label={t('speak.lookup.title', { word: target.text })}
      ref={root}
      data-testid="lookup"
      data-state={found.state}
      style={place ? { top: `${place.top}px`, left: `${place.left}px` } : { visibility: 'hidden' }}
      onKeyDown={(e) => {
        // Enter on a reading would submit the page's form (speak): here it inserts that reading.
        if (e.key === 'Enter' && (e.target as HTMLElement).tagName === 'INPUT') {
          e.preventDefault();
          e.stopPropagation();
          if (tokens) onInsert(tokens);
          return;
        }
        if (e.key !== 'Escape') return;
        e.preventDefault();
        e.stopPropagation();
        onClose();
      }}
    >
      <p class="lookup-head">
        <strong lang={target.language === 'cmn' ? 'zh-CN' : 'en'}>{target.text}</strong> <span class="help">{t(target.language === 'cmn' ? 'speak.lookup.mandarin' : 'speak.lookup.english')}</span>
      </p>
      {found.state === 'loading' && <p class="help">{t('speak.lookup.loading')}</p>}
      {found.state === 'error' && <p class="problem">{found.message}</p>}
      {found.state === 'ready' && items.length === 0 && <p>{t('speak.lookup.notFound', { word: target.text })}</p>}
      {items.map((item, i) => (
        <fieldset key={i} class="lookup-item">
          <legend>{single ? t('speak.lookup.readings') : t('speak.lookup.readingsOf', { word: item.text ?? '' })}</legend>
          {(item.readings ?? []).length === 0 && <p>{t('speak.lookup.notFound', { word: item.text ?? '' })}</p>}
          {(item.readings ?? []).map((r, j) => (
            <label key={j} class="lookup-reading">
              <input type="radio" name={`lookup-${i}`} checked={(choices[i] ?? 0) === j} onChange={() => setChoices((c) => c.map((v, k) => (k === i ? j : v)))} />
              <code>{r.tokens}</code> <span class="help">{r.raw}</span>
            </label>
          ))}
          {(item.unrepresentable?.length ?? 0) > 0 && <p class="help">{t('speak.lookup.unrepresentable', { readings: (item.unrepresentable ?? []).join(', ') })}</p>}
        </fieldset>
      ))}
      <div class="lookup-actions">
        <button type="button" class="primary" disabled={!tokens} onClick={() => tokens && onInsert(tokens)}>
          {tokens ? t('speak.lookup.insert', { tokens }) : t('speak.lookup.insertNone')}
        </button>
        <button type="button" class="secondary" disabled={!tokens || saved.state === 'saving' || saved.state === 'saved'} onClick={save}>
          {t('speak.lookup.save')}
        </button>
        <button type="button" class="secondary" onClick={onClose}>
          {t('speak.lookup.close')}
        </button>
      </div>
      <p role="status" class="lookup-status" data-testid="lookup-status">
        {saved.state === 'saved' && (
          <span class="ok">
            {t('speak.lookup.saved', { word: target.text, tokens: saved.tokens })} <a href="#/lexicon">{t('speak.lookup.openLexicon')}</a>
          </span>
        )}
        {saved.state === 'error' && <span class="problem">{saved.message}</span>}
      </p>
    </div>
  );
}
