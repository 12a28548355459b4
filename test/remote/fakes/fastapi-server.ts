// A protocol-faithful stand-in for the official CosyVoice FastAPI server
// (FunAudioLLM/CosyVoice runtime/python/fastapi/server.py), written from its source:
//  - routes /inference_sft, /inference_zero_shot, /inference_cross_lingual, /inference_instruct2,
//    registered for GET and POST, reading form fields (FastAPI Form()) and the prompt as a file
//    upload (File()); a missing field is FastAPI's 422 {"detail": [{"loc": ["body", name], ...}]};
//  - the answer is a StreamingResponse: status 200 and headers at once, no content type, then raw
//    little-endian int16 PCM at the model's rate, one body piece per text segment the package
//    made (the server calls the model with stream=False);
//  - an exception inside the model after the response started drops the connection (uvicorn);
//  - FastAPI's /openapi.json; no health route.
// The model behind it is the espeak stand-in (fakes/model.ts).
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { decodeAudio } from '../../../src/audio/decoders.js';
import { float32ToS16le } from '../../../src/audio/s16le.js';
import { concatFloat32 } from '../../../src/audio/pcm.js';
import { noFaults, StandInModel, type Faults } from './model.js';
import { openAudioStream } from './audio-stream.js';

export interface ReceivedFastApiRequest {
  route: string;
  method: string;
  fields: Record<string, string>;
  prompt?: { sampleRate: number; channels: number; seconds: number; filename: string };
}

const ROUTES: Record<string, { fields: string[]; file: boolean }> = {
  '/inference_sft': { fields: ['tts_text', 'spk_id'], file: false },
  '/inference_zero_shot': { fields: ['tts_text', 'prompt_text'], file: true },
  '/inference_cross_lingual': { fields: ['tts_text'], file: true },
  '/inference_instruct2': { fields: ['tts_text', 'instruct_text'], file: true },
};

/** The package's frontend cuts text into sentence-sized pieces; each becomes one write. */
function packageSegments(text: string): string[] {
  return text.split(/(?<=[.!?。！？;；,，])\s*/).filter((s) => s.trim().length > 0);
}

export class FakeFastApiServer {
  readonly app: FastifyInstance;
  readonly received: ReceivedFastApiRequest[] = [];
  faults: Faults = noFaults();
  url = '';
  /** TCP connections accepted (keep-alive reuse shows as fewer connections than requests). */
  connections = 0;

  constructor(private readonly model: StandInModel) {
    this.app = Fastify({ logger: false });
  }

  async start(port = 0): Promise<string> {
    await this.app.register(multipart, { limits: { fileSize: 20 * 1024 * 1024 } });
    this.app.get('/openapi.json', async () => ({ openapi: '3.1.0', info: { title: 'FastAPI', version: '0.1.0' }, paths: Object.fromEntries(Object.keys(ROUTES).map((r) => [r, { get: {}, post: {} }])) }));
    for (const route of Object.keys(ROUTES)) {
      this.app.route({ method: ['GET', 'POST'], url: route, handler: (req, reply) => this.handle(route, req, reply) });
    }
    this.app.server.on('connection', () => this.connections++);
    this.url = await this.app.listen({ port, host: '127.0.0.1' });
    return this.url;
  }

  close(): Promise<void> {
    return this.app.close();
  }

  private async handle(route: string, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const spec = ROUTES[route] as { fields: string[]; file: boolean };
    const fields: Record<string, string> = {};
    let file: { filename: string; data: Buffer } | undefined;
    if (req.isMultipart()) {
      for await (const part of req.parts()) {
        if (part.type === 'file') file = { filename: part.filename, data: await part.toBuffer() };
        else fields[part.fieldname] = String(part.value);
      }
    }
    const missing = [...spec.fields.filter((f) => fields[f] === undefined), ...(spec.file && !file ? ['prompt_wav'] : [])];
    if (missing.length > 0) {
      return reply.status(422).send({ detail: missing.map((name) => ({ type: 'missing', loc: ['body', name], msg: 'Field required', input: null })) });
    }
    const record: ReceivedFastApiRequest = { route, method: req.method, fields };
    if (file) {
      // load_wav(prompt_wav.file, 16000): torchaudio reads the upload; anything unreadable is a 500.
      const decoded = await decodeAudio(file.data);
      record.prompt = { sampleRate: decoded.sampleRate, channels: decoded.channels.length, seconds: (decoded.channels[0]?.length ?? 0) / decoded.sampleRate, filename: file.filename };
    }
    this.received.push(record);

    const stream = await openAudioStream(reply, this.faults);
    if (!stream) return;
    const { raw, gone, dieAfter } = stream;
    try {
      const text = fields.tts_text as string;
      const speaker = route === '/inference_sft' ? fields.spk_id : undefined;
      if (speaker !== undefined && !this.model.knowsSpeaker(speaker)) {
        // inference_sft raises KeyError inside the generator: the response is already under way.
        raw.destroy();
        return;
      }
      let pieces = 0;
      for (const segment of packageSegments(text)) {
        const audio: Float32Array[] = [];
        for await (const samples of this.model.speak(segment, speaker === undefined ? {} : { speaker })) {
          if (gone.aborted) return;
          audio.push(samples);
        }
        if (dieAfter !== null && pieces >= dieAfter) {
          raw.destroy();
          return;
        }
        raw.write(float32ToS16le(concatFloat32(audio)));
        pieces++;
      }
      raw.end();
    } catch {
      raw.destroy();
    }
  }
}
