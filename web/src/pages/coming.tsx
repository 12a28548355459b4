// The pages the studio does not have yet say so, and name the API that does the same today.
import { useI18n } from '../i18n/i18n.js';

export type ComingPage = 'voices' | 'fleet' | 'cost';

export function Coming({ page }: { page: ComingPage }) {
  const { t } = useI18n();
  return (
    <section class="coming">
      <h1 tabIndex={-1}>{t('coming.title', { page: t(`nav.${page}`) })}</h1>
      <p>{t('coming.body')}</p>
      <p class="card">
        <code>{t(`coming.${page}`)}</code>
      </p>
      <p>
        <a href="/docs">{t('coming.reference')}</a>
      </p>
    </section>
  );
}
