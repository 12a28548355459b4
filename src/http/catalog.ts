// GET /v1/engines: what the running engine can do (its voices are in voices.ts, with the library).
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from './context.js';

export const catalogRoutes: FastifyPluginAsync<AppContext> = async (app, { engine }) => {
  app.get('/v1/engines', { schema: { summary: 'Engine capabilities', tags: ['catalog'] } }, async () => ({
    data: [{ ...engine.capabilities, active: true, health: engine.health() }],
  }));
};
