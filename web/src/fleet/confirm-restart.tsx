// A restart asks once, in place (as deleting does, common/confirm-delete.tsx): the button turns
// into "Restart …? [Restart] [Keep]" with the keyboard on the confirming button; Escape or "Keep"
// go back. A restart is graceful, but it still costs a worker's warm-up, so it is never one click.
import { useEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../i18n/i18n.js';

export interface ConfirmRestartProps {
  /** What the start button says to a screen reader (which worker, or all). */
  label: string;
  question: string;
  text: string;
  busy: boolean;
  onConfirm: () => void;
}

export function ConfirmRestart({ label, question, text, busy, onConfirm }: ConfirmRestartProps) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const startRef = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);

  useEffect(() => {
    if (asking) confirmRef.current?.focus();
    else if (wasAsking.current) startRef.current?.focus();
    wasAsking.current = asking;
  }, [asking]);

  if (!asking || busy) {
    return (
      <button type="button" class="secondary" ref={startRef} disabled={busy} onClick={() => setAsking(true)} aria-label={busy ? undefined : label}>
        {busy ? t('fleet.restarting') : text}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={question} onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}>
      <span class="confirm-question">{question}</span>
      <button
        type="button"
        class="primary"
        ref={confirmRef}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {t('fleet.restartYes')}
      </button>
      <button type="button" class="secondary" onClick={() => setAsking(false)}>
        {t('fleet.restartNo')}
      </button>
    </span>
  );
}
