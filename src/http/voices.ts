// /v1/voices: the engine's preset voices plus the voice library (upload a prompt recording with
// its transcript, read, fetch the audio, rename or correct the transcript, delete). Uploads are
// multipart/form-data, parsed here with their own limits (MAX_UPLOAD_BYTES, one file, a few
// short fields); everything else is JSON like the rest of the API.
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';
import { VOICE_GENDERS, type Voice } from '../engines/engine.js';
import { LANGUAGE_CODES } from '../text/language.js';
import type { VoicePatch, VoiceRecord } from '../storage/voice-store.js';
import { MAX_NAME_CHARS, MAX_TRANSCRIPT_CHARS } from '../voices/fields.js';
import { isVoiceId } from '../voices/ids.js';
import type { AudioVariant, VoiceLibrary } from '../voices/library.js';
import { PROMPT_LIMITS, PROMPT_SAMPLE_RATE } from '../voices/prompt-audio.js';
import { errorResponses } from './error-schema.js';
import { formContentTypeProblem } from './form-content-type.js';
import type { AppContext } from './context.js';
import { idParamsSchema, timestampProperties } from './resource-schema.js';

export interface VoicesContext extends AppContext {
  readonly voices: VoiceLibrary;
}

const FORM_FIELDS = ['transcript', 'name', 'language', 'gender', 'consent'] as const;
/** Bytes per text field: the longest allowed transcript (500 code points) fits with room to spare. */
const FIELD_BYTES = 4 * MAX_TRANSCRIPT_CHARS + 256;
/** Parts the form may have (fields, one file, a few unknown fields that get named in a 400). */
const FORM_PARTS = FORM_FIELDS.length + 5;
/** Bytes a form may have besides the file: every part at its field limit, with 1 KiB of headers and boundary each. */
const FORM_OVERHEAD_BYTES = FORM_PARTS * (FIELD_BYTES + 1024);

const createBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['audio', 'transcript', 'name'],
  properties: {
    audio: {
      type: 'string',
      format: 'binary',
      description: `The prompt recording: WAV (PCM/float), MP3, FLAC or Ogg Opus, at least ${PROMPT_LIMITS.minSampleRate} Hz, ${PROMPT_LIMITS.minSeconds}–${PROMPT_LIMITS.maxSeconds} s of speech after trimming leading/trailing silence, not silent or clipped, at most MAX_UPLOAD_BYTES. Stored as sent and normalized to ${PROMPT_SAMPLE_RATE} Hz mono 16-bit WAV.`,
    },
    transcript: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_TRANSCRIPT_CHARS,
      description: 'The words spoken in the recording, exactly (annotation tokens allowed). Cloning quality depends on it.',
    },
    name: { type: 'string', minLength: 1, maxLength: MAX_NAME_CHARS, description: 'Display name.' },
    // Not an enum: the form is read in this route's preValidation, after the app-wide hook that
    // maps tags (`zh-HK`) to codes, so the library's validateLanguage does both here.
    language: { type: 'string', minLength: 1, maxLength: 64, description: `Language of the recording: ${LANGUAGE_CODES.join(', ')}, or a tag such as zh-CN, zh-HK or en-US; detected from the transcript when omitted.` },
    gender: {
      type: 'string',
      enum: [...VOICE_GENDERS, ''],
      description: 'The speaker\'s gender as you want it shown and used: female, male or neutral; omitted or empty for none. Engines that cannot clone (espeak) pick a preset of this gender.',
    },
    consent: {
      type: 'string',
      description: 'Must be "true": the uploader confirms the speaker agreed to have their voice cloned (400 consent_required otherwise).',
    },
  },
} as const;

const patchBodySchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: createBodySchema.properties.name,
    transcript: createBodySchema.properties.transcript,
    language: { type: 'string', enum: [...LANGUAGE_CODES] },
    gender: { type: ['string', 'null'], enum: [...VOICE_GENDERS, null], description: 'female, male or neutral; null clears it.' },
  },
} as const;

/** Presets and library voices share one shape; the library's own fields are absent on presets. */
const voiceSchema = {
  type: 'object',
  required: ['id', 'name', 'kind', 'engine', 'languages'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    kind: { type: 'string', enum: ['preset', 'cloned'] },
    engine: { type: 'string', description: 'The engine that speaks it (a cloned voice: the active engine, which may approximate it).' },
    gender: {
      type: ['string', 'null'],
      enum: [...VOICE_GENDERS, null],
      description: 'Presets: when the engine says; cloned: as the uploader declared it (null: not stated).',
    },
    languages: { type: 'array', items: { type: 'string' }, description: 'Empty: every language of the engine.' },
    description: { type: 'string' },
    language: { type: 'string', description: 'Cloned: language of the recording.' },
    transcript: { type: 'string' },
    version: { type: 'integer', description: 'Cloned: grows when the transcript or language changes.' },
    pitchHz: { type: ['number', 'null'], description: 'Cloned: median pitch of the recording (null when too little is voiced).' },
    durationSeconds: { type: 'number', description: 'Cloned: length of the normalized recording.' },
    sampleRate: { type: 'integer', description: `Cloned: rate of the normalized recording (${PROMPT_SAMPLE_RATE}).` },
    original: {
      type: 'object',
      properties: {
        format: { type: 'string', enum: ['wav', 'mp3', 'flac', 'opus'] },
        contentType: { type: 'string' },
        bytes: { type: 'integer' },
        sampleRate: { type: 'integer' },
        channels: { type: 'integer' },
        durationSeconds: { type: 'number' },
      },
    },
    ...timestampProperties,
  },
} as const;

const idParams = idParamsSchema(128);

interface CreateBody {
  audio: string;
  transcript: string;
  name: string;
  language?: string;
  gender?: string;
  consent?: string;
}

export const voiceRoutes: FastifyPluginAsync<VoicesContext> = async (app, { config, engine, voices }) => {
  // Scoped to this plugin: no other route accepts multipart.
  await app.register(multipart, {
    throwFileSizeLimit: true,
    limits: {
      fileSize: config.maxUploadBytes,
      files: 1,
      // Room for a few unknown fields, so they are named (400 unknown_field) rather than cut off.
      fields: FORM_FIELDS.length + 4,
      fieldSize: FIELD_BYTES,
      fieldNameSize: 64,
      parts: FORM_PARTS,
      headerPairs: 20,
    },
  });
  /** The uploaded file of a POST, kept beside the schema-validated body (which holds only its name). */
  const uploads = new WeakMap<FastifyRequest, Buffer>();

  const toWire = (record: VoiceRecord) => ({
    id: record.id,
    name: record.name,
    kind: 'cloned' as const,
    engine: engine.capabilities.name,
    languages: [],
    language: record.language,
    gender: record.gender,
    transcript: record.transcript,
    version: record.version,
    pitchHz: record.pitchHz,
    durationSeconds: record.durationSeconds,
    sampleRate: PROMPT_SAMPLE_RATE,
    original: record.original,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  });

  app.get('/v1/voices', {
    schema: {
      summary: 'Voices: the engine\'s presets and the voice library',
      tags: ['voices'],
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: voiceSchema } } } },
    },
  }, async (request) => {
    const presets: readonly Voice[] = await engine.listVoices();
    return { data: [...presets, ...(await voices.list(request.principal.tenant)).map(toWire)] };
  });

  app.post<{ Body: CreateBody }>(
    '/v1/voices',
    {
      // A declared Content-Length above this is refused before the body is read (request-body.ts).
      bodyLimit: config.maxUploadBytes + FORM_OVERHEAD_BYTES,
      config: { bodyLimit: { setting: 'MAX_UPLOAD_BYTES plus the form\'s fields', param: 'audio' } },
      schema: {
        summary: 'Add a voice to the library from a recording (multipart/form-data)',
        tags: ['voices'],
        consumes: ['multipart/form-data'],
        body: createBodySchema,
        response: { 201: voiceSchema, ...errorResponses(400, 413, 415, 422) },
      },
      preValidation: async (request) => {
        const form = await readForm(request);
        uploads.set(request, form.file);
        request.body = form.body as unknown as CreateBody;
      },
    },
    async (request, reply) => {
      const { consent, name, transcript, language, gender } = request.body;
      if (consent !== 'true') {
        throw new AppError('consent_required', 'Set consent to "true" to confirm that the speaker agreed to have their voice cloned.', { param: 'consent' });
      }
      const audio = uploads.get(request) as Buffer;
      const record = await voices.create(
        { audio, name, transcript, ...(language === undefined ? {} : { language }), ...(gender === undefined ? {} : { gender }), consent: true },
        request.principal.tenant,
      );
      return reply.status(201).header('location', `/v1/voices/${record.id}`).send(toWire(record));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/voices/:id',
    { schema: { summary: 'A preset or library voice', tags: ['voices'], params: idParams, response: { 200: voiceSchema, ...errorResponses(400, 404) } } },
    async (request) => {
      const { id } = request.params;
      if (!isVoiceId(id)) {
        const preset = (await engine.listVoices()).find((v) => v.id === id);
        if (preset) return preset;
      }
      return toWire(await voices.get(id, request.principal.tenant));
    },
  );

  app.get<{ Params: { id: string }; Querystring: { variant?: AudioVariant } }>(
    '/v1/voices/:id/audio',
    {
      schema: {
        summary: 'A library voice\'s recording',
        description: `The normalized ${PROMPT_SAMPLE_RATE} Hz mono 16-bit WAV that engines receive, or with variant=original the upload as sent (with its content type).`,
        tags: ['voices'],
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { variant: { type: 'string', enum: ['normalized', 'original'], default: 'normalized' } },
        },
        response: {
          200: { description: 'Audio', content: Object.fromEntries(['audio/wav', 'audio/mpeg', 'audio/flac', 'audio/ogg'].map((t) => [t, { schema: { type: 'string', format: 'binary' } }])) },
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const { bytes, contentType } = await voices.audio(request.params.id, request.query.variant ?? 'normalized', request.principal.tenant);
      return reply.type(contentType).header('content-length', bytes.length).send(bytes);
    },
  );

  app.patch<{ Params: { id: string }; Body: VoicePatch }>(
    '/v1/voices/:id',
    {
      schema: {
        summary: 'Rename a library voice or correct its transcript, language or gender',
        tags: ['voices'],
        params: idParams,
        body: patchBodySchema,
        response: { 200: voiceSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => toWire(await voices.update(request.params.id, request.body, request.principal.tenant)),
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/voices/:id',
    {
      schema: {
        summary: 'Delete a library voice and its recordings',
        tags: ['voices'],
        params: idParams,
        response: { 204: { description: 'Deleted', type: 'null' }, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      await voices.delete(request.params.id, request.principal.tenant);
      return reply.status(204).send();
    },
  );
};

/**
 * Reads the whole form: text fields into a body for the route schema (which then reports
 * missing, unknown and malformed fields as everywhere else), the one file into a Buffer.
 * Size limits are the multipart plugin's (413 via the error handler). A problem found on the
 * way is raised only after the rest of the body is read: stopping mid-stream would leave the
 * client blocked sending a body nobody reads.
 */
async function readForm(request: FastifyRequest): Promise<{ body: Record<string, unknown>; file: Buffer }> {
  if (!request.isMultipart()) {
    throw new AppError('unsupported_media_type', 'POST /v1/voices takes multipart/form-data (fields audio, transcript, name, language, gender, consent).');
  }
  const typeProblem = formContentTypeProblem(request.headers['content-type'] ?? '');
  if (typeProblem) throw new AppError('invalid_multipart', typeProblem, { param: 'Content-Type' });
  const body: Record<string, unknown> = {};
  let file: Buffer = Buffer.alloc(0);
  let problem: AppError | null = null;
  for await (const part of request.parts()) {
    const field = part.fieldname;
    let issue: AppError | null = null;
    if (Object.hasOwn(body, field)) issue = new AppError('invalid_value', `Field "${field}" appears more than once.`, { param: field });
    else if (part.type === 'file' && field !== 'audio') issue = new AppError('unknown_field', `Unknown file field "${field}"; the recording goes in "audio".`, { param: field });
    else if (part.type === 'field' && field === 'audio') issue = new AppError('invalid_type', 'Field "audio" must be a file.', { param: 'audio' });
    else if (part.type === 'field' && (part.valueTruncated || part.fieldnameTruncated)) issue = new AppError('invalid_value', `Field "${field}" is too long.`, { param: field });
    problem ??= issue;
    if (part.type === 'file') {
      if (issue || problem) {
        for await (const _chunk of part.file) {
          // discard: the upload is refused anyway
        }
      } else {
        file = await readUpload(part);
        body.audio = part.filename;
      }
    } else if (!issue) {
      body[field] = part.value;
    }
  }
  if (problem) throw problem;
  return { body, file };
}

/**
 * The uploaded file. Past MAX_UPLOAD_BYTES it stops at once: the parser would otherwise read
 * through the rest of the part however long it is; what is left of the body is then read with
 * the bound every early answer has (request-body.ts).
 */
async function readUpload(part: MultipartFile): Promise<Buffer> {
  const tooLarge = () => new AppError('body_too_large', 'The uploaded file is larger than this server accepts (MAX_UPLOAD_BYTES).', { param: 'audio' });
  const chunks: Buffer[] = [];
  for await (const chunk of part.file) {
    if (part.file.truncated) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  if (part.file.truncated) throw tooLarge();
  return Buffer.concat(chunks);
}
