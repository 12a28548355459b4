// Adding a voice: a recording from the microphone or a file, its transcript, a name, the language
// (or detected), the speaker's gender (or not stated) and their consent, sent as POST /v1/voices. The server is the judge of
// the audio: its verdict (silent, clipped, too low a rate, too short...) is shown in words beside
// the recording, with its own message as the detail; other refusals beside the field they name.
import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { ApiError, type Api, type Voice, type VoicePatch } from '../api/client.js';
import { useI18n } from '../i18n/i18n.js';
import type { MessageKey } from '../i18n/en.js';
import type { ChosenAudio } from './chosen-audio.js';
import { FilePanel } from './file-panel.js';
import { RecordPanel } from './record-panel.js';
import { acceptedWords, verdictOf, type Verdict } from './verdicts.js';
import { LanguageOptions } from '../speak/language-select.js';
import { GenderOptions, isGender, type VoiceGender } from './gender.js';

type VoiceLanguage = NonNullable<VoicePatch['language']>;
/** The recording languages the library takes: a Record, so the type-check fails when the API gains one. */
const LANGUAGES = Object.keys({ en: 1, cmn: 1, yue: 1, ja: 1, ko: 1, de: 1, es: 1, fr: 1, it: 1, ru: 1 } satisfies Record<VoiceLanguage, 1>) as VoiceLanguage[];

const FIELDS = ['audio', 'name', 'transcript', 'language', 'gender', 'consent'] as const;
type Field = (typeof FIELDS)[number];
type Source = 'record' | 'file';

/** Kept as what went wrong, not as words: the words follow a change of UI language. */
type FieldProblem = { kind: 'need'; key: MessageKey } | { kind: 'server'; error: ApiError; sampleRate: number | null };

interface Problems {
  field: Partial<Record<Field, FieldProblem>>;
  general: string | null;
}
const NO_PROBLEMS: Problems = { field: {}, general: null };

/** What the page checks itself before asking the server, with the words it says. */
const NEEDED: readonly [Field, MessageKey][] = [
  ['audio', 'voices.need.audio'],
  ['name', 'voices.need.name'],
  ['transcript', 'voices.need.transcript'],
  ['consent', 'voices.need.consent'],
];

export function AddVoice({ api, onAdded }: { api: Api; onAdded: (voice: Voice) => void }) {
  const { t } = useI18n();
  const [source, setSource] = useState<Source>('record');
  const [audio, setAudio] = useState<ChosenAudio | null>(null);
  const [name, setName] = useState('');
  const [transcript, setTranscript] = useState('');
  const [language, setLanguage] = useState<VoiceLanguage | ''>('');
  const [gender, setGender] = useState<VoiceGender | ''>('');
  const [consent, setConsent] = useState(false);
  const [problems, setProblems] = useState<Problems>(NO_PROBLEMS);
  const [saving, setSaving] = useState(false);
  const [accepted, setAccepted] = useState<Voice | null>(null);
  // A fresh recorder and file picker after each saved voice.
  const [generation, setGeneration] = useState(0);
  const refs: Record<Field, { current: HTMLElement | null }> = {
    audio: useRef<HTMLElement>(null),
    name: useRef<HTMLInputElement>(null),
    transcript: useRef<HTMLTextAreaElement>(null),
    language: useRef<HTMLSelectElement>(null),
    gender: useRef<HTMLSelectElement>(null),
    consent: useRef<HTMLInputElement>(null),
  };

  const clear = (field: Field) => setProblems((p) => ({ general: p.general, field: Object.fromEntries(Object.entries(p.field).filter(([f]) => f !== field)) }));
  const focusFirst = (found: Problems) => {
    const field = FIELDS.find((f) => found.field[f]);
    if (!field) return;
    const target = refs[field].current;
    // The recording's problem is fixed with the Record button or the file picker, not the source choice.
    (field === 'audio' ? target?.querySelector<HTMLElement>('.record-panel button, #voice-file') : target)?.focus();
  };

  const chooseSource = (next: Source) => {
    setSource(next);
    setAudio(null);
    clear('audio');
  };

  const submit = (event: Event) => {
    event.preventDefault();
    if (saving) return;
    setAccepted(null);
    const values: Record<Field, unknown> = { audio, name: name.trim(), transcript: transcript.trim(), language, gender, consent };
    const missing: Problems = { field: {}, general: null };
    for (const [field, key] of NEEDED) if (!values[field]) missing.field[field] = { kind: 'need', key };
    if (Object.keys(missing.field).length > 0 || !audio) {
      setProblems(missing);
      focusFirst(missing);
      return;
    }
    setSaving(true);
    setProblems(NO_PROBLEMS);
    api
      .createVoice({ audio: audio.blob, filename: audio.filename, name: name.trim(), transcript: transcript.trim(), ...(language ? { language } : {}), ...(gender ? { gender } : {}), consent: 'true' })
      .then(
        (voice) => {
          setSaving(false);
          setAccepted(voice);
          setName('');
          setTranscript('');
          setLanguage('');
          setGender('');
          setConsent(false);
          setAudio(null);
          setGeneration((g) => g + 1);
          onAdded(voice);
        },
        (err: unknown) => {
          setSaving(false);
          let found: Problems;
          if (err instanceof ApiError) {
            const field = FIELDS.find((f) => f === err.param);
            found = field
              ? { field: { [field]: { kind: 'server', error: err, sampleRate: field === 'audio' ? audio.sampleRate : null } }, general: null }
              : { field: {}, general: verdictOf(err, t).words };
          } else {
            found = { field: {}, general: err instanceof Error ? err.message : String(err) };
          }
          setProblems(found);
          focusFirst(found);
        },
      );
  };

  const errorId = (field: Field) => `voice-${field}-error`;
  const described = (field: Field, help?: string) => [help, problems.field[field] ? errorId(field) : undefined].filter(Boolean).join(' ') || undefined;
  const fieldError = (field: Field) => {
    const problem = problems.field[field];
    if (!problem) return null;
    const verdict: Verdict = problem.kind === 'need' ? { words: t(problem.key), detail: null, code: 'missing' } : verdictOf(problem.error, t, problem.sampleRate);
    return (
      <div id={errorId(field)} class="field-error verdict" data-field={field} data-code={verdict.code}>
        <p class="problem">{verdict.words}</p>
        {verdict.detail && <p class="help">{t('voices.verdict.server', { message: verdict.detail })}</p>}
      </div>
    );
  };

  /** A labelled list for one of the form's choices, with its help and its problem. */
  const selectField = (field: 'language' | 'gender', value: string, set: (value: string) => void, options: ComponentChildren, help?: MessageKey) => (
    <div class="field">
      <label for={`voice-${field}`}>{t(`voices.${field}`)}</label>
      <select
        id={`voice-${field}`}
        ref={refs[field] as { current: HTMLSelectElement | null }}
        value={value}
        aria-invalid={problems.field[field] ? 'true' : 'false'}
        aria-describedby={described(field, help ? `voice-${field}-help` : undefined)}
        onChange={(e) => (set(e.currentTarget.value), clear(field))}
      >
        {options}
      </select>
      {help && (
        <p id={`voice-${field}-help`} class="help">
          {t(help)}
        </p>
      )}
      {fieldError(field)}
    </div>
  );

  return (
    <form class="card add-voice" aria-labelledby="add-voice-title" onSubmit={submit} noValidate data-testid="add-voice">
      <h2 id="add-voice-title">{t('voices.add.title')}</h2>
      <fieldset class="source" ref={refs.audio as { current: HTMLFieldSetElement | null }} aria-describedby={described('audio')}>
        <legend>{t('voices.add.recording')}</legend>
        <div class="source-choice" role="radiogroup" aria-label={t('voices.add.source')}>
          <label class="choice">
            <input type="radio" name="voice-source" value="record" checked={source === 'record'} onChange={() => chooseSource('record')} />
            {t('voices.add.fromMic')}
          </label>
          <label class="choice">
            <input type="radio" name="voice-source" value="file" checked={source === 'file'} onChange={() => chooseSource('file')} />
            {t('voices.add.fromFile')}
          </label>
        </div>
        {source === 'record' ? (
          <RecordPanel
            key={`record-${generation}`}
            describedBy={described('audio')}
            onAudio={(a) => {
              setAudio(a);
              clear('audio');
            }}
          />
        ) : (
          <FilePanel
            key={`file-${generation}`}
            invalid={Boolean(problems.field.audio)}
            describedBy={described('audio')}
            onAudio={(a) => {
              setAudio(a);
              clear('audio');
            }}
          />
        )}
        {fieldError('audio')}
      </fieldset>

      <div class="field">
        <label for="voice-transcript">{t('voices.transcript')}</label>
        <textarea
          id="voice-transcript"
          ref={refs.transcript as { current: HTMLTextAreaElement | null }}
          rows={3}
          maxLength={500}
          value={transcript}
          aria-invalid={problems.field.transcript ? 'true' : 'false'}
          aria-describedby={described('transcript', 'voice-transcript-help')}
          onInput={(e) => (setTranscript(e.currentTarget.value), clear('transcript'))}
        />
        <p id="voice-transcript-help" class="help">
          {t('voices.transcriptHelp')}
        </p>
        {fieldError('transcript')}
      </div>
      <div class="field-row">
        <div class="field">
          <label for="voice-name">{t('voices.name')}</label>
          <input
            id="voice-name"
            ref={refs.name as { current: HTMLInputElement | null }}
            type="text"
            maxLength={100}
            autocomplete="off"
            value={name}
            aria-invalid={problems.field.name ? 'true' : 'false'}
            aria-describedby={described('name')}
            onInput={(e) => (setName(e.currentTarget.value), clear('name'))}
          />
          {fieldError('name')}
        </div>
        {selectField('language', language, (v) => setLanguage(v as VoiceLanguage | ''), (
          <>
            <option value="">{t('voices.language.detect')}</option>
            <LanguageOptions languages={LANGUAGES} />
          </>
        ))}
        {selectField('gender', gender, (v) => setGender(isGender(v) ? v : ''), <GenderOptions />, 'voices.gender.help')}
      </div>
      <div class="field">
        <div class="checkbox">
          <input
            id="voice-consent"
            ref={refs.consent as { current: HTMLInputElement | null }}
            type="checkbox"
            checked={consent}
            aria-invalid={problems.field.consent ? 'true' : 'false'}
            aria-describedby={described('consent', 'voice-consent-help')}
            onChange={(e) => (setConsent(e.currentTarget.checked), clear('consent'))}
          />
          <label for="voice-consent">{t('voices.consent')}</label>
          <p id="voice-consent-help" class="help">
            {t('voices.consentHelp')}
          </p>
        </div>
        {fieldError('consent')}
      </div>
      <div role="alert">{problems.general && <p class="problem">{problems.general}</p>}</div>
      <div role="status" aria-live="polite">
        {accepted && (
          <p class="ok verdict-ok" data-testid="voice-accepted">
            {t('voices.added', { name: accepted.name })} {acceptedWords(accepted, t)}
          </p>
        )}
      </div>
      <div class="actions">
        <button type="submit" class="primary" disabled={saving}>
          {saving ? t('voices.add.saving') : t('voices.add.submit')}
        </button>
      </div>
    </form>
  );
}
