// A protocol-faithful stand-in for a CosyVoice FastAPI server, in two flavours:
// - `upstream`: the official server (FunAudioLLM/CosyVoice runtime/python/fastapi/server.py at
//   1822c5c and HEAD) as it behaves with Fun-CosyVoice3, written from its source:
//    - routes /inference_sft, /inference_zero_shot, /inference_cross_lingual, /inference_instruct2,
//      registered for GET and POST, reading form fields (FastAPI Form()) and the prompt as a file
//      upload (File()); a missing field is FastAPI's 422 {"detail": [{"loc": ["body", name], ...}]};
//    - the answer is a StreamingResponse: status 200 and headers at once, no content type, then raw
//      little-endian int16 PCM at the model's rate, one body piece per text segment the package
//      made (the server calls the model with stream=False);
//    - an exception inside the model after the response started drops the connection (uvicorn).
//      With CosyVoice3 that is every prompt route: the server decodes the upload with load_wav()
//      and passes the tensor to the package, whose frontend calls load_wav() on it again (issue
//      #1805); and /inference_sft with text lacking `<|endofprompt|>` (HEAD's LLM asserts it in
//      its thread, which leaves no speech tokens to decode);
//    - FastAPI's /openapi.json (info.title "FastAPI"); no health route.
// - `patched`: cosyfleet's workers/cosyvoice/fastapi_server.py as the engine sees it: the same
//   routes, fields and answers, prompt routes that work, text taken as written (the server adds
//   the prefix after normalizing), JSON errors for what it refuses, /openapi.json naming itself
//   in `x-cosyfleet`, /health (503 while `loading`). The real server is tested as a process in
//   test/cosyvoice/fastapi-server.test.ts; here the faults apply as they do upstream.
// The model behind both is the espeak stand-in (fakes/model.ts).
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { decodeAudio } from '../../../src/audio/decoders.js';
import { float32ToS16le } from '../../../src/audio/s16le.js';
import { concatFloat32 } from '../../../src/audio/pcm.js';
import { MODEL_RATE, noFaults, StandInModel, type Faults } from './model.js';
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

/**
 * The package's frontend cuts text into sentence-sized pieces; each becomes one write. Text
 * holding `<|…|>` tokens (the prefixed text sent to upstream's server) skips the frontend whole.
 */
function packageSegments(text: string): string[] {
  if (text.includes('<|') && text.includes('|>')) return [text];
  return text.split(/(?<=[.!?。！？;；,，])\s*/).filter((s) => s.trim().length > 0);
}

export type FastApiFlavour = 'upstream' | 'patched';

const END_OF_PROMPT = '<|endofprompt|>';

export class FakeFastApiServer {
  readonly app: FastifyInstance;
  readonly received: ReceivedFastApiRequest[] = [];
  readonly flavour: FastApiFlavour;
  faults: Faults = noFaults();
  url = '';
  /** TCP connections accepted (keep-alive reuse shows as fewer connections than requests). */
  connections = 0;
  /** Patched flavour: /health answers 503 while true (the model loading). */
  loading = false;

  constructor(
    private readonly model: StandInModel,
    options: { flavour?: FastApiFlavour } = {},
  ) {
    this.app = Fastify({ logger: false });
    this.flavour = options.flavour ?? 'patched';
  }

  async start(port = 0): Promise<string> {
    await this.app.register(multipart, { limits: { fileSize: 20 * 1024 * 1024 } });
    const paths = Object.fromEntries(Object.keys(ROUTES).map((r) => [r, { get: {}, post: {} }]));
    if (this.flavour === 'upstream') {
      this.app.get('/openapi.json', async () => ({ openapi: '3.1.0', info: { title: 'FastAPI', version: '0.1.0' }, paths }));
    } else {
      this.app.get('/openapi.json', async () => ({ openapi: '3.1.0', info: { title: 'cosyfleet patched CosyVoice server', version: '1' }, 'x-cosyfleet': { server: 'workers/cosyvoice/fastapi_server.py', version: 1 }, paths }));
      this.app.get('/health', async (_req, reply) => reply.status(this.loading ? 503 : 200).send({ status: this.loading ? 'loading' : 'ready', sample_rate: MODEL_RATE }));
    }
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
    const text = fields.tts_text as string;
    const speaker = route === '/inference_sft' ? fields.spk_id : undefined;
    if (this.flavour === 'patched' && speaker !== undefined && !this.model.knowsSpeaker(speaker)) {
      return reply.status(400).send({ detail: `unknown spk_id '${speaker}'; the model has: 中文女, 英文男` });
    }

    const stream = await openAudioStream(reply, this.faults);
    if (!stream) return;
    const { raw, gone, dieAfter } = stream;
    try {
      if (this.flavour === 'upstream' && (file || !text.includes(END_OF_PROMPT) || (speaker !== undefined && !this.model.knowsSpeaker(speaker)))) {
        // Inside the package's generator, after the status line: load_wav() of a tensor (#1805),
        // the LLM's `<|endofprompt|>` assert, or inference_sft's KeyError. uvicorn drops the connection.
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
