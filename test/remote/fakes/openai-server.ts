// A protocol-faithful stand-in for vLLM-Omni's OpenAI-compatible speech server serving
// Fun-CosyVoice3 (vllm-project/vllm-omni docs/serving/speech_api.md, protocol/audio.py,
// serving_speech.py and tts_adapters/cosyvoice3.py), written from those sources:
//  - POST /v1/audio/speech, JSON {model, input, voice, response_format, speed, stream,
//    stream_format, seed, instructions, ref_audio, ref_text, ...}; fields the server's request
//    model lacks are dropped without a word (pydantic's default); errors in OpenAI's
//    {"error": {message, type, code}};
//  - CosyVoice3 needs ref_audio (here a base64 data URL) and ref_text, unless `voice` names an
//    uploaded voice; its adapter ignores `instructions`;
//  - ref_text: the current adapter (tts_adapters/cosyvoice3.py @1bc42fe) puts "You are a helpful
//    assistant.<|endofprompt|>" in front unless the text holds <|endofprompt|>; older servers
//    (serving_speech.py @01bc417) passed it as is, and the talker then re-speaks the reference
//    before the input (issue #4644) — `spoken` records what the model said;
//  - streaming: current servers (protocol/audio.py @0131cb5) stream raw bytes for
//    stream_format "audio" and answer SSE for stream: true without it; older ones
//    (serving_speech.py @01bc417) stream only for stream: true. Streaming needs speed 1.0;
//    without it the whole clip comes at once. `streamed` records which happened;
//  - seed becomes the talker's sampling seed (serving_speech.py @01bc417); `seed` records the
//    one the model got;
//  - response_format "pcm" is raw s16le at 24 kHz;
//  - GET /v1/models; GET /version (vLLM's version); GET /openapi.json in FastAPI's shape (the
//    request model under components.schemas) unless the server runs --disable-fastapi-docs;
//    a Bearer API key on every route when the server was started with one.
// The model behind it is the espeak stand-in (fakes/model.ts).
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { decodeAudio } from '../../../src/audio/decoders.js';
import { float32ToS16le } from '../../../src/audio/s16le.js';
import { COSYVOICE3_PROMPT_PREFIX, END_OF_PROMPT } from '../../../src/engines/remote/cosyvoice3.js';
import { noFaults, StandInModel, type Faults } from './model.js';
import { openAudioStream } from './audio-stream.js';

export const SERVED_MODEL = 'FunAudioLLM/Fun-CosyVoice3-0.5B-2512';

/** What differs between vLLM-Omni builds, as far as cosyfleet can tell. */
export interface SpeechServerBehaviour {
  /** GET /version's answer, or null for a server without the route. */
  version: string | null;
  /** Serve /openapi.json (FastAPI does unless started with --disable-fastapi-docs). */
  openapi: boolean;
  /** The request model's fields; anything else in a request is dropped. */
  fields: readonly string[];
  /** 'format': stream_format "audio" streams (@0131cb5); 'flag': only stream: true streams (@01bc417). */
  streaming: 'format' | 'flag';
  /** The CosyVoice3 adapter adds the v3 prefix to ref_text lacking <|endofprompt|> (@1bc42fe). */
  prefixesRefText: boolean;
}

/** The request fields of protocol/audio.py @0131cb5 (OpenAICreateSpeechRequest). */
const CURRENT_FIELDS = [
  'input', 'model', 'voice', 'instructions', 'response_format', 'sample_rate', 'speed', 'stream_format', 'stream', 'task_type', 'language',
  'ref_audio', 'ref_text', 'x_vector_only_mode', 'speaker_embedding', 'max_new_tokens', 'seed', 'initial_codec_chunk_frames', 'non_streaming_mode', 'extra_params',
] as const;

// The version strings are placeholders: GET /version answers vLLM's own version, which the
// sources read do not pin to these behaviours.
/** vLLM-Omni as of the newest sources read. */
export const VLLM_OMNI_CURRENT: SpeechServerBehaviour = { version: '0.0.0+current', openapi: true, fields: CURRENT_FIELDS, streaming: 'format', prefixesRefText: true };
/** An earlier vLLM-Omni (serving_speech.py @01bc417): streams only on stream: true, passes ref_text to the talker as it comes. */
export const VLLM_OMNI_STREAM_FLAG: SpeechServerBehaviour = { version: '0.0.0+01bc417', openapi: true, fields: CURRENT_FIELDS, streaming: 'flag', prefixesRefText: false };

export interface ReceivedSpeechRequest {
  /** The JSON body as sent. */
  body: Record<string, unknown>;
  authorization: string | undefined;
  prompt?: { sampleRate: number; channels: number; seconds: number };
  /** The prompt text the talker got (ref_text after the adapter), when cloning. */
  promptText?: string;
  /** What the model spoke. */
  spoken?: string;
  /** Whether the audio left as it was decoded (false: the whole clip at once). */
  streamed?: boolean;
  /** The sampling seed the model got, or null. */
  seed?: number | null;
}

export class FakeOpenAISpeechServer {
  readonly app: FastifyInstance;
  readonly received: ReceivedSpeechRequest[] = [];
  faults: Faults = noFaults();
  url = '';
  private readonly behaviour: SpeechServerBehaviour;

  constructor(
    private readonly model: StandInModel,
    private readonly options: { apiKey?: string; uploadedVoices?: string[]; behaviour?: Partial<SpeechServerBehaviour> } = {},
  ) {
    this.app = Fastify({ logger: false, bodyLimit: 20 * 1024 * 1024 });
    this.behaviour = { ...VLLM_OMNI_CURRENT, ...options.behaviour };
  }

  async start(port = 0): Promise<string> {
    const b = this.behaviour;
    const error = (reply: FastifyReply, status: number, message: string) =>
      reply.status(status).send({ error: { message, type: status === 401 ? 'AuthenticationError' : 'BadRequestError', param: null, code: status } });
    this.app.addHook('onRequest', async (req, reply) => {
      if (this.options.apiKey && req.headers.authorization !== `Bearer ${this.options.apiKey}`) return error(reply, 401, 'Unauthorized');
    });
    const notFound = (reply: FastifyReply) => reply.status(404).send({ detail: 'Not Found' });
    this.app.get('/v1/models', async () => ({ object: 'list', data: [{ id: SERVED_MODEL, object: 'model', owned_by: 'vllm-omni' }] }));
    this.app.get('/version', async (_req, reply) => (b.version === null ? notFound(reply) : { version: b.version }));
    this.app.get('/openapi.json', async (_req, reply) => (b.openapi ? this.openapi() : notFound(reply)));
    this.app.post('/v1/audio/speech', async (req, reply) => {
      const sent = req.body as Record<string, unknown>;
      const record: ReceivedSpeechRequest = { body: sent, authorization: req.headers.authorization };
      this.received.push(record);
      const body = Object.fromEntries(Object.entries(sent).filter(([k]) => b.fields.includes(k)));
      if (typeof body.input !== 'string' || !body.input.trim()) return error(reply, 400, 'Input text cannot be empty');
      if (body.model !== undefined && body.model !== SERVED_MODEL) return error(reply, 404, `The model \`${String(body.model)}\` does not exist.`);
      const format = body.response_format ?? 'wav';
      const speed = typeof body.speed === 'number' ? body.speed : 1;
      const raw = b.streaming === 'format' ? body.stream_format === 'audio' : body.stream === true;
      const sse = b.streaming === 'format' && (body.stream === true || body.stream_format === 'sse') && !raw;
      if (raw || sse) {
        if (format !== 'pcm' && format !== 'wav') return error(reply, 400, "Streaming requires response_format='pcm' or 'wav'.");
        if (speed !== 1) return error(reply, 400, 'Streaming is not supported with speed adjustment. Use stream=False or remove the speed parameter.');
      }
      if (format !== 'pcm') return error(reply, 400, 'this stand-in speaks only response_format "pcm"');
      const voice = typeof body.voice === 'string' ? body.voice.toLowerCase() : undefined;
      const uploaded = voice !== undefined && (this.options.uploadedVoices ?? []).includes(voice);
      let spoken = body.input;
      if (!uploaded) {
        if (body.ref_audio === undefined || body.ref_audio === null) return error(reply, 400, "CosyVoice3 requires 'ref_audio' (reference audio for voice cloning)");
        const m = /^data:audio\/[a-z0-9.+-]+;base64,(.+)$/i.exec(String(body.ref_audio));
        if (!m) return error(reply, 400, 'ref_audio must be an http(s) URL, a base64 data URL or a file:// URI');
        let decoded;
        try {
          decoded = await decodeAudio(Buffer.from(m[1] as string, 'base64'));
        } catch (err) {
          return error(reply, 400, `Failed to load ref_audio: ${(err as Error).message}`);
        }
        const seconds = (decoded.channels[0]?.length ?? 0) / decoded.sampleRate;
        if (seconds < 1 || seconds > 30) return error(reply, 400, `ref_audio must be 1-30 s, got ${seconds.toFixed(1)} s`);
        record.prompt = { sampleRate: decoded.sampleRate, channels: decoded.channels.length, seconds };
        if (typeof body.ref_text !== 'string' || !body.ref_text.trim()) return error(reply, 400, "CosyVoice3 requires 'ref_text' (transcript of the reference audio)");
        const promptText = b.prefixesRefText && !body.ref_text.includes(END_OF_PROMPT) ? `${COSYVOICE3_PROMPT_PREFIX}${body.ref_text}` : body.ref_text;
        record.promptText = promptText;
        // Without the end-of-prompt marker the talker reads the reference transcript aloud first.
        if (!promptText.includes(END_OF_PROMPT)) spoken = `${promptText} ${body.input}`;
      }
      if (sse) {
        record.spoken = spoken;
        record.streamed = true;
        return reply.type('text/event-stream').send('event: speech.audio.done\ndata: {"type":"speech.audio.done"}\n\n');
      }
      record.spoken = spoken;
      record.streamed = raw;
      record.seed = typeof body.seed === 'number' ? body.seed : null;

      const stream = await openAudioStream(reply, this.faults, { 'content-type': 'audio/pcm' });
      if (!stream) return;
      const { raw: out, gone, dieAfter } = stream;
      const held: Buffer[] = [];
      let pieces = 0;
      try {
        for await (const samples of this.model.speak(spoken, { speed, ...(uploaded ? { speaker: voice } : {}) })) {
          if (gone.aborted) return;
          if (dieAfter !== null && pieces >= dieAfter) {
            out.destroy();
            return;
          }
          const bytes = float32ToS16le(samples);
          if (raw) out.write(bytes);
          else held.push(bytes);
          pieces++;
        }
        if (!raw) out.write(Buffer.concat(held));
        out.end();
      } catch {
        out.destroy();
      }
    });
    this.url = await this.app.listen({ port, host: '127.0.0.1' });
    return this.url;
  }

  close(): Promise<void> {
    return this.app.close();
  }

  /** The slice of FastAPI's document cosyfleet reads: the speech route's body, by $ref. */
  private openapi(): object {
    return {
      openapi: '3.1.0',
      info: { title: 'FastAPI', version: '0.1.0' },
      paths: {
        '/v1/models': { get: { summary: 'Show Available Models', responses: { '200': { description: 'Successful Response' } } } },
        '/v1/audio/speech': {
          post: {
            summary: 'Create Speech',
            requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/OpenAICreateSpeechRequest' } } }, required: true },
            responses: { '200': { description: 'Successful Response', content: { 'audio/*': {} } } },
          },
        },
      },
      components: {
        schemas: {
          OpenAICreateSpeechRequest: {
            type: 'object',
            title: 'OpenAICreateSpeechRequest',
            required: ['input'],
            properties: Object.fromEntries(this.behaviour.fields.map((f) => [f, { title: f }])),
          },
        },
      },
    };
  }
}
