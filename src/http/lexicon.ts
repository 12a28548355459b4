// /v1/lexicon: the pronunciation lexicon (create, list, read, replace, delete). Entries apply to
// every POST /v1/tts that does not say `lexicon:false`; POST /v1/tts/preview-text shows the result.
import type { FastifyPluginAsync } from 'fastify';
import { LANGUAGE_CODES } from '../text/language.js';
import { MAX_PRONUNCIATION_CHARS, MAX_TERM_CHARS, type LexiconEntryInput } from '../lexicon/entry.js';
import type { LexiconService } from '../lexicon/service.js';
import { errorResponses } from './error-schema.js';
import type { AppContext } from './context.js';
import { idParamsSchema, timestampProperties } from './resource-schema.js';

export interface LexiconContext extends AppContext {
  readonly lexicon: LexiconService;
}

const entryBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['term', 'pronunciation'],
  properties: {
    term: { type: 'string', minLength: 1, maxLength: MAX_TERM_CHARS, description: 'Text to replace (surrounding whitespace is trimmed).' },
    pronunciation: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_PRONUNCIATION_CHARS,
      description: 'CMU phoneme tokens ([M][AY0][N][UW1][T]) or pinyin tokens ([j][ǐ]), one kind only; runs may be separated by spaces.',
    },
    language: { type: 'string', enum: [...LANGUAGE_CODES], description: 'Apply only to requests in this language; every language when omitted.' },
    caseSensitive: { type: 'boolean', default: false },
    wholeWord: { type: 'boolean', default: true, description: 'Match only whole words (in Chinese, Japanese and other unspaced scripts every occurrence counts).' },
  },
} as const;

const entrySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    term: { type: 'string' },
    pronunciation: { type: 'string' },
    language: { type: ['string', 'null'] },
    caseSensitive: { type: 'boolean' },
    wholeWord: { type: 'boolean' },
    ...timestampProperties,
  },
} as const;

const idParams = idParamsSchema(64);

/** The wire form: the owner is an internal scoping key, not something clients set or see. */
const toWire = ({ owner: _owner, ...entry }: Awaited<ReturnType<LexiconService['get']>>) => entry;

export const lexiconRoutes: FastifyPluginAsync<LexiconContext> = async (app, { lexicon }) => {
  app.get<{ Querystring: { language?: string } }>(
    '/v1/lexicon',
    {
      schema: {
        summary: 'List lexicon entries',
        tags: ['lexicon'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { language: { type: 'string', enum: [...LANGUAGE_CODES], description: 'Only entries scoped to exactly this language.' } },
        },
        response: { 200: { type: 'object', properties: { data: { type: 'array', items: entrySchema } } }, ...errorResponses(400) },
      },
    },
    async (request) => {
      const filter = request.query.language === undefined ? {} : { language: request.query.language };
      return { data: (await lexicon.list(filter, request.principal.tenant)).map(toWire) };
    },
  );

  app.post<{ Body: LexiconEntryInput }>(
    '/v1/lexicon',
    {
      schema: {
        summary: 'Create a lexicon entry',
        tags: ['lexicon'],
        body: entryBodySchema,
        response: { 201: entrySchema, ...errorResponses(400, 409, 413, 415) },
      },
    },
    async (request, reply) => reply.status(201).send(toWire(await lexicon.create(request.body, request.principal.tenant))),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/lexicon/:id',
    { schema: { summary: 'Get a lexicon entry', tags: ['lexicon'], params: idParams, response: { 200: entrySchema, ...errorResponses(404) } } },
    async (request) => toWire(await lexicon.get(request.params.id, request.principal.tenant)),
  );

  app.put<{ Params: { id: string }; Body: LexiconEntryInput }>(
    '/v1/lexicon/:id',
    {
      schema: {
        summary: 'Replace a lexicon entry',
        tags: ['lexicon'],
        params: idParams,
        body: entryBodySchema,
        response: { 200: entrySchema, ...errorResponses(400, 404, 409, 413, 415) },
      },
    },
    async (request) => toWire(await lexicon.replace(request.params.id, request.body, request.principal.tenant)),
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/lexicon/:id',
    {
      schema: { summary: 'Delete a lexicon entry', tags: ['lexicon'], params: idParams, response: { 204: { type: 'null', description: 'Deleted.' }, ...errorResponses(404) } },
    },
    async (request, reply) => {
      await lexicon.delete(request.params.id, request.principal.tenant);
      return reply.status(204).send();
    },
  );
};
