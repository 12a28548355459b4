// Connects an out-of-process engine's worker pool to metrics (restarts by reason, warnings,
// memory and state per worker at scrape time) and to the service log. A no-op for in-process engines.
import type { Logger } from 'pino';
import type { Engine } from '../engines/engine.js';
import type { ServiceMetrics } from '../metrics/metrics.js';
import { ProcessEngine } from './process-engine.js';
import type { RestartEvent, SegmentFailedEvent, WorkerWarningEvent } from './supervisor.js';

export const RESTART_REASONS = [
  'crash',
  'unresponsive',
  'start_failed',
  'start_timeout',
  'protocol_error',
  'incompatible',
  'recycle_jobs',
  'recycle_age',
  'recycle_rss',
  'recycle_gpu',
  'recycle_rtf',
  'admin',
  'cuda_oom',
] as const;

export function observeWorkers(engine: Engine, metrics: ServiceMetrics, log: Logger): void {
  if (!(engine instanceof ProcessEngine)) return;
  const name = engine.capabilities.name;
  const supervisor = engine.supervisor;
  metrics.watchWorkers(name, supervisor);
  for (const reason of RESTART_REASONS) metrics.workerRestarts.inc({ engine: name, reason }, 0);
  supervisor.on('restart', (e: RestartEvent) => {
    metrics.workerRestarted(name, e.reason);
    log.info({ engine: name, worker: e.worker, slot: e.slot, reason: e.reason }, 'worker restart');
  });
  supervisor.on('segment-failed', (e: SegmentFailedEvent) => metrics.workerSegmentFailures.inc({ engine: name, code: e.code }));
  supervisor.on('worker-warning', (e: WorkerWarningEvent) => {
    metrics.workerWarnings.inc({ engine: name, code: e.code });
    log.warn({ engine: name, worker: e.worker, code: e.code }, e.message);
  });
}
