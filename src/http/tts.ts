// POST /v1/tts: the native synthesis endpoint. Everything refusable is refused before the first
// byte (as a JSON error); after that, audio streams (chunked) or arrives whole (Content-Length).
import { single } from '../util/single.js';
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../errors/app-error.js';
import { SYNTHESIS_MODES } from '../engines/engine.js';
import { AUDIO_FORMATS } from '../audio/types.js';
import { LANGUAGE_CODES } from '../text/language.js';
import { UNREADABLE_POLICIES } from '../config/settings.js';
import { admitPlan, planText, renderAudio, type AdmissionOptions, type SynthesisPlan, type TtsInput } from '../services/synthesis.js';
import { errorResponses } from './error-schema.js';
import type { AppContext } from './context.js';
import { resume } from './stream-body.js';
import { cutStalledStream } from './stall-guard.js';
import { captureOutput } from '../outputs/capture.js';

export const SAMPLE_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000] as const;

/** The body of POST /v1/tts; POST /v1/tts/preview-text takes the same. */
export const ttsBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['text'],
  properties: {
    text: {
      type: 'string',
      description:
        'Text to speak, or SSML (<speak>…</speak>: docs/api.md#ssml). Long text is split into segments. CMU phoneme runs such as [M][AY0][N][UW1][T] replace a word\'s pronunciation.',
    },
    // No schema default: planSynthesis picks the mode from the request (instruct when `instruct`
    // is given, clone for a library voice, else preset), which a filled-in default would defeat.
    mode: {
      type: 'string',
      enum: [...SYNTHESIS_MODES],
      description: 'Synthesis mode; default: instruct when `instruct` is given, clone for a cloned voice where the engine can, else preset. espeak supports only preset.',
    },
    voice: { type: 'string', minLength: 1, maxLength: 128, description: 'Voice id from GET /v1/voices; the engine\'s first voice when omitted.' },
    language: { type: 'string', enum: [...LANGUAGE_CODES], description: 'Language of the text; detected when omitted.' },
    speed: { type: 'number', minimum: 0.5, maximum: 2, default: 1 },
    seed: { type: 'integer', minimum: 0, maximum: 4294967295, description: 'Random seed, for engines that sample.' },
    format: { type: 'string', enum: [...AUDIO_FORMATS], default: 'wav' },
    sample_rate: { type: 'integer', enum: [...SAMPLE_RATES], description: 'Resample to this rate (default: the engine\'s native rate).' },
    stream: { type: 'boolean', default: false, description: 'Send audio with chunked transfer as each segment is synthesized.' },
    instruct: {
      type: 'string',
      minLength: 1,
      maxLength: 500,
      description: 'Instruction for mode instruct: a trained key from GET /v1/instructions (e.g. dialect:sichuan) or free text.',
    },
    lexicon: { type: 'boolean', default: true, description: 'Apply the pronunciation lexicon to the text.' },
    // No schema default: a request that leaves it out follows its key's storeByDefault.
    store: {
      type: 'boolean',
      description:
        'Keep the response\'s audio (the bytes sent, in their format) as a stored output of your tenant: X-Output-Id names it (GET /v1/outputs/{id}); a non-streamed response also has X-Output-Url. A streamed output is saved when the stream completes; one that fails or is cancelled stores nothing. Default: the API key\'s storeByDefault (false unless set). Expires after the tenant\'s retention (OUTPUT_RETENTION_DAYS unless its policy says otherwise).',
    },
    unreadable: {
      type: 'string',
      enum: [...UNREADABLE_POLICIES],
      description: 'Text the engine cannot read (emoji, letters of scripts it cannot read in this language): `skip` removes it, `names` speaks emoji by their CLDR names; removals come back as an `unreadable_skipped` warning. Default: the server\'s UNREADABLE_TEXT.',
    },
  },
} as const;

const audioContent = Object.fromEntries(
  ['audio/wav', 'audio/pcm', 'audio/mpeg', 'audio/ogg', 'audio/flac'].map((t) => [t, { schema: { type: 'string', format: 'binary' } }]),
);

export const ttsRoutes: FastifyPluginAsync<AppContext> = async (app, { config, engine, lifecycle, servicesFor, outputs, cache }) => {
  app.post<{ Body: TtsInput }>(
    '/v1/tts',
    {
      schema: {
        summary: 'Synthesize speech',
        tags: ['synthesis'],
        body: ttsBodySchema,
        headers: deadlineHeaderSchema,
        response: {
          200: {
            description:
              'Audio. Headers: X-Request-Id, X-Engine, X-Sample-Rate, X-Audio-Language, X-Segments, X-Warnings (JSON array of {code,message,param}); when stored ("store": true, or the key\'s storeByDefault) X-Output-Id, and X-Output-Url when not streamed; X-Cache (hit, miss) when the result cache applies.',
            content: audioContent,
          },
          ...errorResponses(400, 413, 415, 422, 429, 503),
        },
      },
    },
    async (request, reply) => {
      if (lifecycle.shuttingDown) throw new AppError('shutting_down');
      const health = engine.health();
      if (!health.ready) throw new AppError('engine_unavailable', `The ${engine.capabilities.name} engine is not ready: ${health.detail ?? 'starting'}.`);

      const capture = captureOutput(request.body.store ?? request.principal.storeByDefault, outputs);
      const services = servicesFor(request.principal);
      const text = await planText(engine, config, request.body, request.id, services);
      const cacheKey = cache ? await cache.keyFor(request.principal.tenant, text, engine.capabilities.name) : null;
      const hit = cacheKey ? await cache!.get(cacheKey) : null;
      if (hit) {
        // The engine is not involved: no queue, no job, no engine time.
        setAudioHeaders(reply.raw, { ...text, encoder: { outputSampleRate: hit.meta.sampleRate } });
        reply.header('x-cache', 'hit');
        let bytes = hit.bytes;
        if (capture) {
          for await (const part of capture.wrap(single(bytes), () => ({ tenant: request.principal.tenant, format: text.format, contentType: hit.meta.contentType, audioSeconds: hit.meta.audioSeconds, characters: [...request.body.text].length, voice: text.voice, engine: engine.capabilities.name }))) bytes = part;
          reply.header('x-output-id', capture.id);
          if (capture.record && outputs) reply.header('x-output-url', await outputs.url(capture.record));
        }
        return reply.type(hit.meta.contentType).header('content-length', bytes.length).send(bytes);
      }
      if (cacheKey) reply.header('x-cache', 'miss');
      const plan = await admitPlan(engine, text, services, { ...admissionOptions(request.headers), owner: request.principal.tenant });
      const abort = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) abort.abort();
      });
      setAudioHeaders(reply.raw, plan);
      let audioSeconds = 0;
      const rendered = renderAudio(plan, abort.signal, (r) => {
        audioSeconds = r.audioSeconds;
        request.log.info(
          { engine: engine.capabilities.name, segments: r.segments, audioSeconds: round(r.audioSeconds), wallMs: Math.round(r.wallMs), firstAudioMs: r.firstAudioMs === null ? null : Math.round(r.firstAudioMs), rtf: round(r.rtf), format: plan.format, stream: plan.stream },
          'synthesized',
        );
      });
      const filled = cacheKey ? cache!.fill(rendered, cacheKey, () => ({ contentType: plan.encoder.contentType, sampleRate: plan.encoder.outputSampleRate, audioSeconds })) : rendered;
      const audio = capture
        ? capture.wrap(filled, () => ({ tenant: request.principal.tenant, format: plan.format, contentType: plan.encoder.contentType, audioSeconds, characters: [...request.body.text].length, voice: plan.voice, engine: engine.capabilities.name }))
        : filled;

      if (!plan.stream) {
        const parts: Buffer[] = [];
        for await (const part of audio) parts.push(part);
        const body = Buffer.concat(parts);
        if (capture?.record && outputs) reply.header('x-output-id', capture.id).header('x-output-url', await outputs.url(capture.record));
        return reply.type(plan.encoder.contentType).header('content-length', body.length).send(body);
      }
      // Wait for the first bytes so that a failure before any audio is still a JSON error.
      const iterator = audio[Symbol.asyncIterator]();
      const first = await iterator.next();
      const body = Readable.from(resume(first, iterator), { objectMode: false });
      body.on('error', (err) => request.log.warn({ err }, 'stream ended early; the chunked response is truncated'));
      cutStalledStream(request, reply, body, config.streamStallTimeoutMs);
      if (capture) reply.header('x-output-id', capture.id);
      return reply.type(plan.encoder.contentType).send(body);
    },
  );
};

/** X-Deadline-Ms: the longest this request may wait in the queue (capped at QUEUE_DEADLINE_MS). */
export const deadlineHeaderSchema = {
  type: 'object',
  properties: {
    'x-deadline-ms': { type: 'string', pattern: '^[1-9][0-9]{0,8}$', description: 'Longest wait in the queue before synthesis starts (ms); capped at QUEUE_DEADLINE_MS.' },
  },
} as const;

export function admissionOptions(headers: Record<string, unknown>): AdmissionOptions {
  const deadline = headers['x-deadline-ms'];
  return typeof deadline === 'string' ? { deadlineMs: Number(deadline) } : {};
}


/** The X-* headers of a synthesis response (also used by the OpenAI-compatible route). */
export function setAudioHeaders(res: { setHeader(name: string, value: string | number): unknown }, plan: Pick<SynthesisPlan, 'engine' | 'language' | 'segments' | 'warnings'> & { encoder: { outputSampleRate: number } }): void {
  res.setHeader('x-engine', plan.engine.capabilities.name);
  res.setHeader('x-sample-rate', plan.encoder.outputSampleRate);
  res.setHeader('x-audio-language', plan.language);
  res.setHeader('x-segments', plan.segments.length);
  if (plan.warnings.length > 0) res.setHeader('x-warnings', asciiJson(plan.warnings));
  res.setHeader('cache-control', 'no-store');
  // A reverse proxy of the user's own (nginx honours this header) passes the audio on as it is
  // made instead of buffering the whole answer; deploy/nginx does it by path as well.
  res.setHeader('x-accel-buffering', 'no');
}

/** JSON with every non-ASCII character escaped, so it is a legal header value. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const round = (n: number) => Math.round(n * 1000) / 1000;
