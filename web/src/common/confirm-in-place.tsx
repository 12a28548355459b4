// An action that asks once, in place: the button turns into "Question? [Yes] [No]" with the
// keyboard on the confirming button, and Escape or "No" go back. No window.confirm (which blocks
// the page and cannot be styled or translated). Deleting (confirm-delete.tsx) and restarting a
// worker (fleet/confirm-restart.tsx) are this with their own words.
import { useEffect, useRef, useState } from 'preact/hooks';

export interface ConfirmInPlaceProps {
  /** The start button's text, and the fuller name a screen reader hears for it. */
  text: string;
  label?: string;
  question: string;
  yes: string;
  no: string;
  /** Destructive: drawn as such. */
  danger?: boolean;
  /** The confirmed action is running. */
  busy: boolean;
  /**
   * With it, a running action folds the question back into the start button, disabled and saying
   * this (a restart: the page goes on while it runs); without it the question stays, its buttons
   * disabled, until the caller removes it (a delete: the row goes away).
   */
  busyText?: string;
  onConfirm: () => void;
}

export function ConfirmInPlace({ text, label, question, yes, no, danger = false, busy, busyText, onConfirm }: ConfirmInPlaceProps) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const startRef = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  const folds = busyText !== undefined;

  useEffect(() => {
    if (asking) confirmRef.current?.focus();
    else if (wasAsking.current) startRef.current?.focus();
    wasAsking.current = asking;
  }, [asking]);

  const tone = danger ? ' danger' : '';
  if (!asking || (busy && folds)) {
    const showBusy = busy && folds;
    return (
      <button type="button" class={`secondary${tone}`} ref={startRef} disabled={showBusy} onClick={() => setAsking(true)} aria-label={showBusy ? undefined : label}>
        {showBusy ? busyText : text}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={question} onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}>
      <span class="confirm-question">{question}</span>
      <button
        type="button"
        class={`primary${tone}`}
        ref={confirmRef}
        disabled={busy}
        onClick={() => {
          if (folds) setAsking(false);
          onConfirm();
        }}
      >
        {yes}
      </button>
      <button type="button" class="secondary" disabled={busy} onClick={() => setAsking(false)}>
        {no}
      </button>
    </span>
  );
}
