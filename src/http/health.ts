// Liveness (the process answers) and readiness (the engine can take work and we are not
// shutting down), for load balancers and orchestrators.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from './context.js';

export const healthRoutes: FastifyPluginAsync<AppContext> = async (app, { engine, lifecycle }) => {
  const started = Date.now();
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['health'] } }, async () => ({
    status: 'ok',
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
  }));

  app.get('/readyz', { schema: { summary: 'Readiness', tags: ['health'] } }, async (_request, reply) => {
    const health = engine.health();
    const ready = health.ready && !lifecycle.shuttingDown;
    const detail = lifecycle.shuttingDown ? 'shutting down' : health.detail;
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', engine: engine.capabilities.name, ...(detail ? { detail } : {}) });
  });
};
