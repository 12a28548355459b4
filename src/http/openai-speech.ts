// The OpenAI-compatible surface: POST /v1/audio/speech and GET /v1/models, so code written for
// OpenAI's text-to-speech (the official clients included) works unchanged against cosyfleet.
// Requests are translated into the native TtsInput and go through the same planSynthesis /
// renderAudio pipeline as POST /v1/tts; only the request mapping, AAC transcoding, SSE framing
// and the error shape (openai-errors.ts, this plugin's own error handler) are specific here.
import { single } from '../util/single.js';
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../errors/app-error.js';
import type { Engine, SynthesisWarning } from '../engines/engine.js';
import type { AudioFormat } from '../audio/types.js';
import { AAC_CONTENT_TYPE, createAacEncoder, type AsyncAudioEncoder } from '../audio/aac.js';
import { abandonPlan, admitPlan, planText, renderAudio, type RenderReport, type TtsInput } from '../services/synthesis.js';
import { registerOpenAIErrorHandling, toOpenAIWarnings } from './openai-errors.js';
import { setAudioHeaders } from './tts.js';
import type { AppContext } from './context.js';
import { resume } from './stream-body.js';
import { cutStalledStream } from './stall-guard.js';
import { captureOutput } from '../outputs/capture.js';

/** OpenAI's limit on `input`. */
export const OPENAI_MAX_INPUT_CHARS = 4096;
export const OPENAI_RESPONSE_FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;
type ResponseFormat = (typeof OPENAI_RESPONSE_FORMATS)[number];
/** OpenAI's speech output is 24 kHz in every format (`pcm` is documented as 24 kHz s16le mono). */
export const OPENAI_SAMPLE_RATE = 24000;
/** Model ids OpenAI clients send; every id is served by the active engine (X-Engine says which). */
export const OPENAI_MODEL_ALIASES = ['tts-1', 'tts-1-hd', 'gpt-4o-mini-tts', 'gpt-4o-mini-tts-2025-12-15', 'cosyvoice3'] as const;
/**
 * OpenAI's built-in voices -> the embedded engine's presets, by gender and character. Fixed, so a
 * voice always sounds the same; an engine without that preset plays its first voice instead.
 */
export const OPENAI_VOICE_PRESETS: Readonly<Record<string, string>> = Object.freeze({
  alloy: 'sam',
  ash: 'kai',
  ballad: 'hao',
  coral: 'mei',
  echo: 'kai',
  fable: 'sam',
  onyx: 'hao',
  nova: 'mei',
  sage: 'ava',
  shimmer: 'ava',
  verse: 'kai',
  marin: 'mei',
  cedar: 'hao',
});
/** Speech tokens per second of audio (CosyVoice3's LLM rate), for the SSE `usage` estimate. */
const SPEECH_TOKENS_PER_SECOND = 25;

interface SpeechBody {
  model: string;
  input: string;
  voice: string | { id: string };
  instructions?: string;
  response_format: ResponseFormat;
  speed: number;
  stream_format: 'audio' | 'sse';
  /** cosyfleet's extension: keep the audio as a stored output (GET /v1/outputs/{id}). */
  store?: boolean;
}

const speechBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['model', 'input', 'voice'],
  properties: {
    model: { type: 'string', minLength: 1, maxLength: 128, description: `One of GET /v1/models: ${OPENAI_MODEL_ALIASES.join(', ')} or the engine's name. All run the active engine.` },
    input: { type: 'string', minLength: 1, description: `Text to speak, or SSML (<speak>…</speak>), at most ${OPENAI_MAX_INPUT_CHARS} characters.` },
    voice: {
      description: 'A preset or library voice id (GET /v1/voices), an OpenAI voice name (mapped to a preset), or {"id": "..."}.',
      anyOf: [
        { type: 'string', minLength: 1, maxLength: 128 },
        { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 128 } } },
      ],
    },
    instructions: { type: 'string', maxLength: OPENAI_MAX_INPUT_CHARS, description: 'Used as `instruct` where the engine has instruct mode; otherwise ignored with a warning.' },
    response_format: { type: 'string', enum: [...OPENAI_RESPONSE_FORMATS], default: 'mp3' },
    speed: { type: 'number', minimum: 0.25, maximum: 4, default: 1, description: 'Clamped to the engine\'s range, with a speed_clamped warning.' },
    stream_format: { type: 'string', enum: ['audio', 'sse'], default: 'audio' },
    // No schema default: a request that leaves it out follows its key's storeByDefault.
    store: {
      type: 'boolean',
      description:
        'cosyfleet extension (an extra body field for OpenAI clients): keep the audio (in response_format; with SSE, the audio the events carry) as a stored output of your tenant, saved when the stream completes; X-Output-Id names it (GET /v1/outputs/{id}). Default: the API key\'s storeByDefault (false unless set).',
    },
  },
} as const;

const openAIErrorSchema = {
  description: 'Error in OpenAI\'s shape',
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { message: { type: 'string' }, type: { type: 'string' }, param: { type: ['string', 'null'] }, code: { type: 'string' } },
    },
  },
} as const;

export const openaiRoutes: FastifyPluginAsync<AppContext> = async (app, { config, engine, lifecycle, servicesFor, outputs, cache }) => {
  registerOpenAIErrorHandling(app);
  const created = Math.floor(Date.now() / 1000);
  const modelIds = [...new Set<string>([engine.capabilities.name, ...OPENAI_MODEL_ALIASES])];

  app.get(
    '/v1/models',
    { schema: { summary: 'Models (OpenAI shape)', tags: ['openai'], description: 'Every id is served by the active engine.' } },
    async () => ({ object: 'list', data: modelIds.map((id) => ({ id, object: 'model', created, owned_by: 'cosyfleet' })) }),
  );

  app.post<{ Body: SpeechBody }>(
    '/v1/audio/speech',
    {
      schema: {
        summary: 'Create speech (OpenAI-compatible)',
        tags: ['openai'],
        body: speechBodySchema,
        response: {
          200: {
            description: 'Audio (chunked), or text/event-stream with stream_format "sse". Headers as POST /v1/tts, X-Warnings included; when stored ("store": true, or the key\'s storeByDefault) X-Output-Id.',
            content: Object.fromEntries(
              ['audio/mpeg', 'audio/ogg', 'audio/aac', 'audio/flac', 'audio/wav', 'audio/pcm', 'text/event-stream'].map((t) => [t, { schema: { type: 'string', format: 'binary' } }]),
            ),
          },
          ...Object.fromEntries([400, 413, 415, 422, 503].map((s) => [s, openAIErrorSchema])),
        },
      },
    },
    async (request, reply) => {
      if (lifecycle.shuttingDown) throw new AppError('shutting_down');
      const health = engine.health();
      if (!health.ready) throw new AppError('engine_unavailable', `The ${engine.capabilities.name} engine is not ready: ${health.detail ?? 'starting'}.`);

      const body = request.body;
      const capture = captureOutput(body.store ?? request.principal.storeByDefault, outputs);
      const mapped = await toTtsInput(body, engine, config.maxTextChars);
      const services = servicesFor(request.principal);
      const text = await planText(engine, config, mapped.input, request.id, services);
      const cacheKey = cache ? await cache.keyFor(request.principal.tenant, text, engine.capabilities.name, { api: 'openai', responseFormat: body.response_format }) : null;
      const hit = cacheKey ? await cache!.get(cacheKey) : null;
      if (hit) {
        // Answered from the result cache: no queue, no engine.
        const warnings = toOpenAIWarnings([...mapped.warnings, ...text.warnings]);
        const audio = capture
          ? capture.wrap(single(hit.bytes), () => ({ tenant: request.principal.tenant, format: body.response_format, contentType: hit.meta.contentType, audioSeconds: hit.meta.audioSeconds, characters: [...body.input].length, voice: text.voice, engine: engine.capabilities.name }))
          : single(hit.bytes);
        const input = [...body.input].length;
        const output = Math.ceil(hit.meta.audioSeconds * SPEECH_TOKENS_PER_SECOND);
        const out = body.stream_format === 'sse' ? sseEvents(audio, () => ({ input_tokens: input, output_tokens: output, total_tokens: input + output })) : audio;
        const parts: Buffer[] = [];
        for await (const part of out) parts.push(part);
        setAudioHeaders(reply.raw, { ...text, warnings, encoder: { outputSampleRate: hit.meta.sampleRate } });
        reply.header('x-cache', 'hit');
        if (capture) reply.header('x-output-id', capture.id);
        return reply.type(body.stream_format === 'sse' ? 'text/event-stream' : hit.meta.contentType).send(Buffer.concat(parts));
      }
      if (cacheKey) reply.header('x-cache', 'miss');
      const plan = await admitPlan(engine, text, services, { owner: request.principal.tenant });
      const warnings = toOpenAIWarnings([...mapped.warnings, ...plan.warnings]);
      let aac: AsyncAudioEncoder | null = null;
      if (body.response_format === 'aac') {
        try {
          aac = await createAacEncoder({ sampleRate: OPENAI_SAMPLE_RATE, ffmpeg: config.ffmpegPath || null });
        } catch (err) {
          abandonPlan(plan, err);
          throw err;
        }
      }

      const abort = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) abort.abort();
      });
      let report: RenderReport | null = null;
      const pcmOrEncoded = renderAudio(plan, abort.signal, (r) => {
        report = r;
        request.log.info(
          { api: 'openai', engine: engine.capabilities.name, model: body.model, segments: r.segments, audioSeconds: round(r.audioSeconds), wallMs: Math.round(r.wallMs), firstAudioMs: r.firstAudioMs === null ? null : Math.round(r.firstAudioMs), rtf: round(r.rtf), format: body.response_format, streamFormat: body.stream_format, warnings: warnings.map((w) => w.code) },
          'synthesized',
        );
      });
      const transcoded = aac ? transcodeAac(pcmOrEncoded, aac) : pcmOrEncoded;
      const encoded = cacheKey
        ? cache!.fill(transcoded, cacheKey, () => ({ contentType: aac ? AAC_CONTENT_TYPE : plan.encoder.contentType, sampleRate: aac ? OPENAI_SAMPLE_RATE : plan.encoder.outputSampleRate, audioSeconds: report?.audioSeconds ?? 0 }))
        : transcoded;
      const audio = capture
        ? capture.wrap(encoded, () => ({ tenant: request.principal.tenant, format: body.response_format, contentType: aac ? AAC_CONTENT_TYPE : plan.encoder.contentType, audioSeconds: report?.audioSeconds ?? 0, characters: [...body.input].length, voice: plan.voice, engine: engine.capabilities.name }))
        : encoded;
      const usage = () => {
        const input = [...body.input].length;
        const output = Math.ceil((report?.audioSeconds ?? 0) * SPEECH_TOKENS_PER_SECOND);
        return { input_tokens: input, output_tokens: output, total_tokens: input + output };
      };
      const out = body.stream_format === 'sse' ? sseEvents(audio, usage) : audio;

      // Wait for the first bytes so that a failure before any audio is still a JSON error.
      const iterator = out[Symbol.asyncIterator]();
      const first = await iterator.next();
      setAudioHeaders(reply.raw, { ...plan, warnings });
      const stream = Readable.from(resume(first, iterator), { objectMode: false });
      stream.on('error', (err) => request.log.warn({ err }, 'stream ended early; the chunked response is truncated'));
      cutStalledStream(request, reply, stream, config.streamStallTimeoutMs);
      if (capture) reply.header('x-output-id', capture.id);
      const contentType = body.stream_format === 'sse' ? 'text/event-stream' : aac ? AAC_CONTENT_TYPE : plan.encoder.contentType;
      return reply.type(contentType).send(stream);
    },
  );
};

/** Translates an OpenAI speech request into the native input, with the warnings the mapping owes. */
async function toTtsInput(body: SpeechBody, engine: Engine, maxTextChars: number): Promise<{ input: TtsInput; warnings: SynthesisWarning[] }> {
  const caps = engine.capabilities;
  const models: readonly string[] = [caps.name, ...OPENAI_MODEL_ALIASES];
  if (!models.includes(body.model)) {
    throw new AppError('unknown_model', `The model "${body.model}" does not exist on this server; use one of ${models.join(', ')} (GET /v1/models).`, { param: 'model' });
  }
  if (body.input.trim().length === 0) throw new AppError('empty_text', 'input must contain something to say.', { param: 'input' });
  const chars = [...body.input].length;
  const limit = Math.min(OPENAI_MAX_INPUT_CHARS, maxTextChars);
  if (chars > limit) throw new AppError('text_too_long', `input has ${chars} characters; the maximum is ${limit}.`, { param: 'input' });

  const warnings: SynthesisWarning[] = [];
  const voice = await resolveVoice(typeof body.voice === 'string' ? body.voice : body.voice.id, engine, warnings);

  let speed = body.speed;
  if (speed < caps.speed.min || speed > caps.speed.max) {
    speed = Math.min(caps.speed.max, Math.max(caps.speed.min, speed));
    warnings.push({
      code: 'speed_clamped',
      message: `speed ${body.speed} is outside the ${caps.name} engine's range ${caps.speed.min}–${caps.speed.max}; using ${speed}.`,
      param: 'speed',
    });
  }

  let instruct: string | undefined;
  if (body.instructions !== undefined && body.instructions.trim().length > 0) {
    if (caps.modes.includes('instruct')) instruct = body.instructions;
    else {
      warnings.push({
        code: 'instructions_ignored',
        message: `The ${caps.name} engine has no instruct mode; instructions were ignored (the CosyVoice3 engine follows them).`,
        param: 'instructions',
      });
    }
  }

  const format: AudioFormat = body.response_format === 'aac' ? 'pcm' : body.response_format;
  const input: TtsInput = { text: body.input, voice, speed, format, sample_rate: OPENAI_SAMPLE_RATE, stream: true };
  if (instruct !== undefined) input.instruct = instruct;
  return { input, warnings };
}

/**
 * An engine preset or library id passes through unchanged (planSynthesis resolves or refuses it);
 * an OpenAI voice name becomes a preset, with a `voice_mapped` warning saying which.
 */
async function resolveVoice(id: string, engine: Engine, warnings: SynthesisWarning[]): Promise<string> {
  const presets = await engine.listVoices();
  if (presets.some((v) => v.id === id)) return id;
  const target = OPENAI_VOICE_PRESETS[id.toLowerCase()];
  if (target === undefined) return id;
  const preset = presets.find((v) => v.id === target) ?? presets[0];
  if (!preset) return id;
  warnings.push({
    code: 'voice_mapped',
    message: `OpenAI voice "${id}" is played by the ${engine.capabilities.name} preset "${preset.id}".`,
    param: 'voice',
  });
  return preset.id;
}

/** Raw s16le from the pipeline -> ADTS AAC. Closing the iteration stops the encoder's worker. */
async function* transcodeAac(pcm: AsyncIterable<Buffer>, aac: AsyncAudioEncoder): AsyncGenerator<Buffer> {
  try {
    let carry: Buffer = Buffer.alloc(0);
    for await (const chunk of pcm) {
      const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      const n = bytes.length >> 1;
      carry = bytes.subarray(n * 2);
      const samples = new Float32Array(n);
      for (let i = 0; i < n; i++) samples[i] = bytes.readInt16LE(i * 2) / 32768;
      for (const b of await aac.write(samples)) yield b;
    }
    for (const b of await aac.end()) yield b;
  } finally {
    await aac.close();
  }
}

/** OpenAI's speech SSE: `speech.audio.delta` events with base64 audio, then `speech.audio.done`. */
async function* sseEvents(audio: AsyncIterable<Buffer>, usage: () => Record<string, number>): AsyncGenerator<Buffer> {
  const event = (data: unknown) => Buffer.from(`data: ${JSON.stringify(data)}\n\n`);
  for await (const chunk of audio) yield event({ type: 'speech.audio.delta', audio: chunk.toString('base64') });
  yield event({ type: 'speech.audio.done', usage: usage() });
}


const round = (n: number) => Math.round(n * 1000) / 1000;
