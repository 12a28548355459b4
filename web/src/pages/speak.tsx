// Speak: write CosyVoice3 text (tokens highlighted, checked by the server as you type), pick a
// voice, an instruction, speed, seed and format, then hear it while it streams, download it, and
// see the server's warnings and what the engine receives. "Keep in history" stores the take
// ("store": true) and remembers the request for History's "re-run with changes", which opens
// this page with that request in the form. A click on a word (or "Pronunciation" for the word at
// the caret) shows its readings from GET /v1/pronounce, to insert as tokens or keep in the lexicon.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, type Api, type AudioFormat, type EngineInfo, type Instruction, type LanguageCode, type PreviewResult, type TtsBody, type Voice } from '../api/client.js';
import { keepRequest, takeRerun } from '../history/kept.js';
import { safeStorage, useI18n } from '../i18n/i18n.js';
import type { MessageKey } from '../i18n/en.js';
import { Editor, Legend } from '../speak/editor.js';
import { LanguageSelect } from '../speak/language-select.js';
import { FILE_EXTENSION, IDLE_TAKE, StreamPlayer, type Take } from '../speak/player.js';
import { PronouncePopover } from '../speak/pronounce-popover.js';
import { applySuggestion, shownIssues, tokenIssue, validatorAgrees, type TokenIssue } from '../speak/token-issue.js';
import { Waveform, WaveformTracker, type WaveformData } from '../speak/waveform.js';
import { lookupTarget, type LookupTarget } from '../speak/word-at.js';
import { genderWord } from '../voices/gender.js';
import '../speak/speak.css';

const DRAFT_KEY = 'cosyfleet.draft';

/** A word as a button names it: a long run (a pasted URL, a row of x) cut, so the button fits a phone. */
function shortWord(word: string): string {
  return word.length > 24 ? `${word.slice(0, 23)}…` : word;
}
const CHECK_DELAY_MS = 300;
const FORMATS: readonly AudioFormat[] = ['mp3', 'wav', 'opus', 'flac'];
const CATEGORIES = ['dialect', 'volume', 'speed', 'emotion', 'role'] as const;
const FREE = '\u0000free';

interface Check {
  status: 'idle' | 'checking' | 'ok' | 'invalid' | 'error';
  /** The server's first invalid token. */
  issue: TokenIssue | null;
  /** The bundled validator found that token too: its list of every invalid token is shown. */
  agrees?: boolean;
  result?: PreviewResult;
  error?: string;
}

/** The check's state for the server's refusal of `checked`: an invalid token, or another error. */
function refusal(err: unknown, checked: string): Check {
  const issue = err instanceof ApiError ? tokenIssue(err) : null;
  if (issue) return { status: 'invalid', issue, agrees: validatorAgrees(issue, checked) };
  return { status: 'error', issue: null, error: err instanceof Error ? err.message : String(err) };
}

export function SpeakPage({ api, engine }: { api: Api; engine: EngineInfo | null }) {
  const { t, lang, languageName } = useI18n();
  // Before every other state: the form starts from a re-run's request when History sent one.
  const [rerunBody] = useState(takeRerun);
  const [text, setText] = useState(() => rerunBody?.text ?? safeStorage(() => sessionStorage.getItem(DRAFT_KEY)) ?? t('speak.sample'));
  const [voices, setVoices] = useState<Voice[]>([]);
  const [instructions, setInstructions] = useState<Instruction[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [voice, setVoice] = useState(rerunBody?.voice ?? '');
  const [language, setLanguage] = useState<LanguageCode | ''>(rerunBody?.language ?? '');
  // A re-run's instruction is a trained key or free text: told apart once the keys are known.
  const [instructChoice, setInstructChoice] = useState(rerunBody?.instruct ?? '');
  const [instructFree, setInstructFree] = useState(rerunBody?.instruct ?? '');
  const [speed, setSpeed] = useState(rerunBody?.speed ?? 1);
  const [seed, setSeed] = useState(rerunBody?.seed === undefined ? '' : String(rerunBody.seed));
  const [format, setFormat] = useState<AudioFormat>(rerunBody?.format && FORMATS.includes(rerunBody.format) ? rerunBody.format : 'mp3');
  const [keep, setKeep] = useState(rerunBody?.store === true);
  const [check, setCheck] = useState<Check>({ status: 'idle', issue: null });
  const [preview, setPreview] = useState<PreviewResult | null>(null);
  const [take, setTake] = useState<Take>(IDLE_TAKE);
  const [wave, setWave] = useState<WaveformData>({ peaks: new Float32Array(0), duration: 0 });
  const [caret, setCaret] = useState<{ start: number; end: number }>({ start: 0, end: 0 });
  const [lookup, setLookup] = useState<{ target: LookupTarget; takeFocus: boolean } | null>(null);
  const editorRef = useRef<HTMLDivElement>(null);
  const audioRef = useRef<HTMLAudioElement>(null);
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const previewRef = useRef<HTMLElement>(null);
  const player = useRef<StreamPlayer | null>(null);
  /** What the take in progress asked for, kept for History when the server stores it. */
  const sent = useRef<TtsBody | null>(null);

  const canInstruct = engine?.modes.includes('instruct') ?? false;
  const speedRange = engine?.speed ?? { min: 0.5, max: 2 };

  useEffect(() => {
    let live = true;
    Promise.all([api.voices(), api.instructions()]).then(
      ([v, i]) => {
        if (!live) return;
        setVoices(v);
        setInstructions(i);
        setVoice((current) => current || (v[0]?.id ?? ''));
        setInstructChoice((c) => (c === '' || c === FREE || i.some((x) => x.key === c) ? c : FREE));
      },
      (err: unknown) => live && setLoadError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, [api]);

  useEffect(() => {
    safeStorage(() => sessionStorage.setItem(DRAFT_KEY, text));
  }, [text]);

  useEffect(() => {
    const audio = audioRef.current;
    if (!audio) return;
    const p = new StreamPlayer(audio, setTake, new WaveformTracker(setWave));
    player.current = p;
    return () => p.dispose();
  }, []);

  // The output exists once its stream has completed (a cut stream stores nothing).
  useEffect(() => {
    if (take.state === 'done' && take.outputId && !take.truncated && sent.current) keepRequest(take.outputId, sent.current);
  }, [take]);

  const instruct = instructChoice === FREE ? instructFree.trim() : instructChoice;
  const seedValue = /^\d{1,10}$/.test(seed.trim()) ? Number(seed.trim()) : undefined;
  const body = useMemo<TtsBody>(
    () => ({
      text,
      ...(voice ? { voice } : {}),
      ...(language ? { language } : {}),
      ...(canInstruct && instruct ? { instruct } : {}),
      speed,
      ...(seedValue !== undefined ? { seed: seedValue } : {}),
      format,
    }),
    [text, voice, language, canInstruct, instruct, speed, seedValue, format],
  );

  // The server's validator, debounced: the same planner synthesis runs, without synthesizing.
  const checkKey = JSON.stringify({ ...body, format: undefined });
  useEffect(() => {
    if (text.trim() === '') {
      setCheck({ status: 'idle', issue: null });
      return;
    }
    const abort = new AbortController();
    const timer = setTimeout(() => {
      setCheck((c) => ({ ...c, status: 'checking' }));
      api.preview(body, abort.signal).then(
        (result) => setCheck({ status: 'ok', issue: null, result }),
        (err: unknown) => {
          if (abort.signal.aborted) return;
          setCheck(refusal(err, body.text));
        },
      );
    }, CHECK_DELAY_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
    // body is fully described by checkKey (format aside, which the check does not need).
  }, [api, checkKey]);

  const issues = check.issue ? shownIssues(check.issue, check.agrees === true, text) : [];
  const atCaret = issues.find((i) => caret.start >= i.position && caret.start <= i.position + i.token.length);
  const here = lookupTarget(text, caret.start, caret.end);

  const fix = (issue: TokenIssue) => {
    const fixed = applySuggestion(issue, text);
    if (!fixed) return;
    setText(fixed.text);
    const area = textareaRef.current;
    if (area) {
      area.focus();
      // After Preact has put the new value in.
      requestAnimationFrame(() => area.setSelectionRange(fixed.caret, fixed.caret));
    }
  };

  const speak = (event?: Event) => {
    event?.preventDefault();
    if (text.trim() === '') return;
    const request: TtsBody = keep ? { ...body, store: true } : body;
    sent.current = request;
    void player.current?.play(api, request);
  };

  const showPreview = () => {
    api.preview(body).then(
      (result) => {
        setPreview(result);
        requestAnimationFrame(() => previewRef.current?.focus());
      },
      (err: unknown) => {
        setCheck(refusal(err, body.text));
        setPreview(null);
      },
    );
  };

  const onCaret = (start: number, end: number, how: 'click' | 'key') => {
    setCaret({ start, end });
    if (how !== 'click') return;
    // A click on a word opens its readings; a click elsewhere closes them. The keyboard stays in the text.
    const target = lookupTarget(text, start, end);
    setLookup(target ? { target, takeFocus: false } : null);
  };
  const closeLookup = () => {
    const open = lookup !== null;
    setLookup(null);
    const area = textareaRef.current;
    if (!area || !open) return;
    area.focus();
    // Where the caret was, so "Pronunciation" still names the same word.
    area.setSelectionRange(caret.start, caret.end);
  };
  const insertReading = (tokens: string) => {
    if (!lookup) return;
    const { start, end, text: word } = lookup.target;
    // The text may have changed under the dialog: insert only where the word still is.
    if (text.slice(start, end) !== word) return closeLookup();
    const next = text.slice(0, start) + tokens + text.slice(end);
    setText(next);
    setLookup(null);
    const caretAt = start + tokens.length;
    setCaret({ start: caretAt, end: caretAt });
    const area = textareaRef.current;
    if (area) {
      area.focus();
      requestAnimationFrame(() => area.setSelectionRange(caretAt, caretAt));
    }
  };
  // The dialog looks at the text it was opened for; typing elsewhere moves nothing under it, typing in the word closes it.
  const lookupStale = lookup !== null && text.slice(lookup.target.start, lookup.target.end) !== lookup.target.text;
  useEffect(() => {
    if (lookupStale) setLookup(null);
  }, [lookupStale]);

  const voiceLabel = (v: Voice) => {
    const gender = genderWord(v.gender, t);
    // A library voice speaks what the engine speaks; the language of its recording tells it apart.
    const langs =
      v.kind === 'cloned' && v.language ? t('speak.voice.recorded', { language: languageName(v.language) }) : v.languages.length === 0 ? t('speak.voice.allLanguages') : v.languages.map(languageName).join(', ');
    return [v.name, gender, langs].filter(Boolean).join(' · ');
  };
  const voiceGroup = (label: string, list: readonly Voice[]) =>
    list.length === 0 ? null : (
      <optgroup label={label}>
        {list.map((v) => (
          <option key={v.id} value={v.id}>
            {voiceLabel(v)}
          </option>
        ))}
      </optgroup>
    );
  const presets = voices.filter((v) => v.kind === 'preset');
  const library = voices.filter((v) => v.kind === 'cloned');
  const kb = (bytes: number) => (bytes / 1024).toFixed(bytes < 10240 ? 1 : 0);

  return (
    <form class="speak" onSubmit={speak} onKeyDown={(e) => (e.key === 'Enter' && (e.ctrlKey || e.metaKey) ? speak(e) : undefined)} noValidate>
      <h1 tabIndex={-1}>{t('speak.title')}</h1>
      {loadError && <p class="problem" role="alert">{loadError}</p>}
      {rerunBody && (
        <p class="card note" role="status">
          {t('speak.rerun')}
        </p>
      )}
      <div class="speak-grid">
        <section class="card text-card" aria-labelledby="text-label">
          <label id="text-label" for="text" class="field-label">
            {t('speak.text')}
          </label>
          <p id="text-help" class="help">
            {t('speak.textHelp')}
          </p>
          <div ref={editorRef}>
            <Editor
              id="text"
              value={text}
              onInput={(value) => {
                setText(value);
                // Typing is editing, not looking up: the readings make way.
                setLookup(null);
              }}
              issues={issues}
              mark={lookup && !lookupStale ? lookup.target : null}
              describedBy="text-help text-check"
              placeholder={t('speak.placeholder')}
              textareaRef={textareaRef}
              onCaret={onCaret}
              onKeyDown={(e) => {
                if (e.key === 'Escape' && lookup) {
                  e.preventDefault();
                  closeLookup();
                }
              }}
            >
              {lookup && !lookupStale && (
                <PronouncePopover
                  api={api}
                  target={lookup.target}
                  takeFocus={lookup.takeFocus}
                  anchor={() => editorRef.current?.querySelector<HTMLElement>('[data-lookup]') ?? null}
                  onInsert={insertReading}
                  onClose={closeLookup}
                />
              )}
            </Editor>
          </div>
          <p class="word-tools">
            <button type="button" class="secondary" disabled={!here} aria-haspopup="dialog" onClick={() => here && setLookup({ target: here, takeFocus: true })} data-testid="pronunciation">
              {here ? t('speak.lookup.open', { word: shortWord(here.text) }) : t('speak.lookup.openNone')}
            </button>
          </p>
          <div id="text-check" class="check" role="status" aria-live="polite" data-status={check.status}>
            {issues.length > 0 ? (
              <div class="issue">
                <p>
                  <strong>{t('speak.check.invalid')}</strong> {issues.length > 1 ? t('speak.check.count', { n: issues.length }) : ''}
                </p>
                <ul>
                  {issues.map((issue) => (
                    <li key={issue.position} data-position={issue.position} aria-current={issue === atCaret ? 'true' : undefined}>
                      <p>{issue.message}</p>
                      {issue.suggestion !== undefined && (
                        <button type="button" class="secondary" onClick={() => fix(issue)}>
                          {t('speak.check.fix', { token: issue.token, suggestion: issue.suggestion })}
                        </button>
                      )}
                    </li>
                  ))}
                </ul>
              </div>
            ) : check.status === 'error' ? (
              <p class="problem">
                <strong>{t('speak.check.error')}</strong> {check.error}
              </p>
            ) : check.status === 'ok' && check.result ? (
              <p class="ok">{t('speak.check.ok', { segments: check.result.segments?.length ?? 0, language: languageName(check.result.language ?? '') })}</p>
            ) : check.status === 'checking' ? (
              <p class="help">{t('speak.check.checking')}</p>
            ) : null}
          </div>
          <Legend
            label={t('speak.legend')}
            invalidName={t('speak.kind.invalid')}
            names={{ cmu: t('speak.kind.cmu'), pinyin: t('speak.kind.pinyin'), paralinguistic: t('speak.kind.paralinguistic'), control: t('speak.kind.control'), markup: t('speak.kind.markup') }}
          />
        </section>

        <fieldset class="card options">
          <legend>{t('speak.options')}</legend>
          <div class="field">
            <label for="voice">{t('speak.voice')}</label>
            <select id="voice" value={voice} onChange={(e) => setVoice(e.currentTarget.value)}>
              {voices.length === 0 && <option value="">{t('speak.voice.none')}</option>}
              {voiceGroup(t('speak.voice.presets'), presets)}
              {voiceGroup(t('speak.voice.library'), library)}
            </select>
          </div>
          <div class="field">
            <label for="language">{t('speak.language')}</label>
            <LanguageSelect id="language" value={language} languages={engine?.languages ?? []} onChange={setLanguage} />
          </div>
          <div class="field">
            <label for="instruction">{t('speak.instruction')}</label>
            <select id="instruction" value={instructChoice} disabled={!canInstruct} aria-describedby={canInstruct ? undefined : 'instruction-note'} onChange={(e) => setInstructChoice(e.currentTarget.value)}>
              <option value="">{t('speak.instruction.none')}</option>
              {CATEGORIES.map((category) => {
                const group = instructions.filter((i) => i.category === category);
                return group.length === 0 ? null : (
                  <optgroup key={category} label={t(`speak.category.${category}`)}>
                    {group.map((i) => (
                      <option key={i.key} value={i.key}>
                        {i.label[lang]}
                      </option>
                    ))}
                  </optgroup>
                );
              })}
              <option value={FREE}>{t('speak.instruction.free')}</option>
            </select>
            {!canInstruct && engine && (
              <p id="instruction-note" class="help">
                {t('speak.instruction.unsupported', { engine: engine.name })}
              </p>
            )}
          </div>
          {canInstruct && instructChoice === FREE && (
            <div class="field">
              <label for="instruction-free">{t('speak.instruction.freeLabel')}</label>
              <input id="instruction-free" type="text" maxLength={500} value={instructFree} aria-describedby="instruction-free-help" onInput={(e) => setInstructFree(e.currentTarget.value)} />
              <p id="instruction-free-help" class="help">
                {t('speak.instruction.freeHelp')}
              </p>
            </div>
          )}
          <div class="field">
            <label for="speed">
              {t('speak.speed')} <output for="speed">{speed.toFixed(2)}×</output>
            </label>
            <input id="speed" type="range" min={speedRange.min} max={speedRange.max} step={0.05} value={speed} onInput={(e) => setSpeed(Number(e.currentTarget.value))} />
          </div>
          <div class="field">
            <label for="seed">{t('speak.seed')}</label>
            <input id="seed" type="number" inputMode="numeric" min={0} max={4294967295} step={1} value={seed} aria-describedby="seed-help" onInput={(e) => setSeed(e.currentTarget.value)} />
            <p id="seed-help" class="help">
              {t('speak.seedHelp')}
            </p>
          </div>
          <div class="field">
            <label for="format">{t('speak.format')}</label>
            <select id="format" value={format} onChange={(e) => setFormat(e.currentTarget.value as AudioFormat)}>
              {FORMATS.map((f) => (
                <option key={f} value={f}>
                  {t(`speak.format.${f}` as MessageKey)}
                </option>
              ))}
            </select>
          </div>
          <div class="field checkbox">
            <input id="keep" type="checkbox" checked={keep} aria-describedby="keep-help" onChange={(e) => setKeep(e.currentTarget.checked)} />
            <label for="keep">{t('speak.keep')}</label>
            <p id="keep-help" class="help">
              {t('speak.keepHelp')}
            </p>
          </div>
        </fieldset>
      </div>

      <div class="actions">
        <button type="submit" class="primary" disabled={text.trim() === ''}>
          {t('speak.play')}
        </button>
        <button type="button" class="secondary" onClick={() => player.current?.stop()} disabled={take.state !== 'connecting' && take.state !== 'streaming'}>
          {t('speak.stop')}
        </button>
        <button type="button" class="secondary" onClick={showPreview} disabled={text.trim() === ''}>
          {t('speak.preview')}
        </button>
      </div>

      <section class="card player" aria-labelledby="player-title">
        <h2 id="player-title">{t('player.title')}</h2>
        <audio ref={audioRef} controls preload="none" aria-label={t('player.audioLabel')} data-testid="audio" />
        {take.state !== 'idle' && <Waveform data={wave} audio={audioRef} label={t('player.waveform', { seconds: wave.duration.toFixed(1) })} />}
        <p id="player-status" role="status" aria-live="polite" data-state={take.state}>
          {take.state === 'idle' && t('player.idle')}
          {take.state === 'connecting' && t('player.connecting')}
          {take.state === 'streaming' && t('player.streaming', { kb: kb(take.bytes) })}
          {take.state === 'done' && t('player.done', { kb: kb(take.bytes), segments: take.segments ?? '?', language: languageName(take.language ?? '') })}
          {take.state === 'stopped' && t('player.stopped')}
          {take.state === 'failed' && (
            <span class="problem">
              <strong>{t('player.failed')}</strong> {take.error}
            </span>
          )}
        </p>
        {take.truncated && <p class="problem">{t('player.truncated')}</p>}
        {take.state === 'done' && take.outputId && !take.truncated && (
          <p class="ok" data-testid="kept">
            {t('player.kept', { id: take.outputId })} <a href="#/history">{t('player.openHistory')}</a>
          </p>
        )}
        {take.wholeFile && take.state !== 'idle' && <p class="help">{t('player.wholeFile')}</p>}
        {take.downloadUrl && (
          <a class="button secondary" href={take.downloadUrl} download={`cosyfleet-speech.${FILE_EXTENSION[take.format]}`}>
            {t('player.download', { format: take.format.toUpperCase() })}
          </a>
        )}
        {take.warnings.length > 0 && <Warnings title={t('warnings.title')} warnings={take.warnings} />}
      </section>

      {preview && (
        <section class="card preview" aria-labelledby="preview-title" ref={previewRef} tabIndex={-1}>
          <h2 id="preview-title">{t('preview.title')}</h2>
          <p>
            {t('preview.language', { language: `${languageName(preview.language ?? '')} (${preview.language ?? '?'})` })} {preview.languageDetected ? t('preview.detected') : ''}
          </p>
          <h3>{t('preview.segments', { n: preview.segments?.length ?? 0 })}</h3>
          <ol class="segments">
            {(preview.segments ?? []).map((segment, i) => (
              <li key={i}>
                <code>{segment}</code>
                {i < (preview.segments?.length ?? 0) - 1 && (
                  <span class="help"> {t('preview.pause', { ms: preview.pauses?.[i + 1] ?? 0, join: preview.joins?.[i] ?? '' })}</span>
                )}
              </li>
            ))}
          </ol>
          {(preview.lexiconApplied?.length ?? 0) > 0 && (
            <>
              <h3>{t('preview.lexicon')}</h3>
              <ul>
                {(preview.lexiconApplied ?? []).map((a, i) => (
                  <li key={i}>{t('preview.lexiconEntry', { matched: a.matched ?? '', pronunciation: a.pronunciation ?? '' })}</li>
                ))}
              </ul>
            </>
          )}
          {(preview.warnings?.length ?? 0) > 0 && <Warnings title={t('warnings.title')} warnings={(preview.warnings ?? []).map((w) => ({ code: w.code ?? '', message: w.message ?? '' }))} />}
          <button type="button" class="secondary" onClick={() => setPreview(null)}>
            {t('preview.close')}
          </button>
        </section>
      )}
    </form>
  );
}

function Warnings({ title, warnings }: { title: string; warnings: readonly { code: string; message: string }[] }) {
  return (
    <div class="warnings" role="note" aria-label={title}>
      <h3>{title}</h3>
      <ul>
        {warnings.map((w, i) => (
          <li key={i}>
            <code>{w.code}</code> {w.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
