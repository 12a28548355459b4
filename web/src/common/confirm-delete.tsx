// Deleting asks once, in place: the button turns into "Delete …? [Delete] [Keep]" with the
// keyboard on the confirming button, and Escape or "Keep" go back. No window.confirm (which
// blocks the page and cannot be styled or translated).
import { useEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../i18n/i18n.js';

export function ConfirmDelete({ name, onConfirm, busy }: { name: string; onConfirm: () => void; busy: boolean }) {
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

  if (!asking) {
    return (
      <button type="button" class="secondary danger" ref={startRef} onClick={() => setAsking(true)} aria-label={t('confirm.deleteLabel', { name })}>
        {t('confirm.delete')}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={t('confirm.question', { name })} onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}>
      <span class="confirm-question">{t('confirm.question', { name })}</span>
      <button type="button" class="primary danger" ref={confirmRef} disabled={busy} onClick={onConfirm}>
        {t('confirm.yes')}
      </button>
      <button type="button" class="secondary" disabled={busy} onClick={() => setAsking(false)}>
        {t('confirm.no')}
      </button>
    </span>
  );
}
