// Lexicon: the caller's pronunciation entries (GET /v1/lexicon) in a table with search, added,
// edited (PUT) and deleted in place, and a sentence tested before and after them. The table is
// the server's list as it was last read plus the changes this page made.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, type Api, type EngineInfo, type LexiconEntry } from '../api/client.js';
import { ConfirmDelete } from '../common/confirm-delete.js';
import { useI18n } from '../i18n/i18n.js';
import { EntryForm } from '../lexicon/entry-form.js';
import { SentenceTest } from '../lexicon/sentence-test.js';
import { TokenText } from '../speak/editor.js';

const fold = (s: string) => s.normalize('NFC').toLocaleLowerCase();

export function LexiconPage({ api, engine }: { api: Api; engine: EngineInfo | null }) {
  const { t, languageName } = useI18n();
  const [entries, setEntries] = useState<LexiconEntry[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const [editing, setEditing] = useState<LexiconEntry | null>(null);
  // A new form (new key) after each save; the keyboard stays in the form after the first.
  const [formGeneration, setFormGeneration] = useState(0);
  const [focusForm, setFocusForm] = useState(false);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [rowError, setRowError] = useState<{ id: string; message: string } | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [version, setVersion] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);
  const tableTitleRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let live = true;
    api.lexicon().then(
      (list) => live && setEntries(list),
      (err: unknown) => live && setLoadError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, [api]);

  const shown = useMemo(() => {
    const q = fold(search.trim());
    if (!entries || q === '') return entries ?? [];
    return entries.filter((e) => fold(e.term ?? '').includes(q) || fold(e.pronunciation ?? '').includes(q));
  }, [entries, search]);

  const saved = (entry: LexiconEntry, created: boolean) => {
    setEntries((list) => (created ? [...(list ?? []), entry] : (list ?? []).map((e) => (e.id === entry.id ? entry : e))));
    setAnnouncement(created ? t('lexicon.added', { term: entry.term ?? '' }) : t('lexicon.saved', { term: entry.term ?? '' }));
    setEditing(null);
    setFocusForm(true);
    setFormGeneration((g) => g + 1);
    setVersion((v) => v + 1);
  };

  const edit = (entry: LexiconEntry) => {
    setEditing(entry);
    setFocusForm(true);
    setFormGeneration((g) => g + 1);
    requestAnimationFrame(() => formRef.current?.scrollIntoView({ block: 'nearest' }));
  };

  const cancelEdit = () => {
    setEditing(null);
    setFocusForm(true);
    setFormGeneration((g) => g + 1);
  };

  const remove = (entry: LexiconEntry) => {
    const id = entry.id ?? '';
    setDeleting(id);
    setRowError(null);
    const gone = () => {
      setDeleting(null);
      setEntries((list) => (list ?? []).filter((e) => e.id !== id));
      if (editing?.id === id) cancelEdit();
      setAnnouncement(t('lexicon.deleted', { term: entry.term ?? '' }));
      setVersion((v) => v + 1);
      tableTitleRef.current?.focus();
    };
    api.deleteLexicon(id).then(gone, (err: unknown) => {
      // Already gone (another tab, another node): what the user wanted.
      if (err instanceof ApiError && err.code === 'lexicon_not_found') return gone();
      setDeleting(null);
      setRowError({ id, message: err instanceof Error ? err.message : String(err) });
    });
  };

  const scope = (entry: LexiconEntry) => (entry.language ? `${languageName(entry.language)} (${entry.language})` : t('lexicon.language.all'));
  const matching = (entry: LexiconEntry) =>
    [entry.wholeWord === false ? t('lexicon.match.anywhere') : t('lexicon.match.wholeWord'), entry.caseSensitive ? t('lexicon.match.case') : t('lexicon.match.anyCase')].join(' · ');

  return (
    <div class="lexicon">
      <h1 tabIndex={-1}>{t('lexicon.title')}</h1>
      <p class="intro">{t('lexicon.intro')}</p>
      <p class="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
      <div class="lexicon-grid">
        <EntryForm
          key={`${editing?.id ?? 'new'}-${formGeneration}`}
          api={api}
          editing={editing}
          focusFirst={focusForm}
          onSaved={saved}
          onCancel={cancelEdit}
          formRef={formRef}
        />
        <SentenceTest api={api} engine={engine} version={version} />
      </div>

      <section class="card entries" aria-labelledby="entries-title">
        <h2 id="entries-title" ref={tableTitleRef} tabIndex={-1}>
          {t('lexicon.entries')}
        </h2>
        {loadError && (
          <p class="problem" role="alert">
            {loadError}
          </p>
        )}
        <div class="field search">
          <label for="lex-search">{t('lexicon.search')}</label>
          <input id="lex-search" type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} aria-describedby="lex-count" autocomplete="off" />
          <p id="lex-count" class="help" aria-live="polite">
            {entries === null ? t('lexicon.loading') : search.trim() ? t('lexicon.countFiltered', { shown: shown.length, total: entries.length }) : t('lexicon.count', { total: entries.length })}
          </p>
        </div>
        {entries !== null && entries.length === 0 && <p>{t('lexicon.empty')}</p>}
        {shown.length > 0 && (
          <table class="stack-table" data-testid="lexicon-table">
            <caption class="visually-hidden">{t('lexicon.entries')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('lexicon.term')}</th>
                <th scope="col">{t('lexicon.pronunciation')}</th>
                <th scope="col">{t('lexicon.language')}</th>
                <th scope="col">{t('lexicon.matching')}</th>
                <th scope="col">
                  <span class="visually-hidden">{t('lexicon.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((entry) => (
                <tr key={entry.id} data-id={entry.id} aria-current={editing?.id === entry.id ? 'true' : undefined}>
                  <th scope="row" data-label={t('lexicon.term')}>
                    {entry.term}
                  </th>
                  <td data-label={t('lexicon.pronunciation')}>
                    <code>
                      <TokenText text={entry.pronunciation ?? ''} />
                    </code>
                  </td>
                  <td data-label={t('lexicon.language')}>{scope(entry)}</td>
                  <td data-label={t('lexicon.matching')}>{matching(entry)}</td>
                  <td class="row-actions">
                    <button type="button" class="secondary" onClick={() => edit(entry)} aria-label={t('lexicon.editLabel', { term: entry.term ?? '' })}>
                      {t('lexicon.edit')}
                    </button>
                    <ConfirmDelete name={entry.term ?? ''} busy={deleting === entry.id} onConfirm={() => remove(entry)} />
                    {rowError?.id === entry.id && (
                      <p class="problem" role="alert">
                        {rowError?.message}
                      </p>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
