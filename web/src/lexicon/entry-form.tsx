// Adds a lexicon entry or edits one (PUT replaces every field). The server is the validator: its
// refusal is shown in its words beside the field it names (`param`), e.g. an unknown phoneme in
// the pronunciation with the nearest valid token; a refusal that names no field of the form
// (the lexicon is full, the service is down) is shown above the buttons.
import type { Ref } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Api, type LexiconBody, type LexiconEntry, type LexiconLanguage } from '../api/client.js';
import { useI18n } from '../i18n/i18n.js';
import { LanguageOptions } from '../speak/language-select.js';

/** Every language an entry can be scoped to: a Record, so the type-check fails when the API gains one. */
const LANGUAGES = Object.keys({ en: 1, cmn: 1, yue: 1, ja: 1, ko: 1, de: 1, es: 1, fr: 1, it: 1, ru: 1 } satisfies Record<LexiconLanguage, 1>) as LexiconLanguage[];

const FIELDS = ['term', 'pronunciation', 'language', 'caseSensitive', 'wholeWord'] as const;
type Field = (typeof FIELDS)[number];

interface Draft {
  term: string;
  pronunciation: string;
  language: LexiconLanguage | '';
  caseSensitive: boolean;
  wholeWord: boolean;
}

interface Problems {
  field: Partial<Record<Field, string>>;
  general: string | null;
}

const NO_PROBLEMS: Problems = { field: {}, general: null };

function draftOf(entry: LexiconEntry | null): Draft {
  const language = LANGUAGES.find((l) => l === entry?.language) ?? '';
  return { term: entry?.term ?? '', pronunciation: entry?.pronunciation ?? '', language, caseSensitive: entry?.caseSensitive ?? false, wholeWord: entry?.wholeWord ?? true };
}

function bodyOf(draft: Draft): LexiconBody {
  return { term: draft.term, pronunciation: draft.pronunciation, ...(draft.language ? { language: draft.language } : {}), caseSensitive: draft.caseSensitive, wholeWord: draft.wholeWord };
}

function problemsOf(err: unknown): Problems {
  if (!(err instanceof ApiError)) return { field: {}, general: err instanceof Error ? err.message : String(err) };
  const field = FIELDS.find((f) => f === err.param);
  return field ? { field: { [field]: err.message }, general: null } : { field: {}, general: err.message };
}

export interface EntryFormProps {
  api: Api;
  /** The entry being edited; null: a new one. */
  editing: LexiconEntry | null;
  /** Put the keyboard in the first field when the form appears. */
  focusFirst: boolean;
  onSaved: (entry: LexiconEntry, created: boolean) => void;
  onCancel: () => void;
  formRef?: Ref<HTMLFormElement>;
}

export function EntryForm({ api, editing, focusFirst, onSaved, onCancel, formRef }: EntryFormProps) {
  const { t } = useI18n();
  const [draft, setDraft] = useState<Draft>(() => draftOf(editing));
  const [problems, setProblems] = useState<Problems>(NO_PROBLEMS);
  const [saving, setSaving] = useState(false);
  const termRef = useRef<HTMLInputElement>(null);
  const pronunciationRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (focusFirst) termRef.current?.focus();
  }, [focusFirst]);

  const change = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    // A field's message describes its old value: it goes once the field changes.
    setProblems((p) => ({ general: p.general, field: Object.fromEntries(Object.entries(p.field).filter(([f]) => !(f in patch))) }));
  };

  const submit = (event: Event) => {
    event.preventDefault();
    if (saving) return;
    setSaving(true);
    setProblems(NO_PROBLEMS);
    const body = bodyOf(draft);
    const id = editing?.id;
    (id ? api.replaceLexicon(id, body) : api.createLexicon(body)).then(
      (entry) => {
        setSaving(false);
        onSaved(entry, !id);
      },
      (err: unknown) => {
        setSaving(false);
        const found = problemsOf(err);
        setProblems(found);
        // The keyboard goes where the problem is.
        if (found.field.term) termRef.current?.focus();
        else if (found.field.pronunciation) pronunciationRef.current?.focus();
      },
    );
  };

  const described = (field: Field, help?: string) => [help, problems.field[field] ? `lex-${field}-error` : undefined].filter(Boolean).join(' ') || undefined;
  const fieldError = (field: Field) =>
    problems.field[field] ? (
      <p id={`lex-${field}-error`} class="problem field-error" data-field={field}>
        {problems.field[field]}
      </p>
    ) : null;

  return (
    <form
      class="card entry-form"
      ref={formRef}
      aria-labelledby="entry-form-title"
      onSubmit={submit}
      onKeyDown={(e) => (e.key === 'Escape' && editing ? onCancel() : undefined)}
      noValidate
      data-testid="entry-form"
    >
      <h2 id="entry-form-title">{editing ? t('lexicon.form.editTitle', { term: editing.term ?? '' }) : t('lexicon.form.addTitle')}</h2>
      <div class="entry-grid">
        <div class="field">
          <label for="lex-term">{t('lexicon.term')}</label>
          <input
            id="lex-term"
            ref={termRef}
            type="text"
            maxLength={100}
            autocomplete="off"
            spellcheck={false}
            value={draft.term}
            aria-invalid={problems.field.term ? 'true' : 'false'}
            aria-describedby={described('term', 'lex-term-help')}
            onInput={(e) => change({ term: e.currentTarget.value })}
          />
          <p id="lex-term-help" class="help">
            {t('lexicon.termHelp')}
          </p>
          {fieldError('term')}
        </div>
        <div class="field">
          <label for="lex-pronunciation">{t('lexicon.pronunciation')}</label>
          <input
            id="lex-pronunciation"
            ref={pronunciationRef}
            class="mono"
            type="text"
            maxLength={300}
            autocomplete="off"
            spellcheck={false}
            value={draft.pronunciation}
            aria-invalid={problems.field.pronunciation ? 'true' : 'false'}
            aria-describedby={described('pronunciation', 'lex-pronunciation-help')}
            onInput={(e) => change({ pronunciation: e.currentTarget.value })}
          />
          <p id="lex-pronunciation-help" class="help">
            {t('lexicon.pronunciationHelp')}
          </p>
          {fieldError('pronunciation')}
        </div>
        <div class="field">
          <label for="lex-language">{t('lexicon.language')}</label>
          <select
            id="lex-language"
            value={draft.language}
            aria-invalid={problems.field.language ? 'true' : 'false'}
            aria-describedby={described('language')}
            onChange={(e) => change({ language: e.currentTarget.value as LexiconLanguage | '' })}
          >
            <option value="">{t('lexicon.language.all')}</option>
            <LanguageOptions languages={LANGUAGES} />
          </select>
          {fieldError('language')}
        </div>
        <div class="field">
          <div class="checkbox">
            <input id="lex-whole-word" type="checkbox" checked={draft.wholeWord} aria-describedby={described('wholeWord', 'lex-whole-word-help')} onChange={(e) => change({ wholeWord: e.currentTarget.checked })} />
            <label for="lex-whole-word">{t('lexicon.wholeWord')}</label>
            <p id="lex-whole-word-help" class="help">
              {t('lexicon.wholeWordHelp')}
            </p>
          </div>
          {fieldError('wholeWord')}
          <div class="checkbox">
            <input id="lex-case" type="checkbox" checked={draft.caseSensitive} aria-describedby={described('caseSensitive')} onChange={(e) => change({ caseSensitive: e.currentTarget.checked })} />
            <label for="lex-case">{t('lexicon.caseSensitive')}</label>
          </div>
          {fieldError('caseSensitive')}
        </div>
      </div>
      <div role="alert">{problems.general && <p class="problem">{problems.general}</p>}</div>
      <div class="actions">
        <button type="submit" class="primary" disabled={saving || draft.term.trim() === '' || draft.pronunciation.trim() === ''}>
          {editing ? t('lexicon.form.save') : t('lexicon.form.add')}
        </button>
        {editing && (
          <button type="button" class="secondary" onClick={onCancel}>
            {t('lexicon.form.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}
