// Deleting asks once, in place (common/confirm-in-place.tsx): "Delete …? [Delete] [Keep]".
import { useI18n } from '../i18n/i18n.js';
import { ConfirmInPlace } from './confirm-in-place.js';

export function ConfirmDelete({ name, onConfirm, busy }: { name: string; onConfirm: () => void; busy: boolean }) {
  const { t } = useI18n();
  return (
    <ConfirmInPlace
      text={t('confirm.delete')}
      label={t('confirm.deleteLabel', { name })}
      question={t('confirm.question', { name })}
      yes={t('confirm.yes')}
      no={t('confirm.no')}
      danger
      busy={busy}
      onConfirm={onConfirm}
    />
  );
}
