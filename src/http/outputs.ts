// /v1/outputs: the caller's stored outputs (audio kept with `"store": true` on POST /v1/tts or
// POST /v1/audio/speech): list, metadata with a URL, the audio itself, delete. Everything is
// scoped to request.principal.tenant; another tenant's id answers exactly like an unknown one.
import type { FastifyPluginAsync } from 'fastify';
import type { OutputRecord } from '../storage/output-store.js';
import { MAX_LIST_LIMIT, type OutputService } from '../outputs/service.js';
import { errorResponses } from './error-schema.js';
import { idParamsSchema } from './resource-schema.js';
import type { AppContext } from './context.js';

export interface OutputsContext extends AppContext {
  readonly outputs: OutputService;
}

const outputSchema = {
  type: 'object',
  required: ['id', 'format', 'contentType', 'bytes', 'audioSeconds', 'characters', 'voice', 'engine', 'createdAt', 'expiresAt', 'url'],
  properties: {
    id: { type: 'string' },
    format: { type: 'string', description: 'The audio format the client received (wav, pcm, mp3, opus, flac, aac).' },
    contentType: { type: 'string' },
    bytes: { type: 'integer' },
    audioSeconds: { type: 'number' },
    characters: { type: 'integer', description: 'Characters (code points) of the request\'s text.' },
    voice: { type: 'string' },
    engine: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: ['string', 'null'], format: 'date-time', description: 'When the output is deleted (OUTPUT_RETENTION_DAYS); null: kept until deleted.' },
    url: {
      type: 'string',
      description: 'Where to fetch the audio: with OBJECT_STORE=s3 a presigned S3 URL valid for OUTPUT_URL_TTL_S seconds (or a CloudFront URL); otherwise this service\'s /v1/outputs/{id}/audio (send your key).',
    },
  },
} as const;

const idParams = idParamsSchema(64);

export const outputRoutes: FastifyPluginAsync<OutputsContext> = async (app, { outputs }) => {
  const toWire = async (record: OutputRecord) => ({
    id: record.id,
    format: record.format,
    contentType: record.contentType,
    bytes: record.bytes,
    audioSeconds: record.audioSeconds,
    characters: record.characters,
    voice: record.voice,
    engine: record.engine,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    url: await outputs.url(record),
  });

  app.get<{ Querystring: { limit: number; after?: string } }>(
    '/v1/outputs',
    {
      schema: {
        summary: 'Your stored outputs, newest first',
        tags: ['outputs'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            // Query values arrive as strings and the app does not coerce types, so the number is a pattern here.
            limit: { type: 'string', pattern: '^(?:[1-9]|[1-9][0-9]|100)$', default: '20', description: `Outputs per page, 1–${MAX_LIST_LIMIT} (default 20).` },
            after: { type: 'string', minLength: 1, maxLength: 64, description: 'The last id of the previous page: the next page starts after it.' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              data: { type: 'array', items: outputSchema },
              hasMore: { type: 'boolean', description: 'More outputs follow: ask again with after = the last id of data.' },
            },
          },
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const page = await outputs.list(request.principal.tenant, Number(request.query.limit), request.query.after);
      return { data: await Promise.all(page.data.map(toWire)), hasMore: page.hasMore };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/outputs/:id',
    { schema: { summary: 'A stored output and a URL for its audio', tags: ['outputs'], params: idParams, response: { 200: outputSchema, ...errorResponses(400, 404) } } },
    async (request) => toWire(await outputs.get(request.principal.tenant, request.params.id)),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/outputs/:id/audio',
    {
      schema: {
        summary: 'A stored output\'s audio',
        description: 'The bytes as the synthesis response carried them, with their content type; with OBJECT_STORE=s3 a 302 to a presigned URL (or the CloudFront URL) instead.',
        tags: ['outputs'],
        params: idParams,
        response: {
          200: { description: 'Audio', content: Object.fromEntries(['audio/wav', 'audio/pcm', 'audio/mpeg', 'audio/ogg', 'audio/flac', 'audio/aac'].map((t) => [t, { schema: { type: 'string', format: 'binary' } }])) },
          302: { description: 'Redirect to the object store (Location)', type: 'null' },
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const audio = await outputs.audio(request.principal.tenant, request.params.id);
      if (audio.kind === 'redirect') return reply.header('cache-control', 'no-store').redirect(audio.url, 302);
      return reply.type(audio.contentType).header('content-length', audio.bytes.length).header('cache-control', 'no-store').send(audio.bytes);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/outputs/:id',
    { schema: { summary: 'Delete a stored output and its audio', tags: ['outputs'], params: idParams, response: { 204: { description: 'Deleted', type: 'null' }, ...errorResponses(400, 404) } } },
    async (request, reply) => {
      await outputs.delete(request.principal.tenant, request.params.id);
      return reply.status(204).send();
    },
  );
};
