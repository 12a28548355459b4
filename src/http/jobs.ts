// /v1/jobs: long-form synthesis in the background (a chapter, beyond MAX_TEXT_CHARS). POST plans
// the whole text at once (every refusal a request would get comes now, as a 4xx) and answers 202
// with the job; the job runs segment by segment on whichever node takes it, and its result is a
// stored output. Everything is scoped to request.principal.tenant.
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../errors/app-error.js';
import { planText, type TtsInput } from '../services/synthesis.js';
import { MAX_JOB_LIST_LIMIT, type JobService } from '../jobs/service.js';
import { checkWebhookUrl, type WebhookResolver } from '../jobs/webhook.js';
import { JOB_STATUSES } from '../jobs/job-store.js';
import { errorResponses } from './error-schema.js';
import { idParamsSchema } from './resource-schema.js';
import { ttsBodySchema } from './tts.js';
import type { AppContext } from './context.js';

export interface JobsContext extends AppContext {
  readonly jobs: JobService;
  /** Resolves webhook host names (tests map names to chosen addresses; default: DNS). */
  readonly resolveWebhookHost?: WebhookResolver;
}

type JobInput = Omit<TtsInput, 'stream' | 'store'> & { webhook?: { url: string } };

const { stream: _stream, store: _store, ...jobProperties } = ttsBodySchema.properties;

export const jobBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['text'],
  properties: {
    ...jobProperties,
    text: { type: 'string', description: 'The whole text (or SSML) to speak, up to JOB_MAX_TEXT_CHARS characters: a chapter, an article, a course module.' },
    webhook: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: {
          type: 'string',
          minLength: 1,
          maxLength: 2048,
          description:
            'Called (POST, JSON, signed per the Standard Webhooks spec with the job\'s webhook_secret) when the job succeeds, fails or is cancelled; retried with backoff (WEBHOOK_MAX_ATTEMPTS). http(s) only; an address that is private, loopback or link-local is refused.',
        },
      },
    },
  },
} as const;

const jobSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    object: { type: 'string', enum: ['job'] },
    status: { type: 'string', enum: [...JOB_STATUSES] },
    progress: {
      type: 'object',
      properties: {
        segmentsDone: { type: 'integer' },
        segmentsTotal: { type: 'integer' },
        percent: { type: 'integer' },
        audioSeconds: { type: 'number', description: 'Audio made so far.' },
      },
    },
    characters: { type: 'integer' },
    voice: { type: 'string' },
    format: { type: 'string' },
    language: { type: 'string' },
    warnings: { type: 'array', items: { type: 'object', additionalProperties: true } },
    attempts: { type: 'integer', description: 'Runs started (a resumed job counts each).' },
    output: {
      type: ['object', 'null'],
      properties: { id: { type: 'string' }, url: { type: ['string', 'null'] } },
      description: 'The result once succeeded: a stored output (GET /v1/outputs/{id}); url null once it has expired.',
    },
    error: { type: ['object', 'null'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
    webhook: { type: ['object', 'null'], properties: { url: { type: 'string' }, state: { type: 'string' }, attempts: { type: 'integer' } } },
    createdAt: { type: 'string', format: 'date-time' },
    startedAt: { type: ['string', 'null'], format: 'date-time' },
    finishedAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

const idParams = idParamsSchema(64);

export const jobRoutes: FastifyPluginAsync<JobsContext> = async (app, ctx) => {
  const { config, engine, lifecycle, jobs, servicesFor } = ctx;
  // A chapter of CJK text is 3 bytes a character, plus JSON escapes and the other fields.
  const bodyLimit = Math.max(config.maxBodyBytes, config.jobMaxTextChars * 6 + 65_536);

  app.post<{ Body: JobInput }>(
    '/v1/jobs',
    {
      bodyLimit,
      schema: {
        summary: 'Start a long-form job (a whole chapter)',
        description: 'The text is planned at once (every refusal a synthesis request would get comes now); the job then runs in the background, segment by segment, and survives restarts. Poll GET /v1/jobs/{id} or give a webhook.',
        tags: ['jobs'],
        body: jobBodySchema,
        response: {
          202: { description: 'Accepted: the job (Location: /v1/jobs/{id}); webhook_secret, when a webhook was given, is shown only here.', ...jobSchema, properties: { ...jobSchema.properties, webhookSecret: { type: ['string', 'null'] } } },
          ...errorResponses(400, 413, 415, 422, 429, 503),
        },
      },
    },
    async (request, reply) => {
      if (lifecycle.shuttingDown) throw new AppError('shutting_down');
      const { webhook, ...input } = request.body;
      const limits = { ...config, maxTextChars: config.jobMaxTextChars };
      const plan = await planText(engine, limits, input, request.id, servicesFor(request.principal));
      const webhookUrl = webhook ? (await checkWebhookUrl(webhook.url, { allowPrivate: config.webhookAllowPrivate, ...(ctx.resolveWebhookHost ? { resolve: ctx.resolveWebhookHost } : {}) })).href : null;
      const { record, webhookSecret } = await jobs.create(request.principal, plan, [...input.text].length, webhookUrl);
      return reply
        .status(202)
        .header('location', `/v1/jobs/${record.id}`)
        .send({ ...(await jobs.view(record)), webhookSecret });
    },
  );

  app.get<{ Querystring: { limit: string; after?: string } }>(
    '/v1/jobs',
    {
      schema: {
        summary: 'Your long-form jobs, newest first',
        tags: ['jobs'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'string', pattern: '^(?:[1-9]|[1-9][0-9]|100)$', default: '20', description: `Jobs per page, 1–${MAX_JOB_LIST_LIMIT} (default 20).` },
            after: { type: 'string', minLength: 1, maxLength: 64, description: 'The last id of the previous page: the next page starts after it.' },
          },
        },
        response: { 200: { type: 'object', properties: { data: { type: 'array', items: jobSchema }, hasMore: { type: 'boolean' } } }, ...errorResponses(400) },
      },
    },
    async (request) => {
      const page = await jobs.list(request.principal.tenant, Number(request.query.limit), request.query.after);
      return { data: await Promise.all(page.data.map((r) => jobs.view(r))), hasMore: page.hasMore };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/jobs/:id',
    { schema: { summary: 'A long-form job: status, progress by segment, result', tags: ['jobs'], params: idParams, response: { 200: jobSchema, ...errorResponses(400, 404) } } },
    async (request) => jobs.view(await jobs.get(request.principal.tenant, request.params.id)),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/jobs/:id/cancel',
    {
      schema: {
        summary: 'Cancel a queued or running job',
        description: 'The segment in flight stops (at once on the node running it, or at its end on another); stored segments are removed; a webhook is called with job.cancelled.',
        tags: ['jobs'],
        params: idParams,
        response: { 200: jobSchema, ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => jobs.view(await jobs.cancel(request.principal.tenant, request.params.id)),
  );
};
