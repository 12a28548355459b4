// Engine `cosyvoice-fastapi`: cosyfleet in front of the official CosyVoice FastAPI server
// (runtime/python/fastapi/server.py). Its routes take form fields and the prompt recording as a
// file upload, run the model with stream=False and answer with raw little-endian int16 PCM at the
// model's rate, no header, one body piece per sentence the package made:
//   preset (a speaker saved in the model)  -> /inference_sft           tts_text, spk_id
//   clone (and a reference preset)         -> /inference_zero_shot     tts_text, prompt_text, prompt_wav
//   cross_lingual                          -> /inference_cross_lingual tts_text, prompt_wav
//   instruct                               -> /inference_instruct2     tts_text, instruct_text, prompt_wav
// The server has no health route, no speed and no seed: cosyfleet probes FastAPI's /openapi.json,
// and warns about speed and seed. CosyVoice3 wants its system prompt in front of the prompt text
// and the cross-lingual text (the official example.py), which the server does not add.
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { parseHttpBase } from '../../config/remote.js';
import { AppError } from '../../errors/app-error.js';
import { type EngineCapabilities, type SynthesisRequest } from '../engine.js';
import { RemoteEngine, remoteSettings, type RemoteJob, type RemoteSettings, type Speaker } from './base.js';
import { cosyVoice3Capabilities, withPromptPrefix } from './cosyvoice3.js';
import { RemoteFailure, scrub } from './failure.js';
import { HttpClient, type HttpResponse } from './http.js';
import { multipartBody, type FormFile } from './multipart.js';
import { S16leDecoder } from './pcm.js';

export interface CosyVoiceFastApiOptions {
  readonly url: string;
  readonly sampleRate: number;
  readonly speakers: readonly string[];
  readonly remote: RemoteSettings;
}

export function cosyVoiceFastApiOptions(config: Config, log?: Logger): CosyVoiceFastApiOptions {
  return { url: config.cosyvoiceUrl, sampleRate: config.cosyvoiceSampleRate, speakers: config.cosyvoiceSpeakers, remote: remoteSettings(config, log) };
}

type Route = '/inference_sft' | '/inference_zero_shot' | '/inference_cross_lingual' | '/inference_instruct2';

export class CosyVoiceFastApiEngine extends RemoteEngine {
  readonly capabilities: EngineCapabilities;
  private readonly http: HttpClient;

  constructor(options: CosyVoiceFastApiOptions) {
    const base = parseHttpBase(options.url);
    super(options.remote, options.speakers, `CosyVoice FastAPI server ${base.display}`);
    this.http = new HttpClient(base, options.remote.timeouts, options.remote.concurrency + 1);
    this.capabilities = cosyVoice3Capabilities({
      name: 'cosyvoice-fastapi',
      description: `CosyVoice3 behind the official FastAPI server at ${base.display}: form posts to /inference_*, raw int16 PCM back.`,
      modes: ['preset', 'clone', 'cross_lingual', 'instruct'],
      // The server runs the model with stream=False: a segment's audio arrives once it is made.
      streaming: false,
      sampleRate: options.sampleRate,
      concurrency: options.remote.concurrency,
      speed: { min: 0.5, max: 2 },
      license: 'Apache-2.0 (CosyVoice and Fun-CosyVoice3 weights, served by the remote)',
    });
  }

  protected async probe(signal: AbortSignal): Promise<void> {
    // FastAPI serves its OpenAPI document unless disabled; any answer below 500 means the server is up.
    const res = await this.http.request({ method: 'GET', path: '/openapi.json', signal, timeouts: { firstByteMs: this.settings.timeouts.connectMs * 2 } });
    await res.text(1);
    if (res.status >= 500) throw new RemoteFailure('status', `GET /openapi.json answered HTTP ${res.status}`, true);
  }

  protected prepare(request: SynthesisRequest, speaker: Speaker): RemoteJob {
    const warnings = this.commonChecks(request);
    if (request.speed !== 1) {
      warnings.push({ code: 'speed_ignored', message: 'The official CosyVoice FastAPI server has no speed parameter; spoke at speed 1.0.', param: 'speed' });
    }
    const route = this.route(request, speaker);
    return {
      warnings,
      open: (signal) => this.fetchAudio(route, request, speaker, signal),
    };
  }

  protected closeTransport(): void {
    this.http.close();
  }

  private route(request: SynthesisRequest, speaker: Speaker): Route {
    if (speaker.kind === 'named') {
      if (request.mode !== 'preset') throw this.needsPrompt(request.mode, speaker.id);
      return '/inference_sft';
    }
    switch (request.mode) {
      case 'preset':
      case 'clone':
        return '/inference_zero_shot';
      case 'cross_lingual':
        return '/inference_cross_lingual';
      case 'instruct':
        if (!request.instruction) throw this.missingInstruction();
        return '/inference_instruct2';
    }
  }

  private async *fetchAudio(route: Route, request: SynthesisRequest, speaker: Speaker, signal: AbortSignal): AsyncGenerator<Float32Array> {
    const fields: Record<string, string | FormFile> = {};
    if (speaker.kind === 'named') {
      fields.tts_text = request.text;
      fields.spk_id = speaker.id;
    } else {
      const prompt = speaker.prompt;
      const wav: FormFile = { filename: 'prompt.wav', contentType: 'audio/wav', data: (await this.promptAudio(prompt)).wav };
      if (route === '/inference_zero_shot') Object.assign(fields, { tts_text: request.text, prompt_text: withPromptPrefix(prompt.transcript), prompt_wav: wav });
      else if (route === '/inference_cross_lingual') Object.assign(fields, { tts_text: withPromptPrefix(request.text), prompt_wav: wav });
      else Object.assign(fields, { tts_text: request.text, instruct_text: request.instruction?.text ?? '', prompt_wav: wav });
    }
    const form = multipartBody(fields);
    const res = await this.http.request({ method: 'POST', path: route, headers: { 'content-type': form.contentType }, body: form.body, signal });
    if (res.status !== 200) throw await statusFailure(route, res);
    const decoder = new S16leDecoder();
    for await (const piece of res.body) yield decoder.push(piece);
    if (decoder.partial) throw new RemoteFailure('protocol', 'the PCM stream ended in the middle of a sample', true);
  }

  private missingInstruction(): AppError {
    return new AppError('missing_field', 'mode "instruct" needs an instruction in "instruct".', { param: 'instruct' });
  }
}

async function statusFailure(route: string, res: HttpResponse): Promise<RemoteFailure> {
  const text = await res.text(4096).catch(() => '');
  let detail = text;
  try {
    // FastAPI's validation errors: {"detail": [{"loc": [...], "msg": "..."}]} or {"detail": "..."}.
    const parsed = JSON.parse(text) as { detail?: unknown };
    if (typeof parsed.detail === 'string') detail = parsed.detail;
    else if (Array.isArray(parsed.detail)) detail = parsed.detail.map((d: { loc?: unknown[]; msg?: string }) => `${(d.loc ?? []).join('.')}: ${d.msg ?? ''}`).join('; ');
  } catch {
    // not JSON: keep the text
  }
  const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
  return new RemoteFailure('status', `POST ${route} answered HTTP ${res.status}${detail ? `: ${scrub(detail)}` : ''}`, retryable);
}
