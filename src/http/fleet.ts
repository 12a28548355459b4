// GET /v1/admin/fleet: the fleet at a glance for the studio's Fleet page (one call per refresh):
// the workers as GET /v1/admin/workers lists them, readiness as GET /readyz answers it,
// the queue now, and the last minutes of admission (src/metrics/fleet-history.ts). Registered
// inside the admin plugin, behind its guard. The 429s counted are admission's (queue_full,
// overloaded: the fleet is short of capacity); per-key limits are a tenant's matter and are in
// GET /v1/usage and cosyfleet_quota_rejections_total.
import type { FastifyPluginAsync } from 'fastify';
import { FleetHistory } from '../metrics/fleet-history.js';
import { PRIORITIES, REJECTIONS } from '../scheduler/job.js';
import type { ScheduledEngine } from '../scheduler/scheduled-engine.js';
import type { WorkerInfo } from '../workers/supervisor.js';
import { workersSchema } from './admin-schemas.js';
import { errorResponses } from './error-schema.js';

/** Minutes of history kept, and the most one call returns. */
export const FLEET_MINUTES = 60;
const DEFAULT_MINUTES = 15;

const intCounts = (keys: readonly string[]) => ({ type: 'object', required: [...keys], properties: Object.fromEntries(keys.map((k) => [k, { type: 'integer' }])) }) as const;

const fleetSchema = {
  type: 'object',
  required: ['at', 'engine', 'mode', 'readiness', 'queue', 'minutes', 'workers'],
  properties: {
    at: { type: 'string', description: 'When this answer was made (ISO 8601).' },
    engine: { type: 'string' },
    mode: { type: 'string', enum: ['process', 'thread'] },
    readiness: {
      type: 'object',
      required: ['ready', 'detail'],
      description: 'What GET /readyz answers now (ready: its 200), and why not.',
      properties: { ready: { type: 'boolean' }, detail: { type: ['string', 'null'] } },
    },
    queue: {
      type: 'object',
      required: ['waiting', 'slots', 'running', 'activeJobs'],
      properties: {
        waiting: { ...intCounts(PRIORITIES), description: 'Segments waiting for an engine slot now, by priority.' },
        slots: { type: 'integer' },
        running: { type: 'integer' },
        activeJobs: { type: 'integer' },
      },
    },
    minutes: {
      type: 'array',
      description: 'One entry per minute, oldest first; the last is the current minute, still counting.',
      items: {
        type: 'object',
        required: ['start', 'admitted', 'rejected', 'queue'],
        properties: {
          start: { type: 'string' },
          admitted: { type: 'integer', description: 'Jobs admitted.' },
          rejected: { ...intCounts(REJECTIONS), description: 'Requests refused at admission with 429, by reason.' },
          queue: {
            type: 'object',
            required: ['max', 'last'],
            description: 'Segments waiting: the most at any moment of the minute, and at its end.',
            properties: { max: { type: 'integer' }, last: { type: 'integer' } },
          },
        },
      },
    },
    workers: workersSchema,
  },
} as const;

const fleetQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // Query strings are not coerced (the app's schemas never coerce).
    minutes: { type: 'string', pattern: '^([1-9]|[1-5][0-9]|60)$', description: `Minutes of history, 1–${FLEET_MINUTES} (default ${DEFAULT_MINUTES}).` },
  },
} as const;

export interface FleetOptions {
  engine: ScheduledEngine;
  mode: () => 'process' | 'thread';
  workers: () => WorkerInfo[];
}

export const fleetRoutes: FastifyPluginAsync<FleetOptions> = async (app, { engine, mode, workers }) => {
  const history = new FleetHistory(FLEET_MINUTES);
  const stop = engine.scheduler.observe(history.observer());
  app.addHook('onClose', async () => stop());

  app.get<{ Querystring: { minutes?: string } }>(
    '/v1/admin/fleet',
    {
      schema: {
        summary: 'The fleet at a glance: workers, readiness, the queue and the last minutes of admission and 429s (admin)',
        tags: ['admin'],
        querystring: fleetQuery,
        response: { 200: fleetSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      // /readyz itself, so the page and the load balancer never disagree about what ready means.
      const probe = await app.inject({ method: 'GET', url: '/readyz' });
      let detail: string | null;
      try {
        detail = probe.json<{ detail?: string }>().detail ?? null;
      } catch {
        detail = `GET /readyz answered ${probe.statusCode}`;
      }
      const stats = engine.scheduler.stats();
      return {
        at: new Date().toISOString(),
        engine: engine.capabilities.name,
        mode: mode(),
        readiness: { ready: probe.statusCode === 200, detail },
        queue: { waiting: stats.queued, slots: stats.slots, running: stats.running, activeJobs: stats.activeJobs },
        minutes: history.minutes(request.query.minutes === undefined ? DEFAULT_MINUTES : Number(request.query.minutes)),
        workers: workers(),
      };
    },
  );
};
