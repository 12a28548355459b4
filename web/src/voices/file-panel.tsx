// Choosing a recording from disk instead: the file as it is (the server decodes and judges it),
// played here first. A WAV header's rate is read so a too-low rate can be named in the verdict.
import { useEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../i18n/i18n.js';
import type { ChosenAudio } from './chosen-audio.js';
import { wavSampleRate } from './wav.js';

/** What the server decodes (WAV, MP3, FLAC, Ogg Opus); the picker offers these first. */
const ACCEPT = 'audio/wav,audio/x-wav,audio/mpeg,audio/flac,audio/ogg,.wav,.mp3,.flac,.ogg,.opus';

export function FilePanel({ onAudio, invalid, describedBy }: { onAudio: (audio: ChosenAudio | null) => void; invalid: boolean; describedBy?: string | undefined }) {
  const { t } = useI18n();
  const [chosen, setChosen] = useState<{ name: string; kb: string; url: string } | null>(null);
  const urlRef = useRef<string | null>(null);

  const forgetUrl = () => {
    if (urlRef.current) URL.revokeObjectURL(urlRef.current);
    urlRef.current = null;
  };
  useEffect(() => forgetUrl, []);

  const choose = (file: File | undefined) => {
    forgetUrl();
    if (!file) {
      setChosen(null);
      onAudio(null);
      return;
    }
    const url = URL.createObjectURL(file);
    urlRef.current = url;
    setChosen({ name: file.name, kb: (file.size / 1024).toFixed(file.size < 10240 ? 1 : 0), url });
    void file
      .slice(0, 4096)
      .arrayBuffer()
      .then(
        (head) => onAudio({ blob: file, filename: file.name || 'voice', sampleRate: wavSampleRate(new Uint8Array(head)) }),
        () => onAudio({ blob: file, filename: file.name || 'voice', sampleRate: null }),
      );
  };

  return (
    <div class="file-panel">
      <label for="voice-file">{t('voices.file.label')}</label>
      <input
        id="voice-file"
        type="file"
        accept={ACCEPT}
        aria-invalid={invalid ? 'true' : 'false'}
        aria-describedby={['voice-file-help', describedBy].filter(Boolean).join(' ')}
        onChange={(e) => choose(e.currentTarget.files?.[0])}
      />
      <p id="voice-file-help" class="help">
        {t('voices.file.help')}
      </p>
      {chosen && (
        <div class="take">
          <p>{t('voices.file.chosen', { name: chosen.name, kb: chosen.kb })}</p>
          <audio controls src={chosen.url} aria-label={t('voices.file.playback', { name: chosen.name })} data-testid="file-playback" />
        </div>
      )}
    </div>
  );
}
