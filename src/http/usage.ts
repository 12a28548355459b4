// Usage, quotas and cost per request, around the synthesis routes: a preHandler admits each
// synthesis request against its key's limits (429 with Retry-After and x-ratelimit-* headers
// otherwise), and when its job settles the scheduler's observer records what it used (tenant,
// key, characters, audio seconds, engine time) and hands its engine time to the cost meter.
// GET /v1/usage reads it back per tenant and day.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Principal } from '../accounts/principal.js';
import type { QuotaGuard } from '../accounts/quotas.js';
import { TENANT_PATTERN } from '../accounts/principal.js';
import { allows } from '../accounts/scopes.js';
import { AppError } from '../errors/app-error.js';
import type { ServiceMetrics } from '../metrics/metrics.js';
import type { SchedulerObserver } from '../scheduler/job.js';
import type { CostMeter } from '../usage/cost-meter.js';
import type { InstancePrice } from '../usage/instance-price.js';
import type { UsageStore } from '../usage/usage-store.js';
import { errorResponses } from './error-schema.js';

/** Routes whose requests are synthesis: admitted against quotas and recorded. */
const SYNTHESIS_ROUTES: Readonly<Record<string, (body: unknown) => string>> = {
  'POST /v1/tts': (body) => String((body as { text?: unknown }).text ?? ''),
  'POST /v1/audio/speech': (body) => String((body as { input?: unknown }).input ?? ''),
};
/**
 * Routes admitted against quotas (the whole text's characters at once) whose own request makes no
 * scheduler job: a long-form job's segments are recorded one by one as they run (track()).
 */
const ADMITTED_ROUTES: Readonly<Record<string, (body: unknown) => string>> = {
  'POST /v1/jobs': (body) => String((body as { text?: unknown }).text ?? ''),
};

export interface InFlight {
  /** Whose: the principal of the request, or the tenant and key that created a job. */
  principal: Pick<Principal, 'tenant' | 'keyId'>;
  route: string;
  characters: number;
}

export interface UsageContext {
  usage: UsageStore;
  quotas: QuotaGuard;
  meter: CostMeter;
  price: InstancePrice;
  metrics: ServiceMetrics;
}

/**
 * The hook and the scheduler observer. Returns the observer the app registers on the scheduler.
 * Usage rows are written when a job settles; a request refused before it became a job uses nothing.
 */
export function registerUsageAccounting(app: FastifyInstance, ctx: UsageContext): UsageAccounting {
  const inFlight = new Map<string, InFlight>();
  app.addHook('preHandler', async (request, reply) => {
    const route = `${request.method} ${request.routeOptions.url ?? ''}`;
    const recorded = SYNTHESIS_ROUTES[route] !== undefined;
    const textOf = SYNTHESIS_ROUTES[route] ?? ADMITTED_ROUTES[route];
    if (!textOf) return;
    const characters = [...textOf(request.body)].length;
    let admission;
    try {
      admission = await ctx.quotas.admit(request.principal, characters);
    } catch (err) {
      if (err instanceof AppError) {
        ctx.metrics.quotaRejections.inc({ reason: err.code });
        const headers = (err as AppError & { headers?: Record<string, string> }).headers;
        if (headers) void reply.headers(headers);
      }
      throw err;
    }
    void reply.headers(admission.headers);
    if (!recorded) {
      reply.raw.once('close', () => admission.release());
      return;
    }
    inFlight.set(request.id, { principal: request.principal, route, characters });
    reply.raw.once('close', () => {
      admission.release();
      // The job of a request whose client left settles after this (cancelled, with the engine
      // time it used): its entry waits for it, and is dropped later if no job ever came.
      if (inFlight.has(request.id)) setTimeout(() => inFlight.delete(request.id), 10 * 60_000).unref();
    });
  });
  const observer: SchedulerObserver = {
    settled: (job) => {
      const owner = job.requestId === undefined ? undefined : inFlight.get(job.requestId);
      if (!owner || job.requestId === undefined) return;
      inFlight.delete(job.requestId);
      const { principal, route, characters } = owner;
      const engineSeconds = job.engineMs / 1000;
      const outcome = job.outcome ?? 'failed';
      ctx.metrics.tenantRequests.inc({ tenant: principal.tenant, outcome });
      ctx.metrics.tenantCharacters.inc({ tenant: principal.tenant }, characters);
      ctx.metrics.tenantAudioSeconds.inc({ tenant: principal.tenant }, job.audioSeconds);
      ctx.metrics.tenantEngineSeconds.inc({ tenant: principal.tenant }, engineSeconds);
      ctx.usage
        .record({ requestId: job.requestId, tenant: principal.tenant, keyId: principal.keyId, route, at: new Date().toISOString(), characters, audioSeconds: job.audioSeconds, engineSeconds, outcome })
        .then(
          () => ctx.meter.finished(job.requestId as string, principal.tenant, engineSeconds),
          (err: unknown) => app.log.error({ err, requestId: job.requestId }, 'usage could not be recorded'),
        );
    },
  };
  return {
    observer,
    track: (requestId, owner) => {
      inFlight.set(requestId, owner);
    },
  };
}

export interface UsageAccounting {
  /** Registered on the scheduler: records each settled job that a request or track() announced. */
  readonly observer: SchedulerObserver;
  /**
   * Announces a scheduler job that no HTTP request made (a long-form job's segment), to be
   * recorded when it settles. Call it once the job is admitted: every admitted job settles, and
   * settling removes the entry (no timer per segment).
   */
  track(requestId: string, owner: InFlight): void;
}

const DAY = '^\\d{4}-\\d{2}-\\d{2}$';

export const usageRoutes: FastifyPluginAsync<UsageContext> = async (app, ctx) => {
  app.get<{ Querystring: { from?: string; to?: string; tenant?: string } }>(
    '/v1/usage',
    {
      schema: {
        summary: "The caller's tenant's usage and cost per day (admin: any tenant, and idle cost)",
        tags: ['usage'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { type: 'string', pattern: DAY, description: 'First day (UTC, YYYY-MM-DD); default: 30 days ago.' },
            to: { type: 'string', pattern: DAY, description: 'Last day (UTC); default: today.' },
            tenant: { type: 'string', pattern: TENANT_PATTERN.source, description: 'Admin keys only: another tenant.' },
          },
        },
        response: errorResponses(400, 401, 403),
      },
    },
    async (request) => {
      const admin = allows(request.principal.scopes, 'admin');
      if (request.query.tenant !== undefined && !admin && request.query.tenant !== request.principal.tenant) {
        throw new AppError('scope_missing', 'Only an admin key reads another tenant\'s usage.', { param: 'tenant' });
      }
      const today = new Date().toISOString().slice(0, 10);
      const to = request.query.to ?? today;
      const from = request.query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
      if (from > to) throw new AppError('invalid_value', `from (${from}) is after to (${to}).`, { param: 'from' });
      // Admin: one tenant, or all of them; anyone else: their own.
      const tenant = admin ? request.query.tenant : request.principal.tenant;
      // Minutes closed so far count; the current one is attributed when it ends.
      await ctx.meter.close();
      const data = await ctx.usage.daily(from, to, tenant);
      return {
        from,
        to,
        instance: { type: ctx.price.instanceType, region: ctx.price.region, usdPerHour: ctx.price.usdPerHour, priceSource: ctx.price.source },
        data,
        ...(admin ? { idle: await ctx.usage.idle(from, to) } : {}),
      };
    },
  );
};
