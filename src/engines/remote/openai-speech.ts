// Engine `openai-speech`: cosyfleet in front of any OpenAI-compatible `POST /v1/audio/speech`
// server; vLLM-Omni and SGLang-Omni serve Fun-CosyVoice3 this way. JSON in
// ({model, input, voice, response_format: "pcm", stream_format: "audio", speed, instructions}),
// raw s16le PCM out. Cloned voices use the servers' extension fields `ref_audio` (a base64 WAV
// data URL) and `ref_text`: vLLM-Omni's CosyVoice3 adapter requires both and has no preset voices
// of its own, so presets are the configured names (e.g. voices uploaded to the server) and
// reference recordings. vLLM-Omni streams only at speed 1, so another speed is sent without
// `stream_format` (the answer then comes whole). The API key goes in the Authorization header
// and nowhere else.
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { parseHttpBase, type HttpBase } from '../../config/remote.js';
import { type EngineCapabilities, type SynthesisMode, type SynthesisRequest } from '../engine.js';
import { AppError } from '../../errors/app-error.js';
import { RemoteEngine, remoteSettings, type RemoteJob, type RemoteSettings, type Speaker } from './base.js';
import { cosyVoice3Capabilities, plainInstruction } from './cosyvoice3.js';
import { RemoteFailure, scrub } from './failure.js';
import { HttpClient, type HttpResponse } from './http.js';
import { S16leDecoder } from './pcm.js';

export interface OpenAISpeechOptions {
  readonly url: string;
  readonly model: string;
  readonly apiKey: string;
  readonly voices: readonly string[];
  readonly sampleRate: number;
  readonly instruct: boolean;
  readonly remote: RemoteSettings;
}

export function openAISpeechOptions(config: Config, log?: Logger): OpenAISpeechOptions {
  return {
    url: config.openaiSpeechUrl,
    model: config.openaiSpeechModel,
    apiKey: config.openaiSpeechApiKey,
    voices: config.openaiSpeechVoices,
    sampleRate: config.openaiSpeechSampleRate,
    instruct: config.openaiSpeechInstruct,
    remote: remoteSettings(config, log),
  };
}

/** OpenAI's base URLs end in /v1 (`http://host:8091/v1`); a bare host gets it added. */
function withV1(base: HttpBase): HttpBase {
  if (/\/v1$/.test(base.path)) return base;
  return { ...base, path: `${base.path}/v1`, display: `${base.display}/v1` };
}

export class OpenAISpeechEngine extends RemoteEngine {
  readonly capabilities: EngineCapabilities;
  private readonly http: HttpClient;
  private readonly secrets: string[];

  constructor(private readonly options: OpenAISpeechOptions) {
    const base = withV1(parseHttpBase(options.url));
    super(options.remote, options.voices, `OpenAI-compatible speech server ${base.display}`);
    this.http = new HttpClient(base, options.remote.timeouts, options.remote.concurrency + 1);
    this.secrets = options.apiKey ? [options.apiKey] : [];
    const modes: SynthesisMode[] = ['preset', 'clone'];
    if (options.instruct) modes.push('instruct');
    this.capabilities = cosyVoice3Capabilities({
      name: 'openai-speech',
      description: `${options.model} behind the OpenAI-compatible speech API at ${base.display} (raw PCM; cloning through ref_audio/ref_text).`,
      modes,
      streaming: true,
      sampleRate: options.sampleRate,
      concurrency: options.remote.concurrency,
      speed: { min: 0.25, max: 4 },
      license: 'depends on the remote server and model (Fun-CosyVoice3: Apache-2.0)',
    });
  }

  protected async probe(signal: AbortSignal): Promise<void> {
    const res = await this.http.request({ method: 'GET', path: '/models', headers: this.authorization(), signal, timeouts: { firstByteMs: this.settings.timeouts.connectMs * 2 } });
    await res.text(1);
    if (res.status === 401 || res.status === 403) throw new RemoteFailure('status', `GET /models answered HTTP ${res.status}: the API key (OPENAI_SPEECH_API_KEY) was refused`, false);
    if (res.status >= 500) throw new RemoteFailure('status', `GET /models answered HTTP ${res.status}`, true);
  }

  protected prepare(request: SynthesisRequest, speaker: Speaker): RemoteJob {
    const warnings = this.commonChecks(request);
    if (request.mode === 'instruct' && !request.instruction) {
      throw new AppError('missing_field', 'mode "instruct" needs an instruction in "instruct".', { param: 'instruct' });
    }
    if (request.mode === 'clone' && speaker.kind === 'named') throw this.needsPrompt(request.mode, speaker.id);
    return {
      warnings,
      open: (signal) => this.fetchAudio(request, speaker, signal),
    };
  }

  protected closeTransport(): void {
    this.http.close();
  }

  private authorization(): Record<string, string> {
    return this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {};
  }

  private async *fetchAudio(request: SynthesisRequest, speaker: Speaker, signal: AbortSignal): AsyncGenerator<Float32Array> {
    const body: Record<string, unknown> = { model: this.options.model, input: request.text, response_format: 'pcm' };
    if (speaker.kind === 'named') body.voice = speaker.id;
    else {
      // No `voice`: vLLM-Omni would look it up among uploaded voices; the prompt says who speaks.
      const { wav } = await this.promptAudio(speaker.prompt);
      body.ref_audio = `data:audio/wav;base64,${wav.toString('base64')}`;
      body.ref_text = speaker.prompt.transcript;
    }
    if (request.speed !== 1) body.speed = request.speed;
    else body.stream_format = 'audio';
    if (request.mode === 'instruct' && request.instruction) body.instructions = plainInstruction(request.instruction.text);
    const res = await this.http.request({
      method: 'POST',
      path: '/audio/speech',
      headers: { 'content-type': 'application/json', accept: 'audio/pcm, application/octet-stream', ...this.authorization() },
      body: Buffer.from(JSON.stringify(body)),
      signal,
    });
    if (res.status !== 200) throw await this.statusFailure(res);
    const type = String(res.headers['content-type'] ?? '');
    if (/^(application\/json|text\/)/i.test(type)) {
      throw new RemoteFailure('protocol', `the server answered ${type} instead of raw PCM: ${scrub(await res.text(2048), this.secrets)}`, false);
    }
    const decoder = new S16leDecoder();
    for await (const piece of res.body) yield decoder.push(piece);
    if (decoder.partial) throw new RemoteFailure('protocol', 'the PCM stream ended in the middle of a sample', true);
  }

  private async statusFailure(res: HttpResponse): Promise<RemoteFailure> {
    const text = await res.text(4096).catch(() => '');
    let detail = text;
    try {
      // OpenAI's shape {"error": {"message"}}; FastAPI-based servers answer {"detail": ...}.
      const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; detail?: unknown; message?: unknown };
      const message = typeof parsed.error === 'object' ? parsed.error?.message : (parsed.error ?? parsed.detail ?? parsed.message);
      if (message !== undefined) detail = typeof message === 'string' ? message : JSON.stringify(message);
    } catch {
      // not JSON: keep the text
    }
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    return new RemoteFailure('status', `POST /audio/speech answered HTTP ${res.status}${detail ? `: ${scrub(detail, this.secrets)}` : ''}`, retryable);
  }
}
