// A restart asks once, in place (common/confirm-in-place.tsx): "Restart …? [Restart] [Keep]". A
// restart is graceful, but it still costs a worker's warm-up, so it is never one click; while it
// runs the button says so and the page goes on.
import { ConfirmInPlace } from '../common/confirm-in-place.js';
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
  return <ConfirmInPlace text={text} label={label} question={question} yes={t('fleet.restartYes')} no={t('fleet.restartNo')} busy={busy} busyText={t('fleet.restarting')} onConfirm={onConfirm} />;
}
