// POST /v1/tts/preview-text: what POST /v1/tts would send to the engine for the same body (text
// after the lexicon, segments, language), without synthesizing. It runs the synthesis planner
// itself, so the preview cannot drift from what synthesis does.
import type { FastifyPluginAsync } from 'fastify';
import { pauseMs, planText, segmentJoin, type PlanServices, type TtsInput } from '../services/synthesis.js';
import { SEGMENT_JOINS } from '../text/joins.js';
import type { LexiconRewrite } from '../lexicon/matcher.js';
import type { LexiconService } from '../lexicon/service.js';
import { ttsBodySchema } from './tts.js';
import { errorResponses } from './error-schema.js';
import type { AppContext } from './context.js';

export interface PreviewContext extends AppContext {
  /** Absent: no lexicon on this server, the text passes through unchanged. */
  readonly lexicon?: LexiconService;
}

const previewResponse = {
  type: 'object',
  properties: {
    text: { type: 'string', description: 'The text after the lexicon and the unreadable-text policy: what is segmented and sent to the engine.' },
    segments: { type: 'array', items: { type: 'string' }, description: 'The engine calls, in order.' },
    speeds: { type: 'array', items: { type: 'number' }, description: 'The speed of each engine call (SSML <prosody rate> changes it for some).' },
    pauses: {
      type: 'array',
      items: { type: 'integer' },
      description: 'Milliseconds of silence before the first segment, between each two, and after the last (one more than segments): between segments the pause their join calls for (see joins; SEGMENT_GAP_MS at a sentence end), SSML <break>s where they are.',
    },
    joins: {
      type: 'array',
      items: { type: 'string', enum: SEGMENT_JOINS },
      description: 'What separates each segment from the next (one fewer than segments): paragraph (3 × SEGMENT_GAP_MS), sentence (SEGMENT_GAP_MS), clause (½ ×), word (a cut inside a sentence, or a rate change: no pause, a 15 ms crossfade), break (an SSML <break>: its own pause).',
    },
    language: { type: 'string' },
    languageDetected: { type: 'boolean' },
    lexiconApplied: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          term: { type: 'string' },
          pronunciation: { type: 'string' },
          position: { type: 'integer', description: '0-based UTF-16 offset of the replaced text in the request text (in the SSML, for SSML input).' },
          matched: { type: 'string', description: 'The replaced text as written.' },
        },
      },
    },
    warnings: {
      type: 'array',
      items: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, param: { type: ['string', 'null'] } } },
    },
  },
} as const;

export const previewTextRoutes: FastifyPluginAsync<PreviewContext> = async (app, { config, engine, servicesFor, lexicon }) => {
  app.post<{ Body: TtsInput }>(
    '/v1/tts/preview-text',
    {
      schema: {
        summary: 'Preview the text synthesis would use',
        description: 'Takes the body of POST /v1/tts and answers what the engine would receive, without synthesizing.',
        tags: ['synthesis'],
        body: ttsBodySchema,
        response: { 200: previewResponse, ...errorResponses(400, 413, 415, 422) },
      },
    },
    async (request) => {
      let rewritten: LexiconRewrite | undefined;
      // The hook /v1/tts gets from buildApp, with an observer: same code, and we see what it applied.
      const own = servicesFor(request.principal);
      const services: PlanServices = lexicon ? { ...own, rewriteText: lexicon.rewriteHook((result) => (rewritten = result), request.principal.tenant) } : own;
      const plan = await planText(engine, config, request.body, request.id, services);
      return {
        text: plan.text,
        segments: plan.segments,
        speeds: plan.segments.map((_, i) => plan.speeds?.[i] ?? plan.speed),
        pauses: Array.from({ length: plan.segments.length + 1 }, (_, i) => pauseMs(plan, i)),
        joins: plan.segments.slice(1).map((_, i) => segmentJoin(plan, i + 1)),
        language: plan.language,
        languageDetected: plan.languageDetected,
        lexiconApplied: (rewritten?.applied ?? []).map((a) => (plan.ssmlOffset ? { ...a, position: plan.ssmlOffset(a.position) } : a)),
        warnings: plan.warnings,
      };
    },
  );
};
