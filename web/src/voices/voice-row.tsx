// One library voice in the table: its facts, its recording played from the service (fetched with
// the key as a blob: an <audio src> could not send it), renamed in place (PATCH, Enter saves,
// Escape cancels), its gender changed from a list (PATCH on change) and deleted after asking.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Api, type Voice } from '../api/client.js';
import { ConfirmDelete } from '../common/confirm-delete.js';
import { useI18n } from '../i18n/i18n.js';
import { GenderOptions, genderWord, isGender } from './gender.js';
import { qualityWords } from './verdicts.js';

type AudioState = { state: 'none' } | { state: 'loading' } | { state: 'ready'; url: string } | { state: 'failed'; message: string };

export interface VoiceRowProps {
  api: Api;
  voice: Voice;
  /** After a PATCH, with the words that announce it. */
  onUpdated: (voice: Voice, announcement: string) => void;
  onDeleted: (voice: Voice) => void;
}

export function VoiceRow({ api, voice, onUpdated, onDeleted }: VoiceRowProps) {
  const { t, languageName } = useI18n();
  const [audio, setAudio] = useState<AudioState>({ state: 'none' });
  const [renaming, setRenaming] = useState<string | null>(null);
  const [renameError, setRenameError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  /** The gender being saved: shown at once, back to the voice's own when the server refuses. */
  const [genderPending, setGenderPending] = useState<string | null>(null);
  const [genderError, setGenderError] = useState<string | null>(null);
  const audioRef = useRef<HTMLAudioElement>(null);
  const urlRef = useRef<string | null>(null);
  const renameButtonRef = useRef<HTMLButtonElement>(null);
  const renameInputRef = useRef<HTMLInputElement>(null);
  const wasRenaming = useRef(false);
  const inputId = `rename-${voice.id}`;

  useEffect(
    () => () => {
      if (urlRef.current) URL.revokeObjectURL(urlRef.current);
    },
    [],
  );
  useEffect(() => {
    const now = renaming !== null;
    if (now && !wasRenaming.current) renameInputRef.current?.select();
    if (!now && wasRenaming.current) renameButtonRef.current?.focus();
    wasRenaming.current = now;
  }, [renaming]);

  const play = () => {
    if (audio.state === 'ready') {
      void audioRef.current?.play().catch(() => undefined);
      return;
    }
    setAudio({ state: 'loading' });
    api.voiceAudio(voice.id).then(
      (blob) => {
        const url = URL.createObjectURL(blob);
        urlRef.current = url;
        setAudio({ state: 'ready', url });
        // The element exists after this render; play it then.
        requestAnimationFrame(() => void audioRef.current?.play().catch(() => undefined));
      },
      (err: unknown) => setAudio({ state: 'failed', message: err instanceof Error ? err.message : String(err) }),
    );
  };

  const rename = (event: Event) => {
    event.preventDefault();
    if (renaming === null || saving) return;
    const name = renaming.trim();
    if (name === voice.name) return setRenaming(null);
    if (name === '') return setRenameError(t('voices.need.name'));
    setSaving(true);
    setRenameError(null);
    api.updateVoice(voice.id, { name }).then(
      (updated) => {
        setSaving(false);
        setRenaming(null);
        onUpdated(updated, t('voices.renamed', { name: updated.name }));
      },
      (err: unknown) => {
        setSaving(false);
        setRenameError(err instanceof Error ? err.message : String(err));
        renameInputRef.current?.focus();
      },
    );
  };

  const changeGender = (value: string) => {
    const gender = isGender(value) ? value : null;
    if (genderPending !== null || gender === (voice.gender ?? null)) return;
    setGenderPending(value);
    setGenderError(null);
    api.updateVoice(voice.id, { gender }).then(
      (updated) => {
        setGenderPending(null);
        onUpdated(updated, t('voices.genderSaved', { gender: genderWord(updated.gender, t) ?? t('voices.gender.none') }));
      },
      (err: unknown) => {
        setGenderPending(null);
        setGenderError(err instanceof Error ? err.message : String(err));
      },
    );
  };

  const remove = () => {
    setDeleting(true);
    setDeleteError(null);
    api.deleteVoice(voice.id).then(
      () => onDeleted(voice),
      (err: unknown) => {
        // Deleted elsewhere meanwhile: gone, as asked.
        if (err instanceof ApiError && err.code === 'voice_not_found') return onDeleted(voice);
        setDeleting(false);
        setDeleteError(err instanceof Error ? err.message : String(err));
      },
    );
  };

  return (
    <tr data-id={voice.id}>
      <th scope="row" data-label={t('voices.name')}>
        {renaming === null ? (
          voice.name
        ) : (
          <form class="rename" onSubmit={rename} onKeyDown={(e) => e.key === 'Escape' && (setRenaming(null), setRenameError(null))}>
            <label for={inputId} class="visually-hidden">
              {t('voices.renameLabel', { name: voice.name })}
            </label>
            <input
              id={inputId}
              ref={renameInputRef}
              type="text"
              maxLength={100}
              autocomplete="off"
              value={renaming}
              aria-invalid={renameError ? 'true' : 'false'}
              aria-describedby={renameError ? `${inputId}-error` : undefined}
              onInput={(e) => (setRenaming(e.currentTarget.value), setRenameError(null))}
            />
            <span class="rename-actions">
              <button type="submit" class="primary" disabled={saving}>
                {t('voices.renameSave')}
              </button>
              <button type="button" class="secondary" disabled={saving} onClick={() => (setRenaming(null), setRenameError(null))}>
                {t('voices.renameCancel')}
              </button>
            </span>
            {renameError && (
              <p id={`${inputId}-error`} class="problem field-error">
                {renameError}
              </p>
            )}
          </form>
        )}
      </th>
      <td data-label={t('voices.language')}>{voice.language ? `${languageName(voice.language)} (${voice.language})` : '—'}</td>
      <td data-label={t('voices.gender')}>
        <select
          class="inline-select"
          value={genderPending ?? voice.gender ?? ''}
          disabled={genderPending !== null}
          aria-label={t('voices.genderLabel', { name: voice.name })}
          aria-invalid={genderError ? 'true' : 'false'}
          aria-describedby={genderError ? `gender-${voice.id}-error` : undefined}
          onChange={(e) => changeGender(e.currentTarget.value)}
        >
          <GenderOptions />
        </select>
        {genderError && (
          <p id={`gender-${voice.id}-error`} class="problem" role="alert">
            {genderError}
          </p>
        )}
      </td>
      <td data-label={t('voices.length')}>{t('voices.seconds', { seconds: (voice.durationSeconds ?? 0).toFixed(1) })}</td>
      <td data-label={t('voices.pitch')}>{typeof voice.pitchHz === 'number' ? t('voices.pitchHz', { hz: Math.round(voice.pitchHz) }) : t('voices.pitchUnknown')}</td>
      <td data-label={t('voices.quality')}>
        {qualityWords(voice, t)}
      </td>
      <td class="row-actions">
        <button type="button" class="secondary" onClick={play} disabled={audio.state === 'loading'} aria-label={t('voices.playLabel', { name: voice.name })}>
          {audio.state === 'loading' ? t('voices.loadingAudio') : t('voices.play')}
        </button>
        {renaming === null && (
          <button type="button" class="secondary" ref={renameButtonRef} onClick={() => setRenaming(voice.name)} aria-label={t('voices.renameLabel', { name: voice.name })}>
            {t('voices.rename')}
          </button>
        )}
        <ConfirmDelete name={voice.name} busy={deleting} onConfirm={remove} />
        {audio.state === 'ready' && <audio ref={audioRef} controls src={audio.url} aria-label={t('voices.audioLabel', { name: voice.name })} data-testid="voice-audio" />}
        {audio.state === 'failed' && (
          <p class="problem" role="alert">
            {audio.message}
          </p>
        )}
        {deleteError && (
          <p class="problem" role="alert">
            {deleteError}
          </p>
        )}
      </td>
    </tr>
  );
}
