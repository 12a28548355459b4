// A protocol-faithful stand-in for vLLM-Omni's OpenAI-compatible speech server serving
// Fun-CosyVoice3 (vllm-project/vllm-omni docs/serving/speech_api.md and
// entrypoints/openai/tts_adapters/cosyvoice3.py), written from those sources:
//  - POST /v1/audio/speech, JSON {model, input, voice, response_format, speed, stream_format,
//    instructions, ref_audio, ref_text, ...}; errors in OpenAI's {"error": {message, type, code}};
//  - CosyVoice3 needs ref_audio (here a base64 data URL) and ref_text, unless `voice` names an
//    uploaded voice; its adapter ignores `instructions`;
//  - response_format "pcm" is raw s16le at 24 kHz; stream_format "audio" streams it as decoded
//    and needs speed 1.0; without it the whole clip comes at once;
//  - GET /v1/models; a Bearer API key when the server was started with one.
// The model behind it is the espeak stand-in (fakes/model.ts).
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { decodeAudio } from '../../../src/audio/decoders.js';
import { float32ToS16le } from '../../../src/audio/s16le.js';
import { noFaults, StandInModel, type Faults } from './model.js';
import { openAudioStream } from './audio-stream.js';

export const SERVED_MODEL = 'FunAudioLLM/Fun-CosyVoice3-0.5B-2512';

export interface ReceivedSpeechRequest {
  body: Record<string, unknown>;
  authorization: string | undefined;
  prompt?: { sampleRate: number; channels: number; seconds: number };
}

export class FakeOpenAISpeechServer {
  readonly app: FastifyInstance;
  readonly received: ReceivedSpeechRequest[] = [];
  faults: Faults = noFaults();
  url = '';

  constructor(
    private readonly model: StandInModel,
    private readonly options: { apiKey?: string; uploadedVoices?: string[] } = {},
  ) {
    this.app = Fastify({ logger: false, bodyLimit: 20 * 1024 * 1024 });
  }

  async start(port = 0): Promise<string> {
    const error = (reply: FastifyReply, status: number, message: string) =>
      reply.status(status).send({ error: { message, type: status === 401 ? 'AuthenticationError' : 'BadRequestError', param: null, code: status } });
    this.app.addHook('onRequest', async (req, reply) => {
      if (this.options.apiKey && req.headers.authorization !== `Bearer ${this.options.apiKey}`) return error(reply, 401, 'Unauthorized');
    });
    this.app.get('/v1/models', async () => ({ object: 'list', data: [{ id: SERVED_MODEL, object: 'model', owned_by: 'vllm-omni' }] }));
    this.app.post('/v1/audio/speech', async (req, reply) => {
      const body = req.body as Record<string, unknown>;
      const record: ReceivedSpeechRequest = { body, authorization: req.headers.authorization };
      this.received.push(record);
      if (typeof body.input !== 'string' || !body.input.trim()) return error(reply, 400, 'Input text cannot be empty');
      if (body.model !== undefined && body.model !== SERVED_MODEL) return error(reply, 404, `The model \`${String(body.model)}\` does not exist.`);
      const format = body.response_format ?? 'wav';
      if (format !== 'pcm') return error(reply, 400, 'this stand-in speaks only response_format "pcm"');
      const streaming = body.stream_format === 'audio';
      const speed = typeof body.speed === 'number' ? body.speed : 1;
      if (streaming && speed !== 1) return error(reply, 400, 'speed must be 1.0 when streaming');
      const voice = typeof body.voice === 'string' ? body.voice.toLowerCase() : undefined;
      const uploaded = voice !== undefined && (this.options.uploadedVoices ?? []).includes(voice);
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
      }

      const stream = await openAudioStream(reply, this.faults, { 'content-type': 'audio/pcm' });
      if (!stream) return;
      const { raw, gone, dieAfter } = stream;
      const held: Buffer[] = [];
      let pieces = 0;
      try {
        for await (const samples of this.model.speak(body.input, { speed, ...(uploaded ? { speaker: voice } : {}) })) {
          if (gone.aborted) return;
          if (dieAfter !== null && pieces >= dieAfter) {
            raw.destroy();
            return;
          }
          const bytes = float32ToS16le(samples);
          if (streaming) raw.write(bytes);
          else held.push(bytes);
          pieces++;
        }
        if (!streaming) raw.write(Buffer.concat(held));
        raw.end();
      } catch {
        raw.destroy();
      }
    });
    this.url = await this.app.listen({ port, host: '127.0.0.1' });
    return this.url;
  }

  close(): Promise<void> {
    return this.app.close();
  }
}
