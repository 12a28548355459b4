// buildApp(config) assembles the service from its plugins; it never listens (server.ts does),
// so tests inject requests or listen on an ephemeral loopback port themselves.
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import type { Config } from './config/config.js';
import { AppError } from './errors/app-error.js';
import type { Engine } from './engines/engine.js';
import { createEngine } from './engines/registry.js';
import type { Lifecycle } from './http/context.js';
import { clientErrorHandler, frameworkErrors, registerErrorHandling } from './http/errors.js';
import { registerOpenApi } from './http/openapi.js';
import { registerCors } from './http/cors.js';
import { requestLogSerializers } from './http/request-log.js';
import { registerBodyBounds } from './http/request-body.js';
import { registerSiteGuard } from './http/site-guard.js';
import { transportServerFactory } from './http/transport.js';
import { registerLanguageTags } from './http/language-tags.js';
import { registerWellFormedText } from './http/well-formed.js';
import { ttsRoutes } from './http/tts.js';
import { catalogRoutes } from './http/catalog.js';
import { healthRoutes } from './http/health.js';
import { instructionRoutes } from './http/instructions.js';
import { openaiRoutes } from './http/openai-speech.js';
import { resolveInstruction } from './text/instructions.js';
import { lexiconRoutes } from './http/lexicon.js';
import { previewTextRoutes } from './http/preview-text.js';
import { pronounceRoutes } from './http/pronounce.js';
import { LexiconService } from './lexicon/service.js';
import { openStores } from './storage/stores.js';
import { voiceRoutes } from './http/voices.js';
import { planRoutes } from './http/plan.js';
import { openBlobStore } from './storage/open-blob-store.js';
import { OutputService } from './outputs/service.js';
import { outputRoutes } from './http/outputs.js';
import { VoiceLibrary } from './voices/library.js';
import { createAudioWork } from './audio/pool.js';
import { logReconcile, reconcileVoiceStorage } from './voices/reconcile.js';
import { VERSION } from './version.js';
import { ScheduledEngine } from './scheduler/scheduled-engine.js';
import type { AdmissionOptions, PlanServices, TextPlan } from './services/synthesis.js';
import { logObserver } from './scheduler/log-observer.js';
import { ServiceMetrics } from './metrics/metrics.js';
import { metricsRoutes } from './http/metrics.js';
import { registerRetryAfter } from './http/retry-after.js';
import { observeWorkers } from './workers/observe.js';
import { adminRoutes } from './http/admin.js';
import { registerAuth } from './http/auth.js';
import { registerUsageAccounting, usageRoutes } from './http/usage.js';
import { ResultCache } from './outputs/result-cache.js';
import { QuotaGuard } from './accounts/quotas.js';
import { CostMeter } from './usage/cost-meter.js';
import { readInstanceMetadata, resolveInstancePrice } from './usage/instance-price.js';
import { registerInstanceLifecycle, type InstanceLifecycle } from './lifecycle/instance-lifecycle.js';
import type { DrainResult } from './lifecycle/drain.js';
import { bundledCatalog } from './planner/catalog.js';
import { KeyService } from './accounts/key-service.js';
import { TenantPolicyService } from './accounts/tenant-policies.js';
import type { KeyRecord } from './accounts/key-store.js';
import { parseEnvKeys } from './accounts/env-keys.js';
import type { Principal } from './accounts/principal.js';
import { createJobs } from './jobs/jobs.js';
import type { WebhookResolver } from './jobs/webhook.js';
import { jobRoutes } from './http/jobs.js';
import { studioRoutes } from './http/studio.js';

export interface BuildOptions {
  /** Use this engine instead of the configured one (tests wrap the real engine). */
  engine?: Engine;
  logger?: Logger;
  /**
   * AUTH=keys and no key anywhere (none stored, none in the environment): a first admin key is
   * created at start and handed here, the one place its secret exists (server.ts prints it).
   * Without this callback no key is made.
   */
  firstKey?: (secret: string, record: KeyRecord) => void;
  /** Resolves job webhook host names (tests map names to chosen addresses; default: DNS). */
  resolveWebhookHost?: WebhookResolver;
  /** The built studio served at `/` (default: this package's dist/web; tests build one into a temporary folder). */
  studioRoot?: string;
  /**
   * A spot interruption or scale-in notice has been drained (src/lifecycle/): server.ts shuts
   * the process down here. Without it the instance stays drained (readiness red, new work refused).
   */
  onInstanceDrained?: (result: DrainResult) => void;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The scheduled engine every synthesis goes through (wraps the configured or given engine). */
    engine: ScheduledEngine;
    lifecycle: Lifecycle;
    metrics: ServiceMetrics;
    /** Spot and scale-in notices and the drain they start (src/lifecycle/). */
    instance: InstanceLifecycle;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** On the timer, leftovers younger than this may belong to a write in flight. */
const RECONCILE_GRACE_MS = 10 * 60_000;

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  // Request lines without query strings: user text must not reach the logs (request-log.ts).
  const logger = (options.logger ?? pino({ level: config.logLevel, redact: ['req.headers.authorization'] })).child({}, { serializers: requestLogSerializers });
  const inner = options.engine ?? createEngine(config, logger);
  const metrics = new ServiceMetrics();
  // Every synthesis is a scheduled job (src/scheduler): admission, priorities, fair sharing, retries.
  const engine = new ScheduledEngine(inner, {
    queueMax: config.queueMax,
    deadlineMs: config.queueDeadlineMs,
    crashRetries: config.workerCrashRetries,
    batchDelayMs: config.batchMaxQueueDelayMs,
    ...(options.engine ? {} : { factory: () => createEngine(config, logger) }),
  });
  engine.scheduler.observe(metrics.schedulerObserver(inner.capabilities.name, () => engine.scheduler.stats()));
  engine.scheduler.observe(logObserver(logger, inner.capabilities.name));
  observeWorkers(inner, metrics, logger);
  const lifecycle: Lifecycle = { shuttingDown: false };

  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: config.maxBodyBytes,
    // A client-supplied id is kept when it is safe to log and echo; otherwise we mint one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
    return503OnClosing: true,
    // X-Forwarded-For is believed only from the proxies in TRUST_PROXY (request.ip, the request log).
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    // Timeouts and connection bounds (slow and greedy clients); Fastify's own timeout options
    // are not used with a server factory.
    serverFactory: transportServerFactory(config, {
      refused: (reason) => metrics.connectionsRefused.inc({ reason }),
      timedOut: (phase) => metrics.requestTimeouts.inc({ phase }),
    }),
    frameworkErrors,
    clientErrorHandler,
  }) as unknown as FastifyInstance;

  app.decorate('engine', engine);
  app.decorate('lifecycle', lifecycle);
  app.decorate('metrics', metrics);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onSend', async (_request, reply) => {
    // Tell keep-alive clients not to reuse a connection to a server that is going away.
    if (lifecycle.shuttingDown) reply.header('connection', 'close');
  });
  app.addHook('onReady', async () => {
    await engine.start();
  });
  app.addHook('onClose', async () => {
    await engine.close();
  });

  // Every body this API takes is JSON (multipart arrives per route with its own limits); a
  // text/plain body would otherwise reach the schema as a string and get a confusing 400.
  app.removeContentTypeParser('text/plain');
  // JSON is UTF-8 (RFC 8259): bytes that are not would be decoded into U+FFFD and spoken as
  // garbage, so they are refused before Fastify's own parser runs.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(new AppError('invalid_json', 'The request body is not valid UTF-8 (JSON must be UTF-8).'), undefined);
      return;
    }
    parseJson(request, bytes.toString('utf8'), done);
  });
  registerErrorHandling(app);
  registerBodyBounds(app, config.maxDiscardBytes);
  registerRetryAfter(app);
  await registerCors(app, config.corsOrigins);
  registerSiteGuard(app, config);
  registerLanguageTags(app);
  registerWellFormedText(app);
  await registerOpenApi(app, VERSION);
  // One metadata database for every store (DATA_DIR/cosyfleet.db, or PostgreSQL with
  // DATABASE_URL); each migrates its own namespace.
  const stores = await openStores(config, { onIdleError: (err) => logger.warn({ err }, 'a pooled database connection failed while idle; the next query reconnects') });
  app.addHook('onClose', async () => {
    await stores.close();
  });
  const keys = new KeyService(stores.keys, { envKeys: parseEnvKeys(config.apiKeys), adminKey: config.adminKey });
  registerAuth(app, { mode: config.auth, keys });
  // After auth, so an unauthenticated caller is told 401 whatever the instance's state.
  const instance = registerInstanceLifecycle(app, { config, logger, metrics, ...(options.onInstanceDrained ? { onDrained: options.onInstanceDrained } : {}) });
  app.decorate('instance', instance);
  // Per tenant: result cache mode and output retention, falling back to RESULT_CACHE and OUTPUT_RETENTION_DAYS.
  const tenantPolicies = new TenantPolicyService(stores.tenants, { resultCache: config.resultCache, outputRetentionDays: config.outputRetentionDays });
  // Usage, quotas and cost per request (src/http/usage.ts): the node's price from the planner's catalog.
  const price = await resolveInstancePrice(config, bundledCatalog(), () => readInstanceMetadata(config.imdsEndpoint));
  logger.info({ instanceType: price.instanceType, region: price.region, usdPerHour: price.usdPerHour, source: price.source }, 'instance price for cost per request');
  const meter = new CostMeter(stores.usage, price.usdPerHour, Date.now, (tenant, usd) => metrics.tenantCostUsd.inc({ tenant }, usd));
  const usageContext = { usage: stores.usage, quotas: new QuotaGuard(stores.usage), meter, price, metrics };
  const accounting = registerUsageAccounting(app, usageContext);
  engine.scheduler.observe(accounting.observer);
  app.addHook('onReady', async () => meter.start());
  // Before the stores close (onClose): the last minute's cost is written.
  app.addHook('preClose', async () => {
    await meter.stop().catch((err: unknown) => logger.error({ err }, 'the last minute of cost could not be written'));
  });
  if (config.auth === 'keys' && options.firstKey) {
    const announce = options.firstKey;
    app.addHook('onReady', async () => {
      if (await keys.anyKey()) return;
      const { secret, record } = await keys.create({ name: 'first admin key', scopes: ['admin'] });
      announce(secret, record);
    });
  }
  const lexicon = new LexiconService(stores.lexicon, { maxEntries: config.lexiconMaxEntries });
  const voiceStore = stores.voices;
  // OBJECT_STORE: voice recordings and stored outputs, on the filesystem or in an S3 bucket.
  const blobStore = openBlobStore(config);
  app.addHook('onClose', async () => blobStore.close());
  const voiceBlobs = blobStore.store;
  const outputs = stores.outputs
    ? new OutputService({
        store: stores.outputs,
        blobs: blobStore.store,
        retentionDays: config.outputRetentionDays,
        retentionFor: (tenant) => tenantPolicies.outputRetentionDays(tenant),
        urlTtlS: config.outputUrlTtlS,
        logger,
      })
    : undefined;
  const audio = createAudioWork({
    threads: config.audioThreads,
    onTask: (op, where) => metrics.audioTasks.inc({ op, where }),
    onThreadExit: ({ code, error }) => {
      metrics.audioThreadExits.inc();
      logger.error({ code, err: error }, 'an audio worker thread stopped; its pending work failed');
    },
  });
  metrics.watchAudio(() => audio.stats());
  app.addHook('onClose', async () => {
    await audio.close();
  });
  const voices = new VoiceLibrary({ store: voiceStore, blobs: voiceBlobs, engine, logger, audio });
  // What a crash left between storage and database: all of it at start (nothing is in flight
  // yet), then on a timer only what is older than the grace period.
  let reconcileTimer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    // A bucket may be shared by several instances, whose uploads in flight are not ours to judge.
    logReconcile(logger, await reconcileVoiceStorage(voiceStore, voiceBlobs, config.objectStore === 's3' ? RECONCILE_GRACE_MS : 0));
    if (config.storageReconcileMinutes === 0) return;
    reconcileTimer = setInterval(() => {
      reconcileVoiceStorage(voiceStore, voiceBlobs, RECONCILE_GRACE_MS).then(
        (result) => logReconcile(logger, result),
        (err: unknown) => logger.error({ err }, 'storage reconciliation failed'),
      );
    }, config.storageReconcileMinutes * 60_000);
    reconcileTimer.unref();
  });
  app.addHook('onClose', async () => clearInterval(reconcileTimer));
  // Expired stored outputs (OUTPUT_RETENTION_DAYS) go at start and on the reconciliation timer.
  let outputSweepTimer: NodeJS.Timeout | undefined;
  if (outputs) {
    const sweepOutputs = () =>
      outputs.sweep(RECONCILE_GRACE_MS).then(
        (result) => (result.expired + result.orphans > 0 ? logger.info(result, 'stored outputs swept') : undefined),
        (err: unknown) => logger.error({ err }, 'stored output sweep failed'),
      );
    app.addHook('onReady', async () => {
      await sweepOutputs();
      if (config.storageReconcileMinutes > 0) {
        outputSweepTimer = setInterval(() => void sweepOutputs(), config.storageReconcileMinutes * 60_000);
        outputSweepTimer.unref();
      }
    });
    app.addHook('onClose', async () => clearInterval(outputSweepTimer));
  }
  // The result cache: identical requests answered from the object store (src/outputs/result-cache.ts).
  // Always there, even with RESULT_CACHE=off: a tenant's policy may turn it on at any time, and
  // RESULT_CACHE is only the mode of tenants without one.
  const cache = new ResultCache({
    blobs: blobStore.store,
    mode: (tenant) => tenantPolicies.resultCacheMode(tenant),
    maxAgeDays: config.resultCacheDays,
    onEvent: (event) => metrics.resultCache.inc({ event }),
  });
  let cacheSweepTimer: NodeJS.Timeout | undefined;
  if (config.storageReconcileMinutes > 0) {
    app.addHook('onReady', async () => {
      cacheSweepTimer = setInterval(() => void cache.sweep().catch((err: unknown) => logger.error({ err }, 'result cache sweep failed')), config.storageReconcileMinutes * 60_000);
      cacheSweepTimer.unref();
    });
    app.addHook('onClose', async () => clearInterval(cacheSweepTimer));
  }
  // Long-form jobs (POST /v1/jobs): graphile-worker on PostgreSQL, in-process on SQLite.
  const jobs = outputs
    ? createJobs({
        config,
        store: stores.jobs,
        ...(stores.pool ? { pool: stores.pool } : {}),
        blobs: blobStore.store,
        outputs,
        engine,
        audio,
        resolveVoice: (tenant, voice) => voices.resolveVoiceHook(tenant)(voice),
        onSegment: ({ requestId, tenant, keyId, characters }) => accounting.track(requestId, { principal: { tenant, keyId }, route: 'POST /v1/jobs', characters }),
        onEvent: (event) => metrics.jobEvents.inc({ event }),
        ...(options.resolveWebhookHost ? { resolveWebhookHost: options.resolveWebhookHost } : {}),
        logger,
      })
    : undefined;
  if (jobs) {
    let jobSweepTimer: NodeJS.Timeout | undefined;
    const sweepJobs = () =>
      jobs.sweep().then(
        (removed) => (removed > 0 ? logger.info({ removed }, 'finished jobs past JOB_RETENTION_DAYS removed') : undefined),
        (err: unknown) => logger.error({ err }, 'job sweep failed'),
      );
    app.addHook('onReady', async () => {
      await jobs.start();
      await sweepJobs();
      if (config.storageReconcileMinutes > 0) {
        jobSweepTimer = setInterval(() => void sweepJobs(), config.storageReconcileMinutes * 60_000);
        jobSweepTimer.unref();
      }
    });
    // Before the engine and the stores close: running jobs stop at their segment and resume later.
    app.addHook('preClose', async () => {
      clearInterval(jobSweepTimer);
      await jobs.stop().catch((err: unknown) => logger.error({ err }, 'the job queue did not stop cleanly'));
    });
  }
  const context = {
    config,
    outputs,
    cache,
    engine,
    lifecycle,
    servicesFor: (principal: Principal): PlanServices => ({
      resolveInstruction,
      rewriteText: lexicon.rewriteHook(undefined, principal.tenant),
      resolveVoice: voices.resolveVoiceHook(principal.tenant),
      audio,
      admit: (plan: TextPlan, admission: AdmissionOptions) => {
        // Every synthesis a request asks for, whichever route: none is admitted while draining.
        const refused = instance.drain.refusal();
        if (refused) throw refused;
        return engine.admit(
          { requestId: plan.requestId, stream: plan.stream, segments: plan.segments.map((text, i) => ({ text, language: plan.language, speed: plan.speeds?.[i] ?? plan.speed })) },
          admission,
        );
      },
    }),
  };
  await app.register(healthRoutes, { ...context, instance: instance.drain });
  await app.register(catalogRoutes, context);
  await app.register(voiceRoutes, { ...context, voices });
  await app.register(ttsRoutes, context);
  await app.register(instructionRoutes);
  await app.register(openaiRoutes, context);
  await app.register(lexiconRoutes, { ...context, lexicon });
  if (outputs) await app.register(outputRoutes, { ...context, outputs });
  if (jobs) await app.register(jobRoutes, { ...context, jobs: jobs.service, ...(options.resolveWebhookHost ? { resolveWebhookHost: options.resolveWebhookHost } : {}) });
  await app.register(previewTextRoutes, { ...context, lexicon });
  await app.register(pronounceRoutes, context);
  await app.register(planRoutes, context);
  await app.register(metricsRoutes, { metrics });
  await app.register(usageRoutes, usageContext);
  await app.register(adminRoutes, { ...context, adminKey: config.adminKey, keys, tenants: tenantPolicies });
  // The studio (web/, built into dist/web): the page at / and its hashed assets.
  await app.register(studioRoutes, options.studioRoot === undefined ? {} : { root: options.studioRoot });
  return app;
}
