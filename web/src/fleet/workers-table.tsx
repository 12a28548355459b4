// The workers as a table (a block of labelled lines per worker on a phone, as the lexicon's):
// state, pid, GPU, memory, jobs, RTF, the last recycle and why, and a restart button each.
import type { MessageKey } from '../i18n/en.js';
import { useI18n, type Translate } from '../i18n/i18n.js';
import type { FleetWorker } from './api.js';
import { ConfirmRestart } from './confirm-restart.js';
import './fleet.css';

const STATES: Readonly<Record<string, MessageKey>> = {
  starting: 'fleet.state.starting',
  ready: 'fleet.state.ready',
  draining: 'fleet.state.draining',
  stopping: 'fleet.state.stopping',
  exited: 'fleet.state.exited',
};

/** Why a worker was replaced (the supervisor's reasons; cosyfleet_worker_restarts_total's labels). */
const REASONS: Readonly<Record<string, MessageKey>> = {
  admin: 'fleet.reason.admin',
  crash: 'fleet.reason.crash',
  unresponsive: 'fleet.reason.unresponsive',
  start_failed: 'fleet.reason.start_failed',
  recycle_jobs: 'fleet.reason.recycle_jobs',
  recycle_age: 'fleet.reason.recycle_age',
  recycle_rss: 'fleet.reason.recycle_rss',
  recycle_gpu: 'fleet.reason.recycle_gpu',
  recycle_rtf: 'fleet.reason.recycle_rtf',
  cuda_oom: 'fleet.reason.cuda_oom',
  stalled: 'fleet.reason.stalled',
};

export function reasonText(t: Translate, reason: string): string {
  const key = REASONS[reason];
  return key ? t(key) : reason;
}

export function bytes(n: number): string {
  const mib = n / 2 ** 20;
  return mib >= 1024 ? `${(mib / 1024).toFixed(1)} GiB` : `${Math.round(mib)} MiB`;
}

/** Which GPU (CUDA_VISIBLE_DEVICES), its memory, fp16; a dash for a worker without one (espeak). */
function gpu(t: Translate, w: FleetWorker): string {
  const parts: string[] = [];
  const devices = w.device?.cudaVisibleDevices ?? null;
  if (devices !== null) parts.push(t('fleet.gpuDevices', { devices }));
  else if (w.memory.gpuBytes !== null) parts.push(t('fleet.gpuAll'));
  if (w.memory.gpuBytes !== null) parts.push(bytes(w.memory.gpuBytes));
  if (w.device?.fp16) parts.push('fp16');
  return parts.length > 0 ? parts.join(' · ') : '—';
}

function rtf(t: Translate, w: FleetWorker): string {
  const { current, baseline } = w.rtf;
  if (current === null) return '—';
  return baseline === null ? current.toFixed(2) : t('fleet.rtfBaseline', { current: current.toFixed(2), baseline: baseline.toFixed(2) });
}

export interface WorkersTableProps {
  workers: readonly FleetWorker[];
  /** Workers whose restart is under way (ids), or every one. */
  restarting: ReadonlySet<string> | 'all';
  onRestart: (worker: FleetWorker) => void;
}

export function WorkersTable({ workers, restarting, onRestart }: WorkersTableProps) {
  const { t, dateTime } = useI18n();
  const col = (key: MessageKey) => t(key);
  return (
    <table class="stack-table fleet-workers" data-testid="fleet-workers">
      <caption class="visually-hidden">{t('fleet.workersCaption')}</caption>
      <thead>
        <tr>
          <th scope="col">{col('fleet.col.worker')}</th>
          <th scope="col">{col('fleet.col.state')}</th>
          <th scope="col">{col('fleet.col.pid')}</th>
          <th scope="col">{col('fleet.col.gpu')}</th>
          <th scope="col">{col('fleet.col.memory')}</th>
          <th scope="col">{col('fleet.col.jobs')}</th>
          <th scope="col">{col('fleet.col.rtf')}</th>
          <th scope="col">{col('fleet.col.recycle')}</th>
          <th scope="col">
            <span class="visually-hidden">{col('fleet.col.actions')}</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {workers.map((w) => {
          const last = w.restarts[0];
          const stateKey = STATES[w.state];
          return (
            <tr key={w.id} data-id={w.id} data-slot={w.slot} data-state={w.state}>
              <th scope="row" data-label={col('fleet.col.worker')}>
                {w.id}
              </th>
              <td data-label={col('fleet.col.state')} class={w.ready ? 'ok' : undefined}>
                {stateKey ? t(stateKey) : w.state}
                {w.retiring !== null && <span class="help"> · {t('fleet.retiring', { reason: reasonText(t, w.retiring) })}</span>}
              </td>
              <td data-label={col('fleet.col.pid')} data-testid="pid">
                {w.pid ?? '—'}
              </td>
              <td data-label={col('fleet.col.gpu')}>{gpu(t, w)}</td>
              <td data-label={col('fleet.col.memory')} class="nowrap">
                {w.memory.rssBytes === null ? '—' : bytes(w.memory.rssBytes)}
              </td>
              <td data-label={col('fleet.col.jobs')}>{w.jobsFailed > 0 ? t('fleet.jobsFailed', { done: w.jobsDone, failed: w.jobsFailed }) : String(w.jobsDone)}</td>
              <td data-label={col('fleet.col.rtf')}>{rtf(t, w)}</td>
              <td data-label={col('fleet.col.recycle')} data-testid="recycle">
                {last ? t('fleet.recycle', { reason: reasonText(t, last.reason), when: dateTime(last.at), worker: last.worker }) : t('fleet.never')}
              </td>
              <td class="row-actions">
                <ConfirmRestart
                  label={t('fleet.restartLabel', { id: w.id })}
                  question={t('fleet.restartQuestion', { id: w.id })}
                  text={t('fleet.restart')}
                  busy={restarting === 'all' || restarting.has(w.id)}
                  onConfirm={() => onRestart(w)}
                />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
