// GET /v1/pronounce: pronunciation suggestions (CosyVoice3 tokens) for the words and characters
// of a short text, to paste into request text or a lexicon entry.
import type { FastifyPluginAsync } from 'fastify';
import { MAX_PRONOUNCE_CHARS, PRONOUNCE_LANGUAGES, suggestPronunciations } from '../pronounce/suggest.js';
import { LANGUAGE_CODES } from '../text/language.js';
import { errorResponses } from './error-schema.js';
import type { AppContext } from './context.js';

const readingSchema = {
  type: 'object',
  properties: {
    tokens: { type: 'string', description: 'CosyVoice3 tokens, e.g. [M][AY0][N][UW1][T] or [x][íng].' },
    source: { type: 'string', enum: ['cmudict', 'pinyin-pro'] },
    raw: { type: 'string', description: 'The source notation: ARPAbet or tone-marked pinyin.' },
  },
} as const;

const responseSchema = {
  type: 'object',
  properties: {
    language: { type: 'string' },
    languageDetected: { type: 'boolean' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          text: { type: 'string' },
          position: { type: 'integer' },
          found: { type: 'boolean' },
          readings: { type: 'array', items: readingSchema },
          unrepresentable: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const;

export const pronounceRoutes: FastifyPluginAsync<AppContext> = async (app) => {
  app.get<{ Querystring: { text: string; language?: string } }>(
    '/v1/pronounce',
    {
      schema: {
        summary: 'Pronunciation suggestions',
        description: `English words from the CMU Pronouncing Dictionary and Chinese characters from pinyin-pro, every reading as CosyVoice3 tokens. Languages: ${PRONOUNCE_LANGUAGES.join(', ')}.`,
        tags: ['lexicon'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['text'],
          properties: {
            text: { type: 'string', description: `Words or characters to look up, at most ${MAX_PRONOUNCE_CHARS} characters.` },
            language: { type: 'string', enum: [...LANGUAGE_CODES], description: 'Detected when omitted.' },
          },
        },
        response: { 200: responseSchema, ...errorResponses(400, 422) },
      },
    },
    async (request) => suggestPronunciations(request.query.text, request.query.language),
  );
};
