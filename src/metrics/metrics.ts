// The service's Prometheus metrics (prom-client), one registry per app so that several apps in
// one process (tests) never share counters. The scheduler and the worker supervisor report
// through observer hooks; gauges that describe current state are read at scrape time.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AudioPoolStats } from '../audio/pool.js';
import type { SchedulerObserver } from '../scheduler/job.js';
import type { SchedulerStats } from '../scheduler/scheduler.js';

/** What a worker pool reports at scrape time (src/workers/supervisor.ts). */
export interface WorkerGaugeSource {
  workerGauges(): { id: string; state: string; rssBytes: number | null; gpuMemoryBytes: number | null }[];
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly queueDepth: Gauge<'engine' | 'priority'>;
  readonly queueWait: Histogram<'engine' | 'priority'>;
  readonly timeToFirstAudio: Histogram<'engine' | 'priority'>;
  readonly rtf: Histogram<'engine'>;
  readonly audioSeconds: Counter<'engine'>;
  readonly engineSeconds: Counter<'engine'>;
  readonly jobs: Counter<'engine' | 'outcome'>;
  readonly rejections: Counter<'engine' | 'reason'>;
  readonly segmentRetries: Counter<'engine'>;
  readonly workerRestarts: Counter<'engine' | 'reason'>;
  readonly workerWarnings: Counter<'engine' | 'code'>;
  readonly workerSegmentFailures: Counter<'engine' | 'code'>;
  readonly batchSize: Histogram<'engine'>;
  /** Per tenant: what usage (GET /v1/usage) counts, for dashboards and alerts. */
  readonly tenantRequests: Counter<'tenant' | 'outcome'>;
  readonly tenantCharacters: Counter<'tenant'>;
  readonly tenantAudioSeconds: Counter<'tenant'>;
  readonly tenantEngineSeconds: Counter<'tenant'>;
  readonly tenantCostUsd: Counter<'tenant'>;
  readonly quotaRejections: Counter<'reason'>;
  readonly resultCache: Counter<'event'>;
  readonly jobEvents: Counter<'event'>;
  readonly connectionsRefused: Counter<'reason'>;
  readonly requestTimeouts: Counter<'phase'>;
  readonly streamsStalled: Counter<'route'>;
  readonly audioTasks: Counter<'op' | 'where'>;
  readonly audioThreadExits: Counter;
  private readonly audioSources: (() => AudioPoolStats)[] = [];
  private readonly schedulers: { engine: string; stats: () => SchedulerStats }[] = [];
  private readonly pools: { engine: string; source: WorkerGaugeSource }[] = [];

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'cosyfleet_' });
    const schedulers = this.schedulers;
    const pools = this.pools;
    this.queueDepth = new Gauge({
      name: 'cosyfleet_queue_depth',
      help: 'Segments waiting for an engine slot, by priority.',
      labelNames: ['engine', 'priority'],
      registers,
      collect() {
        for (const s of schedulers) {
          const stats = s.stats();
          for (const [priority, n] of Object.entries(stats.queued)) this.set({ engine: s.engine, priority }, n);
        }
      },
    });
    new Gauge({
      name: 'cosyfleet_jobs_active',
      help: 'Admitted jobs not finished, and those of them still waiting to start.',
      labelNames: ['engine', 'state'],
      registers,
      collect() {
        for (const s of schedulers) {
          const stats = s.stats();
          this.set({ engine: s.engine, state: 'admitted' }, stats.activeJobs);
          this.set({ engine: s.engine, state: 'waiting' }, stats.waitingJobs);
          this.set({ engine: s.engine, state: 'running_segments' }, stats.running);
        }
      },
    });
    new Gauge({
      name: 'cosyfleet_engine_slots',
      help: 'Engine calls that may run at once (the engine\'s concurrency).',
      labelNames: ['engine'],
      registers,
      collect() {
        for (const s of schedulers) this.set({ engine: s.engine }, s.stats().slots);
      },
    });
    new Gauge({
      name: 'cosyfleet_estimated_rtf',
      help: 'The scheduler\'s current estimate of engine time / audio time (EWMA), used for admission.',
      labelNames: ['engine'],
      registers,
      collect() {
        for (const s of schedulers) this.set({ engine: s.engine }, s.stats().estimator.rtf);
      },
    });
    this.queueWait = new Histogram({
      name: 'cosyfleet_queue_wait_seconds',
      help: 'Time from admission until a job\'s first segment started on the engine.',
      labelNames: ['engine', 'priority'],
      buckets: SECONDS,
      registers,
    });
    this.timeToFirstAudio = new Histogram({
      name: 'cosyfleet_time_to_first_audio_seconds',
      help: 'Time from admission until the engine produced a job\'s first audio.',
      labelNames: ['engine', 'priority'],
      buckets: SECONDS,
      registers,
    });
    this.rtf = new Histogram({
      name: 'cosyfleet_segment_rtf',
      help: 'Real-time factor of each engine call (engine time / audio time).',
      labelNames: ['engine'],
      buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers,
    });
    this.audioSeconds = new Counter({ name: 'cosyfleet_audio_seconds_total', help: 'Audio synthesized.', labelNames: ['engine'], registers });
    // Engine time is what a request costs the fleet: busy share = rate(this) / slots, and the
    // engine's own speed while under load (validate:planner reads it to separate the machine's
    // drift from the planner's model).
    this.engineSeconds = new Counter({
      name: 'cosyfleet_engine_seconds_total',
      help: 'Engine time spent on segments (seconds; a batched call is shared by its segments in proportion to their audio).',
      labelNames: ['engine'],
      registers,
    });
    this.jobs = new Counter({
      name: 'cosyfleet_jobs_total',
      help: 'Finished jobs by outcome (completed, failed, cancelled, expired, truncated).',
      labelNames: ['engine', 'outcome'],
      registers,
    });
    this.rejections = new Counter({
      name: 'cosyfleet_jobs_rejected_total',
      help: 'Requests refused at admission with 429, by reason (queue_full, overloaded).',
      labelNames: ['engine', 'reason'],
      registers,
    });
    this.connectionsRefused = new Counter({
      name: 'cosyfleet_connections_refused_total',
      help: 'Connections refused: closed on accept past MAX_CONNECTIONS (max_connections), or answered 429 past MAX_CONNECTIONS_PER_ADDRESS (per_address).',
      labelNames: ['reason'],
      registers,
    });
    this.requestTimeouts = new Counter({
      name: 'cosyfleet_request_timeouts_total',
      help: 'Requests cut with 408 because their headers (HEADERS_TIMEOUT_MS) or body (REQUEST_TIMEOUT_MS) did not arrive in time.',
      labelNames: ['phase'],
      registers,
    });
    this.streamsStalled = new Counter({
      name: 'cosyfleet_streams_stalled_total',
      help: 'Streamed responses cut because the client stopped reading for STREAM_STALL_TIMEOUT_MS (their jobs are cancelled), by route.',
      labelNames: ['route'],
      registers,
    });
    this.audioTasks = new Counter({
      name: 'cosyfleet_audio_tasks_total',
      help: 'Audio work done off the engine: decode (uploads), prompt (voice prompt checks), resample, open/write/end/close (response encoding), by where it ran (thread: the AUDIO_THREADS pool; inline: the event loop).',
      labelNames: ['op', 'where'],
      registers,
    });
    const audioSources = this.audioSources;
    new Gauge({
      name: 'cosyfleet_audio_work',
      help: 'The audio thread pool now: threads running (of AUDIO_THREADS), codec sessions open (responses being encoded in a thread), tasks a thread is working on or has queued (0: no thread busy).',
      labelNames: ['kind'],
      registers,
      collect() {
        for (const source of audioSources) {
          const stats = source();
          this.set({ kind: 'threads' }, stats.threads);
          this.set({ kind: 'max_threads' }, stats.maxThreads);
          this.set({ kind: 'open_sessions' }, stats.openSessions);
          this.set({ kind: 'pending_tasks' }, stats.pendingTasks);
        }
      },
    });
    this.audioThreadExits = new Counter({
      name: 'cosyfleet_audio_thread_exits_total',
      help: 'Audio worker threads that stopped unasked (their pending work failed; the next task starts a fresh thread).',
      registers,
    });
    this.segmentRetries = new Counter({
      name: 'cosyfleet_segment_retries_total',
      help: 'Segments run again after their worker died or failed them retryably (CUDA out of memory, NaN or silent output) before they sent audio.',
      labelNames: ['engine'],
      registers,
    });
    this.workerRestarts = new Counter({
      name: 'cosyfleet_worker_restarts_total',
      help: 'Worker processes replaced, by reason (crash, unresponsive, start_failed, recycle_jobs, recycle_age, recycle_rss, recycle_gpu, recycle_rtf, admin, cuda_oom).',
      labelNames: ['engine', 'reason'],
      registers,
    });
    this.workerSegmentFailures = new Counter({
      name: 'cosyfleet_worker_segment_failures_total',
      help: 'Segments a worker failed, by the code it gave (bad_audio: NaN, empty or silent output; out_of_memory: CUDA out of memory; others). Retried ones included.',
      labelNames: ['engine', 'code'],
      registers,
    });
    this.workerWarnings = new Counter({
      name: 'cosyfleet_worker_warnings_total',
      help: 'Warnings workers reported for operators, by code (fp16_unsafe: NaN or silent output with fp16 on; bad_audio: the same with fp16 off).',
      labelNames: ['engine', 'code'],
      registers,
    });
    new Gauge({
      name: 'cosyfleet_worker_memory_bytes',
      help: 'Memory of each live worker process, by kind (rss; gpu when nvidia-smi reports it).',
      labelNames: ['engine', 'worker', 'kind'],
      registers,
      collect() {
        this.reset();
        for (const p of pools) {
          for (const w of p.source.workerGauges()) {
            if (w.rssBytes !== null) this.set({ engine: p.engine, worker: w.id, kind: 'rss' }, w.rssBytes);
            if (w.gpuMemoryBytes !== null) this.set({ engine: p.engine, worker: w.id, kind: 'gpu' }, w.gpuMemoryBytes);
          }
        }
      },
    });
    new Gauge({
      name: 'cosyfleet_workers',
      help: 'Worker processes by state (starting, ready, draining, stopping).',
      labelNames: ['engine', 'state'],
      registers,
      collect() {
        this.reset();
        for (const p of pools) {
          const counts = new Map<string, number>();
          for (const w of p.source.workerGauges()) counts.set(w.state, (counts.get(w.state) ?? 0) + 1);
          for (const state of ['starting', 'ready', 'draining', 'stopping']) this.set({ engine: p.engine, state }, counts.get(state) ?? 0);
        }
      },
    });
    this.tenantRequests = new Counter({ name: 'cosyfleet_tenant_requests_total', help: 'Synthesis requests by tenant and job outcome.', labelNames: ['tenant', 'outcome'], registers });
    this.tenantCharacters = new Counter({ name: 'cosyfleet_tenant_characters_total', help: 'Characters of request text by tenant.', labelNames: ['tenant'], registers });
    this.tenantAudioSeconds = new Counter({ name: 'cosyfleet_tenant_audio_seconds_total', help: 'Audio synthesized by tenant.', labelNames: ['tenant'], registers });
    this.tenantEngineSeconds = new Counter({ name: 'cosyfleet_tenant_engine_seconds_total', help: 'Engine time by tenant.', labelNames: ['tenant'], registers });
    this.tenantCostUsd = new Counter({ name: 'cosyfleet_tenant_cost_usd_total', help: 'Dollars of instance time attributed to the tenant (each closed minute split by engine time); idle minutes under tenant "_idle".', labelNames: ['tenant'], registers });
    this.quotaRejections = new Counter({ name: 'cosyfleet_quota_rejections_total', help: 'Synthesis requests refused by a key limit (rate_limited, concurrency_limited, quota_exceeded).', labelNames: ['reason'], registers });
    this.resultCache = new Counter({ name: 'cosyfleet_result_cache_total', help: 'Result cache lookups and fills: hit (answered without the engine), miss, stored. Hit rate = hit / (hit + miss).', labelNames: ['event'], registers });
    for (const event of ['hit', 'miss', 'stored']) this.resultCache.inc({ event }, 0);
    this.jobEvents = new Counter({
      name: 'cosyfleet_long_jobs_total',
      help: 'Long-form jobs (POST /v1/jobs) on this node: segment (one stored), succeeded, failed, retried (a run ended in a retryable error and resumes), webhook_delivered, webhook_failed (given up).',
      labelNames: ['event'],
      registers,
    });
    for (const event of ['segment', 'succeeded', 'failed', 'retried', 'webhook_delivered', 'webhook_failed']) this.jobEvents.inc({ event }, 0);
    this.batchSize = new Histogram({
      name: 'cosyfleet_batch_size',
      help: 'Segments per engine call (1 for engines that do not batch).',
      labelNames: ['engine'],
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers,
    });
  }

  /** Observer that records one scheduler's events under `engine`. */
  schedulerObserver(engine: string, stats: () => SchedulerStats): SchedulerObserver {
    this.schedulers.push({ engine, stats });
    // Pre-create series so a scrape shows zeros before the first event.
    for (const outcome of ['completed', 'failed', 'cancelled', 'expired', 'truncated']) this.jobs.inc({ engine, outcome }, 0);
    for (const reason of ['queue_full', 'overloaded']) this.rejections.inc({ engine, reason }, 0);
    this.segmentRetries.inc({ engine }, 0);
    this.audioSeconds.inc({ engine }, 0);
    this.engineSeconds.inc({ engine }, 0);
    return {
      started: (job, waitMs) => this.queueWait.observe({ engine, priority: job.priority }, waitMs / 1000),
      firstAudio: (job, ms) => this.timeToFirstAudio.observe({ engine, priority: job.priority }, ms / 1000),
      segmentDone: ({ audioSeconds, engineMs }) => {
        this.audioSeconds.inc({ engine }, audioSeconds);
        this.engineSeconds.inc({ engine }, engineMs / 1000);
        if (audioSeconds > 0) this.rtf.observe({ engine }, engineMs / 1000 / audioSeconds);
      },
      batch: (size) => this.batchSize.observe({ engine }, size),
      retried: () => this.segmentRetries.inc({ engine }),
      rejected: (reason) => this.rejections.inc({ engine, reason }),
      settled: (job) => {
        if (job.outcome) this.jobs.inc({ engine, outcome: job.outcome });
      },
    };
  }

  /** Reports a worker pool's memory and states at scrape time. */
  /** Reports the audio thread pool (threads, open sessions) on each scrape. */
  watchAudio(stats: () => AudioPoolStats): void {
    this.audioSources.push(stats);
  }

  watchWorkers(engine: string, source: WorkerGaugeSource): void {
    this.pools.push({ engine, source });
  }

  workerRestarted(engine: string, reason: string): void {
    this.workerRestarts.inc({ engine, reason });
  }
}
