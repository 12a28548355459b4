// OpenAPI 3.1 generated from the route schemas, served at /openapi.json, with the Swagger UI
// (assets bundled in the npm package, nothing fetched from a CDN) at /docs.
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { errorBodySchema } from './error-schema.js';

export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  app.addSchema(errorBodySchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'cosyfleet',
        version,
        description: 'CosyVoice3-class text-to-speech as a service. Errors are always {"error":{"code","message","param"}}.',
      },
      tags: [
        { name: 'synthesis', description: 'Text to speech' },
        { name: 'catalog', description: 'Engines' },
        { name: 'voices', description: 'Preset voices and the voice library' },
        { name: 'lexicon', description: 'Pronunciation lexicon and pronunciation suggestions' },
        { name: 'planner', description: 'Capacity and cost planning' },
        { name: 'health', description: 'Probes' },
        { name: 'admin', description: 'Operators (a key with the admin scope; with AUTH=off, COSYFLEET_ADMIN_KEY): workers, restarts, the fleet summary, API keys, tenant policies' },
      ],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
