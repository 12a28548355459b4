// Ties the metadata watch to the service: a notice that the instance is going away starts the
// drain (drain.ts), which turns readiness red and refuses new work; once nothing accepted is in
// flight (or the notice's window is spent) `onDrained` runs, which in `cosyfleet serve` shuts
// the process down (server.ts). Completing the Auto Scaling lifecycle action is left to the
// host, after the process has exited (docs/operations.md, "Spot and scale-in"): the service
// holds no AWS credentials for it, and exiting is what the hook waits for.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { ServiceMetrics } from '../metrics/metrics.js';
import { InstanceDrain, type DrainResult } from './drain.js';
import { ImdsClient } from './imds-client.js';
import { LifecycleMetrics } from './metrics.js';
import { NoticeWatcher } from './notice-watcher.js';
import type { InstanceNotice } from './notices.js';

/** Routes whose requests are new work: refused while draining, before anything is planned. */
export const NEW_WORK_ROUTES: ReadonlySet<string> = new Set(['POST /v1/tts', 'POST /v1/audio/speech', 'POST /v1/jobs']);
/** Requests a drain never waits for: they answer at once and the balancer keeps sending probes. */
const NOT_WORK: ReadonlySet<string> = new Set(['GET /healthz', 'GET /readyz', 'GET /metrics']);

export interface InstanceLifecycleOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  /** Runs once the drain has ended (the process shuts down here in `cosyfleet serve`). */
  readonly onDrained?: (result: DrainResult) => void;
  /** The metadata client (tests: a stand-in's); default: IMDS_ENDPOINT. */
  readonly imds?: ImdsClient;
}

export interface InstanceLifecycle {
  readonly drain: InstanceDrain;
  /** Null when the watch is off (IMDS_WATCH=off, or auto and no metadata service answered). */
  watcher: NoticeWatcher | null;
}

export function registerInstanceLifecycle(app: FastifyInstance, options: InstanceLifecycleOptions): InstanceLifecycle {
  const { config, logger } = options;
  const log = logger.child({ component: 'instance-lifecycle' });
  const drain = new InstanceDrain({
    onEvent: (event) => {
      if (event.type === 'drained') log.warn({ reason: event.reason, outcome: event.outcome, inFlight: event.inFlight }, 'instance drain ended');
      else if (event.type === 'draining') log.warn({ reason: event.reason, deadline: new Date(event.deadlineAt).toISOString(), inFlight: event.inFlight }, 'instance draining: readiness red, new work refused');
      else log.warn({ reason: event.reason }, 'readiness red on an instance notice; still serving');
    },
  });
  const metrics = new LifecycleMetrics(options.metrics.registry, drain);
  const lifecycle: InstanceLifecycle = { drain, watcher: null };

  app.addHook('onRequest', async (request, reply) => {
    const route = `${request.method === 'HEAD' ? 'GET' : request.method} ${request.routeOptions.url ?? ''}`;
    if (NOT_WORK.has(route)) return;
    if (drain.draining && NEW_WORK_ROUTES.has(route)) {
      metrics.refused.inc();
      throw drain.refusal();
    }
    // 'close' comes when the response is written or the connection went first: either way the
    // request no longer holds the drain.
    reply.raw.once('close', drain.track());
  });

  const start = (notice: InstanceNotice): void => {
    metrics.notices.inc({ kind: notice.kind });
    const now = Date.now();
    let begun: Promise<DrainResult> | null = null;
    if (notice.kind === 'spot_interruption') {
      const at = new Date(notice.time).toISOString();
      log.warn({ action: notice.action, time: at }, 'spot interruption notice');
      begun = drain.begin(`spot interruption: ${notice.action} at ${at}`, notice.time - config.imdsNoticeMarginS * 1000, notice.time);
    } else if (notice.kind === 'scale_in') {
      log.warn({ state: notice.state }, 'Auto Scaling is taking this instance out of service');
      begun = drain.begin(`scale-in: target lifecycle state ${notice.state}`, now + config.shutdownTimeoutMs);
    } else {
      log.warn({ noticeTime: new Date(notice.noticeTime).toISOString(), mode: config.imdsRebalance }, 'rebalance recommendation');
      if (config.imdsRebalance === 'unready') drain.markUnready('rebalance recommendation');
      else if (config.imdsRebalance === 'drain') begun = drain.begin('rebalance recommendation', now + config.shutdownTimeoutMs);
    }
    begun?.then((result) => {
      metrics.drains.inc({ outcome: result.outcome });
      options.onDrained?.(result);
    });
  };

  const watchMode = config.imdsWatch === 'auto' && config.instanceMetadata === 'off' ? 'off' : config.imdsWatch;
  if (watchMode !== 'off') {
    const watcher = new NoticeWatcher({
      imds: options.imds ?? new ImdsClient({ endpoint: config.imdsEndpoint }),
      pollMs: config.imdsPollMs,
      logger: log,
      onNotice: start,
      onProblem: (problem) => metrics.imdsProblems.inc({ problem }),
    });
    lifecycle.watcher = watcher;
    // Not awaited: a host with no metadata service must not wait for the probe to start.
    app.addHook('onReady', async () => {
      if (watchMode === 'on') {
        watcher.start();
        log.info({ endpoint: config.imdsEndpoint, pollMs: config.imdsPollMs }, 'watching instance metadata for spot and scale-in notices');
        return;
      }
      void watcher.poll().then(() => {
        if (!watcher.answered) {
          watcher.stop();
          lifecycle.watcher = null;
          log.info({ endpoint: config.imdsEndpoint }, 'no instance metadata service answered; not watching for spot and scale-in notices (IMDS_WATCH=on to insist)');
          return;
        }
        watcher.start();
        log.info({ endpoint: config.imdsEndpoint, pollMs: config.imdsPollMs }, 'watching instance metadata for spot and scale-in notices');
      });
    });
    app.addHook('onClose', async () => watcher.stop());
  }
  app.addHook('onClose', async () => drain.close());
  return lifecycle;
}
