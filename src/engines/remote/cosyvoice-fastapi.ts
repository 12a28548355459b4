// Engine `cosyvoice-fastapi`: cosyfleet in front of a CosyVoice FastAPI server: the official
// runtime/python/fastapi/server.py ("upstream's") or cosyfleet's patched one with the same routes
// (workers/cosyvoice/fastapi_server.py). The routes take form fields and the prompt recording as
// a file upload, run the model with stream=False and answer with raw little-endian int16 PCM at
// the model's rate, no header, one body piece per sentence the package made:
//   preset (a speaker saved in the model)  -> /inference_sft           tts_text, spk_id
//   clone (and a reference preset)         -> /inference_zero_shot     tts_text, prompt_text, prompt_wav
//   cross_lingual                          -> /inference_cross_lingual tts_text, prompt_wav
//   instruct                               -> /inference_instruct2     tts_text, instruct_text, prompt_wav
// Neither server takes speed or seed (warnings). The probe reads /openapi.json, which tells the
// two apart (the patched server names itself in `x-cosyfleet`; upstream's is FastAPI's default):
// - upstream's server hands the package a tensor where CosyVoice3's frontend wants a file
//   (FunAudioLLM/CosyVoice issue #1805): every prompt route answers 200 and then dies. So with it
//   the prompt modes are refused before anything is sent, and say why. Its /inference_sft does
//   not add CosyVoice3's prompt prefix, which the LLM at HEAD asserts: cosyfleet sends the text
//   prefixed, so the package skips its text normalizer (a warning says so).
// - the patched server checks and stores the prompt as a file, and prefixes after normalizing:
//   text goes to it as written. Its /health says when the model is loaded.
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { parseHttpBase } from '../../config/remote.js';
import { AppError } from '../../errors/app-error.js';
import { type EngineCapabilities, type EngineHealth, type SynthesisRequest, type SynthesisWarning } from '../engine.js';
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

/** Which server answers; null until a probe has read its /openapi.json. */
export type FastApiServerKind = 'patched' | 'upstream';

export const UPSTREAM_ISSUE = 'FunAudioLLM/CosyVoice issue #1805';
export const PATCHED_SERVER = 'workers/cosyvoice/fastapi_server.py';
/** Completes "the server is …". */
const UPSTREAM_LIMIT = `upstream's runtime/python/fastapi/server.py, which cannot send prompt audio to CosyVoice3 (${UPSTREAM_ISSUE}): only saved speakers (preset) work; run cosyfleet's patched server (${PATCHED_SERVER}) for clone, cross_lingual, instruct and reference voices.`;
// Upstream's FastAPI document is a few kB; anything longer is not worth reading to tell the two apart.
const OPENAPI_MAX_BYTES = 256 * 1024;

/** The patched server's /openapi.json carries `x-cosyfleet: {version}`; anything else is upstream's. */
export function identifyServer(openapi: string): FastApiServerKind {
  try {
    const doc = JSON.parse(openapi) as { 'x-cosyfleet'?: { version?: unknown } };
    const version = doc['x-cosyfleet']?.version;
    return typeof version === 'number' && version >= 1 ? 'patched' : 'upstream';
  } catch {
    return 'upstream';
  }
}

export class CosyVoiceFastApiEngine extends RemoteEngine {
  private readonly http: HttpClient;
  private readonly full: EngineCapabilities;
  private readonly presetOnly: EngineCapabilities;
  private server: FastApiServerKind | null = null;

  constructor(options: CosyVoiceFastApiOptions) {
    const base = parseHttpBase(options.url);
    super(options.remote, options.speakers, `CosyVoice FastAPI server ${base.display}`);
    this.http = new HttpClient(base, options.remote.timeouts, options.remote.concurrency + 1);
    const facts = {
      name: 'cosyvoice-fastapi',
      // The servers run the model with stream=False: a segment's audio arrives once it is made.
      streaming: false,
      sampleRate: options.sampleRate,
      concurrency: options.remote.concurrency,
      speed: { min: 0.5, max: 2 },
      license: 'Apache-2.0 (CosyVoice and Fun-CosyVoice3 weights, served by the remote)',
    };
    const describe = `CosyVoice3 behind a CosyVoice FastAPI server at ${base.display}: form posts to /inference_*, raw int16 PCM back.`;
    // Until the first probe the server is unknown: every mode, refused later if need be.
    this.full = cosyVoice3Capabilities({ ...facts, description: describe, modes: ['preset', 'clone', 'cross_lingual', 'instruct'] });
    this.presetOnly = cosyVoice3Capabilities({ ...facts, description: `${describe} The server is ${UPSTREAM_LIMIT}`, modes: ['preset'] });
  }

  /** Follows the server the last probe found: upstream's offers only preset. */
  get capabilities(): EngineCapabilities {
    return this.server === 'upstream' ? this.presetOnly : this.full;
  }

  /** Ready with upstream's server, with a detail saying what it cannot do (doctor shows it as a warning). */
  override health(): EngineHealth {
    const health = super.health();
    return health.ready && this.server === 'upstream' ? { ready: true, detail: `${this.describe} is ${UPSTREAM_LIMIT}` } : health;
  }

  protected async probe(signal: AbortSignal): Promise<void> {
    const timeouts = { firstByteMs: this.settings.timeouts.connectMs * 2 };
    // FastAPI serves its OpenAPI document unless disabled; any answer below 500 means the server is up.
    const res = await this.http.request({ method: 'GET', path: '/openapi.json', signal, timeouts });
    const doc = await res.text(OPENAPI_MAX_BYTES);
    if (res.status >= 500) throw new RemoteFailure('status', `GET /openapi.json answered HTTP ${res.status}`, true);
    const kind = res.status === 200 ? identifyServer(doc) : 'upstream';
    if (kind !== this.server) {
      if (kind === 'upstream') this.settings.log?.warn({ engine: 'cosyvoice-fastapi', server: this.describe }, `the server is ${UPSTREAM_LIMIT}`);
      else this.settings.log?.info({ engine: 'cosyvoice-fastapi', server: this.describe }, `the server is cosyfleet's patched server (${PATCHED_SERVER})`);
    }
    this.server = kind;
    if (kind === 'upstream') return;
    // The patched server listens while the model loads; /health says when it can take work.
    const health = await this.http.request({ method: 'GET', path: '/health', signal, timeouts });
    const body = await health.text(4096);
    if (health.status !== 200) throw new RemoteFailure('status', `GET /health answered HTTP ${health.status}: ${scrub(body)}`, true);
  }

  protected prepare(request: SynthesisRequest, speaker: Speaker): RemoteJob {
    this.refuseOnUpstream(request, speaker);
    const warnings = this.commonChecks(request);
    if (request.speed !== 1) {
      warnings.push({ code: 'speed_ignored', message: 'The CosyVoice FastAPI server has no speed parameter; spoke at speed 1.0.', param: 'speed' });
    }
    const route = this.route(request, speaker);
    if (this.server === 'upstream') warnings.push(NORMALIZER_SKIPPED);
    return {
      warnings,
      open: (signal) => this.fetchAudio(route, request, speaker, signal),
    };
  }

  protected closeTransport(): void {
    this.http.close();
  }

  /** Upstream's prompt routes answer 200 and then die (#1805): nothing needing prompt audio is sent there. */
  private refuseOnUpstream(request: SynthesisRequest, speaker: Speaker): void {
    if (this.server !== 'upstream' || (speaker.kind === 'named' && request.mode === 'preset')) return;
    const what = speaker.kind === 'prompt' && request.mode === 'preset' ? `Voice "${request.voice}" is a recording spoken by cloning, and the` : `Mode "${request.mode}" needs prompt audio, and the`;
    throw new AppError('unsupported_mode', `${what} cosyvoice-fastapi engine's server is ${UPSTREAM_LIMIT}`, { param: request.mode === 'preset' ? 'voice' : 'mode' });
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
    if (this.server === null) {
      // Not identified yet (the server was down at start): find out before sending anything.
      await this.monitor.poke();
      if (this.server === null) throw new RemoteFailure('unreachable', this.monitor.health().detail ?? 'GET /openapi.json got no answer', true);
    }
    this.refuseOnUpstream(request, speaker);
    const fields: Record<string, string | FormFile> = {};
    if (speaker.kind === 'named') {
      // The patched server prefixes after normalizing; upstream's needs the prefix from here.
      fields.tts_text = this.server === 'upstream' ? withPromptPrefix(request.text) : request.text;
      fields.spk_id = speaker.id;
    } else {
      const prompt = speaker.prompt;
      const wav: FormFile = { filename: 'prompt.wav', contentType: 'audio/wav', data: (await this.promptAudio(prompt)).wav };
      if (route === '/inference_zero_shot') Object.assign(fields, { tts_text: request.text, prompt_text: withPromptPrefix(prompt.transcript), prompt_wav: wav });
      else if (route === '/inference_cross_lingual') Object.assign(fields, { tts_text: request.text, prompt_wav: wav });
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

const NORMALIZER_SKIPPED: SynthesisWarning = {
  code: 'text_normalization_skipped',
  message: `Upstream's FastAPI server does not add CosyVoice3's prompt prefix, so cosyfleet sends it with the text, and the package then skips its text normalizer (numbers, dates and symbols are read as written). ${PATCHED_SERVER} normalizes first.`,
};

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
