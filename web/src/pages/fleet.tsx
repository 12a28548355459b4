// Fleet (admin key): the workers live (GET /v1/admin/fleet, refreshed every few seconds while the
// page is shown), restart one or all gracefully as the admin API does (each confirmed first), the
// queue depth and 429s of the last minutes as bars, and the engine's readiness. A key that may
// not call the admin API gets a plain "needs an admin key" with a field for one: with AUTH=off
// the studio has no key at all, and COSYFLEET_ADMIN_KEY is entered here.
import { useMemo, useRef, useState } from 'preact/hooks';
import { createFleetApi, needsAdminKey, type Fleet, type FleetWorker } from '../fleet/api.js';
import { ConfirmRestart } from '../fleet/confirm-restart.js';
import { MinuteBars } from '../fleet/minute-bars.js';
import { useFleet } from '../fleet/use-fleet.js';
import { WorkersTable } from '../fleet/workers-table.js';
import { useI18n } from '../i18n/i18n.js';
import { KeyField } from '../common/key-field.js';
import { useKeyCheck } from '../common/use-key-check.js';

const MINUTES = 15;

// An admin key given on this page: in memory only (never stored), for as long as the tab lives
// without a reload, so going to another page and back does not ask again.
let pageKey: string | null = null;

export function FleetPage({ tabKey }: { tabKey: string | null }) {
  const { t } = useI18n();
  const [adminKey, setAdminKey] = useState<string | null>(pageKey);
  const api = useMemo(() => createFleetApi(() => adminKey ?? tabKey), [adminKey, tabKey]);
  const { view, refresh } = useFleet(api, MINUTES);
  const [restarting, setRestarting] = useState<ReadonlySet<string> | 'all'>(new Set());
  const [announcement, setAnnouncement] = useState('');
  const [restartError, setRestartError] = useState<string | null>(null);

  const fleet: Fleet | null = view.state === 'ok' ? view.fleet : view.state === 'failed' ? view.fleet : null;

  const done = (message: string) => {
    setAnnouncement(message);
    refresh();
  };
  const failed = (err: unknown) => setRestartError(err instanceof Error ? err.message : String(err));

  const restartOne = (worker: FleetWorker) => {
    setRestartError(null);
    setRestarting((r) => (r === 'all' ? r : new Set([...r, worker.id])));
    api
      .restartWorker(worker.id)
      .then(() => done(t('fleet.restarted', { id: worker.id })), failed)
      .finally(() =>
        setRestarting((r) => {
          if (r === 'all') return r;
          const next = new Set(r);
          next.delete(worker.id);
          return next;
        }),
      );
  };

  const restartAll = (engine: string) => {
    setRestartError(null);
    setRestarting('all');
    api
      .restartEngine(engine)
      .then(() => done(t('fleet.restartedAll', { engine })), failed)
      .finally(() => setRestarting(new Set()));
  };

  return (
    <div class="fleet">
      <h1 tabIndex={-1}>{t('fleet.title')}</h1>
      <p class="intro">{t('fleet.intro')}</p>
      <p class="visually-hidden" role="status" aria-live="polite" data-testid="fleet-announcement">
        {announcement}
      </p>
      {view.state === 'loading' && <p class="help">{t('fleet.loading')}</p>}
      {view.state === 'off' && (
        <p class="card note" data-testid="fleet-off">
          {t('fleet.off')}
        </p>
      )}
      {view.state === 'needs-admin' && (
        <AdminKeyForm
          message={view.message}
          onKey={(key) => {
            pageKey = key;
            setAdminKey(key);
          }}
        />
      )}
      {view.state === 'failed' && (
        <p class="problem" role="alert">
          {t('fleet.failed', { message: view.message })}
        </p>
      )}
      {fleet && (
        <>
          <Readiness fleet={fleet} />
          <section class="card" aria-labelledby="fleet-workers-title">
            <h2 id="fleet-workers-title">{t('fleet.workers', { n: fleet.workers.length })}</h2>
            <div class="actions">
              <ConfirmRestart
                label={t('fleet.restartAllLabel', { engine: fleet.engine })}
                question={t('fleet.restartAllQuestion', { engine: fleet.engine })}
                text={t('fleet.restartAll')}
                busy={restarting === 'all'}
                onConfirm={() => restartAll(fleet.engine)}
              />
            </div>
            {restartError && (
              <p class="problem" role="alert">
                {restartError}
              </p>
            )}
            <WorkersTable workers={fleet.workers} restarting={restarting} onRestart={restartOne} />
          </section>
          <History fleet={fleet} />
        </>
      )}
    </div>
  );
}

function Readiness({ fleet }: { fleet: Fleet }) {
  const { t, dateTime } = useI18n();
  const { readiness, queue } = fleet;
  const mode = fleet.mode === 'process' ? t('fleet.modeProcess') : t('fleet.modeThread');
  return (
    <section class="card" aria-labelledby="fleet-ready-title" data-testid="fleet-readiness">
      <h2 id="fleet-ready-title">{t('fleet.readiness')}</h2>
      <p class={readiness.ready ? 'ok' : 'problem'} data-ready={String(readiness.ready)}>
        {readiness.ready ? t('fleet.ready', { engine: fleet.engine, mode }) : t('fleet.notReady', { engine: fleet.engine, mode, detail: readiness.detail ?? '' })}
      </p>
      <p>{t('fleet.queueNow', { interactive: queue.waiting.interactive, batch: queue.waiting.batch, running: queue.running, slots: queue.slots, jobs: queue.activeJobs })}</p>
      <p class="help">{t('fleet.updated', { when: dateTime(fleet.at) })}</p>
    </section>
  );
}

function History({ fleet }: { fleet: Fleet }) {
  const { t } = useI18n();
  const minutes = fleet.minutes;
  const sum = (f: (m: Fleet['minutes'][number]) => number) => minutes.reduce((a, m) => a + f(m), 0);
  const full = sum((m) => m.rejected.queue_full);
  const overloaded = sum((m) => m.rejected.overloaded);
  const now = minutes[minutes.length - 1]?.queue.last ?? 0;
  return (
    <section class="card" aria-labelledby="fleet-history-title">
      <h2 id="fleet-history-title">{t('fleet.history', { n: minutes.length })}</h2>
      <MinuteBars
        id="fleet-queue"
        title={t('fleet.queueChart')}
        summary={t('fleet.queueSummary', { peak: Math.max(0, ...minutes.map((m) => m.queue.max)), now })}
        points={minutes.map((m) => ({ start: m.start, value: m.queue.max }))}
        tone="help"
      />
      <MinuteBars
        id="fleet-429"
        title={t('fleet.rejectChart')}
        summary={t('fleet.rejectSummary', { rejected: full + overloaded, full, overloaded, admitted: sum((m) => m.admitted) })}
        points={minutes.map((m) => ({ start: m.start, value: m.rejected.queue_full + m.rejected.overloaded }))}
        tone="problem"
      />
    </section>
  );
}

function AdminKeyForm({ message, onKey }: { message: string; onKey: (key: string) => void }) {
  const { t } = useI18n();
  const inputRef = useRef<HTMLInputElement>(null);
  const { value, setValue, checking, error, submit } = useKeyCheck({
    tryKey: (key) => createFleetApi(() => key).fleet(1),
    accepted: (key) => onKey(key),
    refusal: (err) => (needsAdminKey(err) && err instanceof Error ? t('fleet.keyRefused', { message: err.message }) : err instanceof Error ? err.message : String(err)),
    onRefused: () => inputRef.current?.focus(),
  });

  return (
    <form class="card" onSubmit={submit} aria-labelledby="fleet-admin-title" data-testid="fleet-needs-admin">
      <h2 id="fleet-admin-title">{t('fleet.needsAdminTitle')}</h2>
      <p>{t('fleet.needsAdmin', { message })}</p>
      <KeyField id="fleet-admin-key" label={t('fleet.adminKey')} help={t('fleet.adminKeyHelp')} error={error} value={value} onInput={setValue} inputRef={inputRef} />
      <div class="actions">
        <button type="submit" class="primary" disabled={checking || value.trim() === ''}>
          {checking ? t('fleet.checking') : t('fleet.useKey')}
        </button>
      </div>
    </form>
  );
}
