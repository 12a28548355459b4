// GET /v1/engines: what the running engine can do (its voices are in voices.ts, with the library).
import type { FastifyPluginAsync } from 'fastify';
import { SYNTHESIS_MODES } from '../engines/engine.js';
import type { AppContext } from './context.js';

// The fields clients rely on (the studio's types come from this), open to the rest: every
// capability an engine declares is sent, described or not.
const engineSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['name', 'modes', 'languages', 'streaming', 'maxSegmentChars', 'sampleRate', 'speed', 'annotations', 'active', 'health'],
  properties: {
    apiVersion: { type: 'integer' },
    name: { type: 'string', description: 'Registry name, as in COSYFLEET_ENGINE.' },
    description: { type: 'string' },
    modes: { type: 'array', items: { type: 'string', enum: [...SYNTHESIS_MODES] } },
    languages: { type: 'array', items: { type: 'string' }, description: 'Language codes the engine speaks.' },
    streaming: { type: 'boolean' },
    maxSegmentChars: { type: 'integer' },
    sampleRate: { type: 'integer', description: 'Sample rate of the audio the engine makes.' },
    concurrency: { type: 'integer' },
    speed: { type: 'object', additionalProperties: true, required: ['min', 'max'], properties: { min: { type: 'number' }, max: { type: 'number' } } },
    annotations: { type: 'array', items: { type: 'string' }, description: 'Annotation kinds honoured; others come back as warnings.' },
    license: { type: 'string' },
    active: { type: 'boolean' },
    health: { type: 'object', additionalProperties: true, required: ['ready'], properties: { ready: { type: 'boolean' }, detail: { type: 'string' } } },
  },
} as const;

export const catalogRoutes: FastifyPluginAsync<AppContext> = async (app, { engine }) => {
  app.get(
    '/v1/engines',
    { schema: { summary: 'Engine capabilities', tags: ['catalog'], response: { 200: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: engineSchema } } } } } },
    async () => ({
      data: [{ ...engine.capabilities, active: true, health: engine.health() }],
    }),
  );
};
