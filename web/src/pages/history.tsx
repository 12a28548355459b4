// History: the caller's stored outputs (GET /v1/outputs, newest first, a page at a time with
// `after`), each played and downloaded from the service (GET /v1/outputs/{id}/audio with the key,
// fetched as a blob: an <audio src> could not send the key), deleted, and re-run with changes
// when this tab's Speak page made it (history/kept.ts). A service without an output store
// answers the list with 404 `not_found`: the page says so.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Api, type StoredOutput } from '../api/client.js';
import { ConfirmDelete } from '../common/confirm-delete.js';
import { forgetRequest, keptRequest, rerun } from '../history/kept.js';
import { useI18n } from '../i18n/i18n.js';

const PAGE_SIZE = 20;
const EXTENSION: Readonly<Record<string, string>> = { mp3: 'mp3', wav: 'wav', opus: 'ogg', flac: 'flac', pcm: 'pcm', aac: 'aac' };

type Listing = { state: 'loading' } | { state: 'unavailable' } | { state: 'failed'; message: string } | { state: 'ok'; items: StoredOutput[]; hasMore: boolean };

/** Audio the service sends itself; with OBJECT_STORE=s3 `url` is the bucket's, which the page's CSP keeps it from loading. */
const servedHere = (output: StoredOutput) => /^\/(?!\/)/.test(output.url);

export function HistoryPage({ api }: { api: Api }) {
  const { t } = useI18n();
  const [listing, setListing] = useState<Listing>({ state: 'loading' });
  const [moreError, setMoreError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const listTitleRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let live = true;
    api.outputs({ limit: String(PAGE_SIZE) }).then(
      (page) => live && setListing({ state: 'ok', items: page.data ?? [], hasMore: page.hasMore ?? false }),
      (err: unknown) => {
        if (!live) return;
        if (err instanceof ApiError && err.status === 404 && err.code === 'not_found') setListing({ state: 'unavailable' });
        else setListing({ state: 'failed', message: err instanceof Error ? err.message : String(err) });
      },
    );
    return () => {
      live = false;
    };
  }, [api]);

  const items = listing.state === 'ok' ? listing.items : [];

  const more = () => {
    const last = items[items.length - 1];
    if (!last) return;
    setLoadingMore(true);
    setMoreError(null);
    api.outputs({ limit: String(PAGE_SIZE), after: last.id }).then(
      (page) => {
        setLoadingMore(false);
        setListing((l) => {
          if (l.state !== 'ok') return l;
          const known = new Set(l.items.map((o) => o.id));
          return { state: 'ok', items: [...l.items, ...(page.data ?? []).filter((o) => !known.has(o.id))], hasMore: page.hasMore ?? false };
        });
      },
      (err: unknown) => {
        setLoadingMore(false);
        setMoreError(err instanceof Error ? err.message : String(err));
      },
    );
  };

  const removed = (output: StoredOutput) => {
    forgetRequest(output.id);
    setListing((l) => (l.state === 'ok' ? { ...l, items: l.items.filter((o) => o.id !== output.id) } : l));
    setAnnouncement(t('history.deleted'));
    listTitleRef.current?.focus();
  };

  return (
    <div class="history">
      <h1 tabIndex={-1}>{t('history.title')}</h1>
      <p class="intro">{t('history.intro')}</p>
      <p class="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
      {listing.state === 'loading' && <p class="help">{t('history.loading')}</p>}
      {listing.state === 'unavailable' && (
        <p class="card note" data-testid="history-unavailable">
          {t('history.unavailable')}
        </p>
      )}
      {listing.state === 'failed' && (
        <p class="problem" role="alert">
          {listing.message}
        </p>
      )}
      {listing.state === 'ok' && (
        <section aria-labelledby="outputs-title">
          <h2 id="outputs-title" ref={listTitleRef} tabIndex={-1}>
            {t('history.outputs', { n: items.length })}
          </h2>
          {items.length === 0 ? (
            <p class="card note">
              {t('history.empty')} <a href="#/speak">{t('history.toSpeak')}</a>
            </p>
          ) : (
            <ul class="outputs">
              {items.map((output) => (
                <OutputItem key={output.id} api={api} output={output} onDeleted={removed} />
              ))}
            </ul>
          )}
          {listing.hasMore && (
            <div class="actions">
              <button type="button" class="secondary" onClick={more} disabled={loadingMore}>
                {loadingMore ? t('history.loading') : t('history.more')}
              </button>
            </div>
          )}
          {moreError && (
            <p class="problem" role="alert">
              {moreError}
            </p>
          )}
        </section>
      )}
    </div>
  );
}

type AudioState = { state: 'none' } | { state: 'loading' } | { state: 'ready'; url: string } | { state: 'failed'; message: string };

function OutputItem({ api, output, onDeleted }: { api: Api; output: StoredOutput; onDeleted: (output: StoredOutput) => void }) {
  const { t, dateTime } = useI18n();
  const [audio, setAudio] = useState<AudioState>({ state: 'none' });
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const audioRef = useRef<HTMLAudioElement>(null);
  // The URL for the unmount's clean-up (state is stale there).
  const urlRef = useRef<string | null>(null);
  const playWhenReady = useRef(false);
  const request = keptRequest(output.id);
  const titleId = `output-${output.id}`;
  const fileName = `cosyfleet-${output.id}.${EXTENSION[output.format] ?? 'audio'}`;

  useEffect(
    () => () => {
      if (urlRef.current) URL.revokeObjectURL(urlRef.current);
    },
    [],
  );

  useEffect(() => {
    if (audio.state === 'ready' && playWhenReady.current) {
      playWhenReady.current = false;
      audioRef.current?.play().catch(() => undefined);
    }
  }, [audio]);

  /** The audio as an object URL, fetched once. */
  const load = (): Promise<string | null> => {
    if (audio.state === 'ready') return Promise.resolve(audio.url);
    setAudio({ state: 'loading' });
    return api.outputAudio(output.id).then(
      (blob) => {
        const url = URL.createObjectURL(blob);
        urlRef.current = url;
        setAudio({ state: 'ready', url });
        return url;
      },
      (err: unknown) => {
        setAudio({ state: 'failed', message: err instanceof Error ? err.message : String(err) });
        return null;
      },
    );
  };

  const play = () => {
    if (audio.state === 'ready') {
      void audioRef.current?.play().catch(() => undefined);
      return;
    }
    playWhenReady.current = true;
    void load();
  };

  const download = () => {
    void load().then((url) => {
      if (!url) return;
      const a = document.createElement('a');
      a.href = url;
      a.download = fileName;
      a.click();
    });
  };

  const remove = () => {
    setDeleting(true);
    setDeleteError(null);
    api.deleteOutput(output.id).then(
      () => onDeleted(output),
      (err: unknown) => {
        // Expired or deleted elsewhere meanwhile: gone, as asked.
        if (err instanceof ApiError && err.code === 'output_not_found') return onDeleted(output);
        setDeleting(false);
        setDeleteError(err instanceof Error ? err.message : String(err));
      },
    );
  };

  const kb = (output.bytes / 1024).toFixed(output.bytes < 10240 ? 1 : 0);
  return (
    <li class="card output" data-id={output.id}>
      <h3 id={titleId}>{dateTime(output.createdAt)}</h3>
      {request && <p class="output-text">{request.text.length > 160 ? `${request.text.slice(0, 160)}…` : request.text}</p>}
      <p class="help">
        {t('history.details', { format: output.format.toUpperCase(), seconds: output.audioSeconds.toFixed(1), kb, characters: output.characters, voice: output.voice, engine: output.engine })}
        <br />
        {output.expiresAt ? t('history.expires', { when: dateTime(output.expiresAt) }) : t('history.keptForever')}
      </p>
      {audio.state === 'ready' && <audio ref={audioRef} controls src={audio.url} aria-label={t('history.audioLabel', { when: dateTime(output.createdAt) })} data-testid="output-audio" />}
      {audio.state === 'failed' && (
        <p class="problem" role="alert">
          {audio.message}
        </p>
      )}
      <div class="actions">
        {servedHere(output) ? (
          <>
            <button type="button" class="primary" onClick={play} disabled={audio.state === 'loading'} aria-describedby={titleId}>
              {audio.state === 'loading' ? t('history.loadingAudio') : t('history.play')}
            </button>
            <button type="button" class="secondary" onClick={download} disabled={audio.state === 'loading'} aria-describedby={titleId}>
              {t('history.download', { format: output.format.toUpperCase() })}
            </button>
          </>
        ) : (
          // The object store's own URL (presigned: it carries its own authorization), opened by the browser.
          <a class="button secondary" href={output.url} target="_blank" rel="noreferrer noopener" aria-describedby={titleId}>
            {t('history.open')}
          </a>
        )}
        {request && (
          <button type="button" class="secondary" onClick={() => rerun(request)} aria-describedby={titleId}>
            {t('history.rerun')}
          </button>
        )}
        <ConfirmDelete name={dateTime(output.createdAt)} busy={deleting} onConfirm={remove} />
      </div>
      {deleteError && (
        <p class="problem" role="alert">
          {deleteError}
        </p>
      )}
    </li>
  );
}
