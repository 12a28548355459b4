// The admin API: worker status and graceful restarts (the studio's Fleet page and its restart buttons).
// With AUTH=keys every route needs a key with the admin scope (src/http/auth.ts). With AUTH=off
// every route needs `Authorization: Bearer <COSYFLEET_ADMIN_KEY>` — 401 without it, 403 with a
// wrong key, compared in constant time over SHA-256 digests (equal length whatever was sent), and
// without COSYFLEET_ADMIN_KEY the routes are not registered at all (404).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';
import { ProcessEngine } from '../workers/process-engine.js';
import type { WorkerInfo } from '../workers/supervisor.js';
import type { ScheduledEngine } from '../scheduler/scheduled-engine.js';
import { errorResponses } from './error-schema.js';
import { bearerToken, keyDigest, matchesKey } from './keys.js';
import type { AppContext } from './context.js';
import type { KeyService } from '../accounts/key-service.js';
import { keyRoutes } from './api-keys.js';
import type { TenantPolicyService } from '../accounts/tenant-policies.js';
import { tenantRoutes } from './tenants.js';
import { fleetRoutes } from './fleet.js';
import { healthSchema, schedulerStatsSchema, workersSchema } from './admin-schemas.js';

/** The in-process engine has no worker processes; it shows as one worker with this id. */
export const IN_PROCESS_WORKER = 'in-process';

export function bearerCheck(key: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const expected = [keyDigest(key)];
  return async (request, reply) => {
    const token = bearerToken(request);
    if (token === null) {
      void reply.header('www-authenticate', 'Bearer realm="cosyfleet-admin"');
      throw new AppError('unauthorized');
    }
    if (!matchesKey(token, expected)) throw new AppError('forbidden');
  };
}

const waitQuery = {
  type: 'object',
  additionalProperties: false,
  // Query strings are not coerced (the app's schemas never coerce): "true" / "false".
  properties: { wait: { type: 'string', enum: ['true', 'false'], description: 'true: answer when the restart has finished (200) instead of at once (202).' } },
} as const;

const modeSchema = { type: 'string', enum: ['process', 'thread'] } as const;

/** 202 at once, or 200 with the workers after `?wait=true`; `what` names the worker or the engine. */
const restartResponses = (what: 'worker' | 'engine') => ({
  200: { type: 'object', required: [what, 'status', 'data'], properties: { [what]: { type: 'string' }, status: { type: 'string', enum: ['restarted'] }, data: workersSchema } },
  202: { type: 'object', required: [what, 'status'], properties: { [what]: { type: 'string' }, status: { type: 'string', enum: ['restarting'] } } },
});

export const adminRoutes: FastifyPluginAsync<AppContext & { adminKey: string; keys: KeyService; tenants: TenantPolicyService }> = async (app, { engine, adminKey, config, keys, tenants }) => {
  // AUTH=keys: the auth hook (auth.ts) lets only keys with the admin scope in. AUTH=off: the
  // admin key, when one is set; without one the admin API does not exist.
  if (config.auth === 'off') {
    if (adminKey === '') return;
    app.addHook('onRequest', bearerCheck(adminKey));
  }
  await app.register(keyRoutes, { keys });
  await app.register(tenantRoutes, { tenants });
  const scheduled = engine as ScheduledEngine;
  const errors = errorResponses(400, 401, 403, 404, 409);

  const workers = (): WorkerInfo[] => {
    const inner = scheduled.inner;
    if (inner instanceof ProcessEngine) return inner.supervisor.workers();
    const stats = scheduled.scheduler.stats();
    const done = Object.values(stats.outcomes).reduce((a, b) => a + b, 0);
    return [
      {
        id: IN_PROCESS_WORKER,
        slot: 0,
        pid: process.pid,
        state: inner.health().ready ? 'ready' : 'starting',
        startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
        uptimeSeconds: Math.round(process.uptime() * 10) / 10,
        ready: inner.health().ready,
        jobsDone: done,
        jobsFailed: stats.outcomes.failed + stats.outcomes.truncated,
        failures: {},
        active: stats.running,
        concurrency: stats.slots,
        sessions: null,
        memory: { rssBytes: process.memoryUsage.rss(), gpuBytes: null, gpuLastJob: null },
        rtf: { current: stats.estimator.rtf, baseline: null },
        device: null,
        retiring: null,
        warnings: [],
        restarts: [],
      },
    ];
  };

  const mode = () => (scheduled.inner instanceof ProcessEngine ? 'process' : 'thread');
  await app.register(fleetRoutes, { engine: scheduled, mode, workers });

  const workersResponse = {
    type: 'object',
    required: ['engine', 'mode', 'health', 'scheduler', 'data'],
    properties: { engine: { type: 'string' }, mode: modeSchema, health: healthSchema, scheduler: schedulerStatsSchema, data: workersSchema },
  } as const;
  app.get('/v1/admin/workers', { schema: { summary: 'Workers and their state (admin)', tags: ['admin'], response: { 200: workersResponse, ...errors } } }, async () => ({
    engine: scheduled.capabilities.name,
    mode: mode(),
    health: scheduled.health(),
    scheduler: scheduled.scheduler.stats(),
    data: workers(),
  }));

  app.post<{ Params: { id: string }; Querystring: { wait?: 'true' | 'false' } }>(
    '/v1/admin/workers/:id/restart',
    { schema: { summary: 'Gracefully replace one worker (admin)', tags: ['admin'], querystring: waitQuery, response: { ...restartResponses('worker'), ...errors } } },
    async (request, reply) => {
      const inner = scheduled.inner;
      const { id } = request.params;
      let done: Promise<void>;
      if (inner instanceof ProcessEngine) done = inner.supervisor.restartWorker(id, 'admin');
      else if (id === IN_PROCESS_WORKER) done = scheduled.restart('admin');
      else throw new AppError('worker_not_found', `No worker "${id}"; this server runs its engine in-process (worker "${IN_PROCESS_WORKER}").`);
      return answer(request, reply, done, { worker: id });
    },
  );

  app.post<{ Params: { name: string }; Querystring: { wait?: 'true' | 'false' } }>(
    '/v1/admin/engines/:name/restart',
    { schema: { summary: 'Gracefully restart the engine: every worker replaced in turn (admin)', tags: ['admin'], querystring: waitQuery, response: { ...restartResponses('engine'), ...errors } } },
    async (request, reply) => {
      const name = scheduled.capabilities.name;
      if (request.params.name !== name) throw new AppError('not_found', `No engine "${request.params.name}"; this server runs "${name}".`);
      return answer(request, reply, scheduled.restart('admin'), { engine: name });
    },
  );

  async function answer(request: FastifyRequest<{ Querystring: { wait?: 'true' | 'false' } }>, reply: FastifyReply, done: Promise<void>, what: Record<string, string>) {
    if (request.query.wait === 'true') {
      await done;
      return reply.status(200).send({ ...what, status: 'restarted', data: workers() });
    }
    done.catch((err: unknown) => request.log.error({ err, ...what }, 'admin restart failed'));
    return reply.status(202).send({ ...what, status: 'restarting' });
  }
};
