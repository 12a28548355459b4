// GET /v1/engines and GET /v1/voices: what the running engine can do and which voices it has.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from './context.js';

export const catalogRoutes: FastifyPluginAsync<AppContext> = async (app, { engine }) => {
  app.get('/v1/engines', { schema: { summary: 'Engine capabilities', tags: ['catalog'] } }, async () => ({
    data: [{ ...engine.capabilities, active: true, health: engine.health() }],
  }));

  app.get('/v1/voices', { schema: { summary: 'Voices', tags: ['catalog'] } }, async () => ({
    data: await engine.listVoices(),
  }));
};
