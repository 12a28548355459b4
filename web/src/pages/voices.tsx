// Voices: the caller's voice library (GET /v1/voices, the cloned ones) in a table, each played,
// renamed and deleted in place; a new voice added from the microphone or a file with its
// transcript and consent, the server's quality verdict shown in words; the engine's presets
// listed read-only below.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api, Voice } from '../api/client.js';
import { useI18n } from '../i18n/i18n.js';
import { AddVoice } from '../voices/add-voice.js';
import { PresetTable } from '../voices/presets.js';
import { VoiceRow } from '../voices/voice-row.js';
import '../voices/voices.css';

type Listing = { state: 'loading' } | { state: 'failed'; message: string } | { state: 'ok'; library: Voice[]; presets: Voice[] };

export function VoicesPage({ api }: { api: Api }) {
  const { t } = useI18n();
  const [listing, setListing] = useState<Listing>({ state: 'loading' });
  const [announcement, setAnnouncement] = useState('');
  const listTitleRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let live = true;
    api.voices().then(
      (voices) => live && setListing({ state: 'ok', library: voices.filter((v) => v.kind === 'cloned'), presets: voices.filter((v) => v.kind === 'preset') }),
      (err: unknown) => live && setListing({ state: 'failed', message: err instanceof Error ? err.message : String(err) }),
    );
    return () => {
      live = false;
    };
  }, [api]);

  const library = listing.state === 'ok' ? listing.library : [];
  const change = (update: (library: Voice[]) => Voice[]) => setListing((l) => (l.state === 'ok' ? { ...l, library: update(l.library) } : l));

  const added = (voice: Voice) => {
    change((list) => [...list.filter((v) => v.id !== voice.id), voice]);
    setAnnouncement(t('voices.added', { name: voice.name }));
  };
  const updated = (voice: Voice, announcement: string) => {
    change((list) => list.map((v) => (v.id === voice.id ? voice : v)));
    setAnnouncement(announcement);
  };
  const deleted = (voice: Voice) => {
    change((list) => list.filter((v) => v.id !== voice.id));
    setAnnouncement(t('voices.deleted', { name: voice.name }));
    listTitleRef.current?.focus();
  };

  return (
    <div class="voices">
      <h1 tabIndex={-1}>{t('voices.title')}</h1>
      <p class="intro">{t('voices.intro')}</p>
      <p class="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
      <section class="card" aria-labelledby="library-title">
        <h2 id="library-title" ref={listTitleRef} tabIndex={-1}>
          {t('voices.library', { n: library.length })}
        </h2>
        {listing.state === 'loading' && <p class="help">{t('voices.loading')}</p>}
        {listing.state === 'failed' && (
          <p class="problem" role="alert">
            {listing.message}
          </p>
        )}
        {listing.state === 'ok' && library.length === 0 && <p data-testid="library-empty">{t('voices.empty')}</p>}
        {library.length > 0 && (
          <table class="stack-table" data-testid="voice-table">
            <caption class="visually-hidden">{t('voices.library', { n: library.length })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('voices.name')}</th>
                <th scope="col">{t('voices.language')}</th>
                <th scope="col">{t('voices.gender')}</th>
                <th scope="col">{t('voices.length')}</th>
                <th scope="col">{t('voices.pitch')}</th>
                <th scope="col">{t('voices.quality')}</th>
                <th scope="col">
                  <span class="visually-hidden">{t('voices.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {library.map((voice) => (
                <VoiceRow key={voice.id} api={api} voice={voice} onUpdated={updated} onDeleted={deleted} />
              ))}
            </tbody>
          </table>
        )}
      </section>

      <AddVoice api={api} onAdded={added} />

      {listing.state === 'ok' && listing.presets.length > 0 && (
        <details class="card presets">
          <summary>{t('voices.presetsCount', { n: listing.presets.length })}</summary>
          <p class="help">{t('voices.presetsHelp')}</p>
          <PresetTable presets={listing.presets} />
        </details>
      )}
    </div>
  );
}
