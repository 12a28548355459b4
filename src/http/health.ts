// Liveness (the process answers) and readiness (the engine can take work, we are not shutting
// down, and no notice says the instance is going away), for load balancers and orchestrators.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from './context.js';
import type { InstanceDrain } from '../lifecycle/drain.js';

export const healthRoutes: FastifyPluginAsync<AppContext & { readonly instance?: InstanceDrain }> = async (app, { engine, lifecycle, instance }) => {
  const started = Date.now();
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['health'] } }, async () => ({
    status: 'ok',
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
  }));

  app.get('/readyz', { schema: { summary: 'Readiness', tags: ['health'] } }, async (_request, reply) => {
    const health = engine.health();
    // The instance's reason comes first: it is why the balancer should look elsewhere for good.
    const notice = instance?.unreadyReason ?? null;
    const ready = health.ready && !lifecycle.shuttingDown && notice === null;
    const detail = notice ?? (lifecycle.shuttingDown ? 'shutting down' : health.detail);
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', engine: engine.capabilities.name, ...(detail ? { detail } : {}) });
  });
};
