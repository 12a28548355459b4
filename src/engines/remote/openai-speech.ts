// Engine `openai-speech`: cosyfleet in front of any OpenAI-compatible `POST /v1/audio/speech`
// server; vLLM-Omni and SGLang-Omni serve Fun-CosyVoice3 this way. JSON in
// ({model, input, voice, response_format: "pcm", stream, stream_format: "audio", speed, seed,
// instructions}), raw s16le PCM out. Cloned voices use the servers' extension fields `ref_audio`
// (a base64 WAV data URL) and `ref_text`: vLLM-Omni's CosyVoice3 adapter requires both and has no
// preset voices of its own, so presets are the configured names (e.g. voices uploaded to the
// server) and reference recordings. The API key goes in the Authorization header and nowhere else.
//
// What vLLM-Omni does with these fields (vllm-project/vllm-omni; read at the commits named):
//  - ref_text: tts_adapters/cosyvoice3.py @1bc42fe adds "You are a helpful assistant.<|endofprompt|>"
//    unless the text already holds <|endofprompt|> (issue #4644: without it the talker re-speaks
//    the reference); serving_speech.py @01bc417 passed ref_text as is. So ref_text is sent with
//    the prefix already in place (withPromptPrefix), which both read the same way.
//  - streaming: serving_speech.py @01bc417 streams only when `stream` is true (and refuses speed
//    != 1 then); protocol/audio.py @0131cb5 streams raw bytes for stream_format "audio" and
//    turns stream: true alone into SSE events. `stream: true` + `stream_format: "audio"` is raw
//    PCM as it is decoded on both; at another speed neither is sent (the clip comes whole).
//  - seed: @01bc417 sets it as the talker's sampling seed; pydantic drops fields a server's
//    request model lacks without a word.
// So probe() reads what the server is: GET /version (vLLM's version on vLLM-Omni) and the
// request fields of /v1/audio/speech from GET /openapi.json (FastAPI publishes it unless
// started with --disable-fastapi-docs). An option the server lacks comes back as a warning and
// in health()'s detail and the description; a server that publishes no schema gets what
// vLLM-Omni takes, with the seed marked as unverified.
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { parseHttpBase, type HttpBase } from '../../config/remote.js';
import { type EngineCapabilities, type EngineHealth, type SynthesisMode, type SynthesisRequest, type SynthesisWarning } from '../engine.js';
import { AppError } from '../../errors/app-error.js';
import { RemoteEngine, remoteSettings, type RemoteJob, type RemoteSettings, type Speaker } from './base.js';
import { cosyVoice3Capabilities, plainInstruction, refuseUnsupported, withPromptPrefix } from './cosyvoice3.js';
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

/** The server's root, where FastAPI serves /openapi.json and vLLM /version. */
function rootOf(base: HttpBase): HttpBase {
  const path = base.path.replace(/\/v1$/, '');
  return { ...base, path, display: base.display.replace(/\/v1$/, '') };
}

/** What probe() learned about the server. */
export interface SpeechServerFacts {
  /** `version` from GET /version (vLLM's own version on vLLM-Omni), or null without one. */
  readonly version: string | null;
  /** Request fields of POST …/audio/speech from GET /openapi.json, or null when it publishes none. */
  readonly fields: ReadonlySet<string> | null;
}

/** The fields cosyfleet may send, and what it loses when the server lacks one. */
const OPTIONAL_FIELDS = ['stream', 'stream_format', 'speed', 'seed', 'ref_audio', 'ref_text', 'instructions'] as const;

const OPENAPI_MAX_BYTES = 16 * 1024 * 1024;

/** The request body's property names for the speech route of an OpenAPI document, or null. */
export function speechRequestFields(doc: unknown): Set<string> | null {
  if (!doc || typeof doc !== 'object') return null;
  const { paths, components } = doc as { paths?: Record<string, { post?: unknown }>; components?: { schemas?: Record<string, unknown> } };
  if (!paths || typeof paths !== 'object') return null;
  // Behind a proxy the document keeps the server's own paths, so match the route by its tail.
  const key = '/v1/audio/speech' in paths ? '/v1/audio/speech' : Object.keys(paths).find((p) => p.endsWith('/audio/speech'));
  const post = key ? (paths[key]?.post as { requestBody?: { content?: Record<string, { schema?: unknown }> } } | undefined) : undefined;
  let schema = post?.requestBody?.content?.['application/json']?.schema as { $ref?: string; properties?: Record<string, unknown>; allOf?: unknown[] } | undefined;
  for (let hops = 0; schema && hops < 8; hops++) {
    if (schema.properties && typeof schema.properties === 'object') return new Set(Object.keys(schema.properties));
    const ref = schema.$ref ?? (schema.allOf?.length === 1 ? (schema.allOf[0] as { $ref?: string }).$ref : undefined);
    const name = ref?.startsWith('#/components/schemas/') ? ref.slice('#/components/schemas/'.length) : undefined;
    schema = name ? (components?.schemas?.[name] as typeof schema) : undefined;
  }
  return null;
}

export class OpenAISpeechEngine extends RemoteEngine {
  private caps: EngineCapabilities;
  private readonly baseDescription: string;
  private readonly http: HttpClient;
  private readonly root: HttpClient;
  private readonly rootDisplay: string;
  private readonly secrets: string[];
  /** Null until a probe succeeds, and again after one fails (the server may come back upgraded). */
  private facts: SpeechServerFacts | null = null;

  constructor(private readonly options: OpenAISpeechOptions) {
    const base = withV1(parseHttpBase(options.url));
    super(options.remote, options.voices, `OpenAI-compatible speech server ${base.display}`);
    this.http = new HttpClient(base, options.remote.timeouts, options.remote.concurrency + 1);
    const root = rootOf(base);
    this.root = new HttpClient(root, options.remote.timeouts, 1);
    this.rootDisplay = root.display;
    this.secrets = options.apiKey ? [options.apiKey] : [];
    const modes: SynthesisMode[] = ['preset', 'clone'];
    if (options.instruct) modes.push('instruct');
    this.baseDescription = `${options.model} behind the OpenAI-compatible speech API at ${base.display} (raw PCM; cloning through ref_audio/ref_text).`;
    this.caps = cosyVoice3Capabilities({
      name: 'openai-speech',
      description: this.baseDescription,
      modes,
      streaming: true,
      sampleRate: options.sampleRate,
      concurrency: options.remote.concurrency,
      speed: { min: 0.25, max: 4 },
      license: 'depends on the remote server and model (Fun-CosyVoice3: Apache-2.0)',
    });
  }

  get capabilities(): EngineCapabilities {
    return this.caps;
  }

  /** What the last successful probe found (null before one). */
  get server(): SpeechServerFacts | null {
    return this.facts;
  }

  /** Ready with a detail when the server lacks something cosyfleet would send (as `cosyfleet doctor` warns); the description always says what it is. */
  override health(): EngineHealth {
    const health = super.health();
    return health.ready && this.facts && this.lacks(this.facts) ? { ready: true, detail: this.describeFacts(this.facts) } : health;
  }

  private lacks(facts: SpeechServerFacts): boolean {
    return !facts.fields || OPTIONAL_FIELDS.some((f) => !facts.fields?.has(f));
  }

  protected async probe(signal: AbortSignal): Promise<void> {
    try {
      const res = await this.http.request({ method: 'GET', path: '/models', headers: this.authorization(), signal, timeouts: { firstByteMs: this.settings.timeouts.connectMs * 2 } });
      await res.text(1);
      if (res.status === 401 || res.status === 403) throw new RemoteFailure('status', `GET /models answered HTTP ${res.status}: the API key (OPENAI_SPEECH_API_KEY) was refused`, false);
      if (res.status >= 500) throw new RemoteFailure('status', `GET /models answered HTTP ${res.status}`, true);
      if (!this.facts) this.learn(await this.discover(signal));
    } catch (err) {
      this.facts = null;
      throw err;
    }
  }

  protected prepare(request: SynthesisRequest, speaker: Speaker): RemoteJob {
    refuseUnsupported(this.capabilities, request);
    const warnings: SynthesisWarning[] = [];
    if (request.mode === 'instruct' && !request.instruction) {
      throw new AppError('missing_field', 'mode "instruct" needs an instruction in "instruct".', { param: 'instruct' });
    }
    if (request.mode === 'clone' && speaker.kind === 'named') throw this.needsPrompt(request.mode, speaker.id);
    const takes = (field: (typeof OPTIONAL_FIELDS)[number]): boolean | null => (this.facts?.fields ? this.facts.fields.has(field) : null);
    if (speaker.kind === 'prompt' && (takes('ref_audio') === false || takes('ref_text') === false)) {
      throw new AppError(
        'invalid_value',
        `The server at ${this.rootDisplay} takes no ref_audio/ref_text (its /openapi.json declares no such fields), so it cannot speak cloned voices; "${request.voice}" is one. Use a voice it knows by name (OPENAI_SPEECH_VOICES).`,
        { param: 'voice' },
      );
    }
    const body: Record<string, unknown> = { model: this.options.model, input: request.text, response_format: 'pcm' };
    if (speaker.kind === 'named') body.voice = speaker.id;
    if (request.speed !== 1) {
      if (takes('speed') === false) warnings.push({ code: 'speed_ignored', message: `The server at ${this.rootDisplay} declares no speed field; spoke at speed 1.0.`, param: 'speed' });
      else body.speed = request.speed;
    } else {
      // vLLM-Omni streams only at speed 1. `stream` alone would mean SSE on servers that have stream_format.
      const format = takes('stream_format');
      if (format !== false) body.stream_format = 'audio';
      if (format !== false && takes('stream') !== false) body.stream = true;
    }
    if (request.seed !== undefined) {
      const seed = takes('seed');
      if (seed === false) {
        warnings.push({ code: 'seed_ignored', message: `The server at ${this.rootDisplay} declares no seed field (its /openapi.json); seed has no effect.`, param: 'seed' });
      } else {
        body.seed = request.seed;
        if (seed === null) {
          warnings.push({ code: 'seed_not_reproducible', message: `The server at ${this.rootDisplay} publishes no request schema (/openapi.json), so whether it honours seed is unknown; seed was sent.`, param: 'seed' });
        }
      }
    }
    if (request.mode === 'instruct' && request.instruction) {
      if (takes('instructions') === false) warnings.push({ code: 'instructions_ignored', message: `The server at ${this.rootDisplay} declares no instructions field; the instruction has no effect.`, param: 'instruct' });
      else body.instructions = plainInstruction(request.instruction.text);
    }
    return {
      warnings,
      open: (signal) => this.fetchAudio(body, speaker, signal),
    };
  }

  protected closeTransport(): void {
    this.http.close();
    this.root.close();
  }

  private authorization(): Record<string, string> {
    return this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {};
  }

  /** GET /version and /openapi.json; an answer that is not there (404, not JSON) is "unknown", a server that stops answering fails the probe. */
  private async discover(signal: AbortSignal): Promise<SpeechServerFacts> {
    const json = async (path: string, maxBytes: number): Promise<unknown> => {
      const res = await this.root.request({ method: 'GET', path, headers: { accept: 'application/json', ...this.authorization() }, signal });
      const text = await res.text(maxBytes);
      if (res.status !== 200) return null;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return null;
      }
    };
    const version = ((await json('/version', 4096)) as { version?: unknown } | null)?.version;
    const fields = speechRequestFields(await json('/openapi.json', OPENAPI_MAX_BYTES));
    return { version: typeof version === 'string' ? scrub(version).slice(0, 64) : null, fields };
  }

  private learn(facts: SpeechServerFacts): void {
    this.facts = facts;
    const summary = this.describeFacts(facts);
    this.caps = Object.freeze({ ...this.caps, description: `${this.baseDescription} Server: ${summary}` });
    if (this.lacks(facts)) this.settings.log?.warn({ engine: this.caps.name, server: this.rootDisplay, version: facts.version }, `OpenAI-compatible speech server: ${summary}`);
  }

  private describeFacts(facts: SpeechServerFacts): string {
    const version = facts.version ? `version ${facts.version} (GET /version)` : 'no GET /version';
    if (!facts.fields) return `${version}; publishes no request schema (/openapi.json), so stream, stream_format and seed are sent as vLLM-Omni takes them, unverified.`;
    const lacks = OPTIONAL_FIELDS.filter((f) => !facts.fields?.has(f));
    if (lacks.length === 0) return `${version}; takes every field cosyfleet sends (/openapi.json).`;
    const what: Record<(typeof OPTIONAL_FIELDS)[number], string> = {
      stream: 'stream (sent without it)',
      stream_format: 'stream_format (no streaming: each segment comes whole)',
      speed: 'speed (speed_ignored)',
      seed: 'seed (seed_ignored)',
      ref_audio: 'ref_audio (cloned voices refused)',
      ref_text: 'ref_text (cloned voices refused)',
      instructions: 'instructions (instructions_ignored)',
    };
    return `${version}; its /openapi.json lacks ${lacks.map((f) => what[f]).join(', ')}.`;
  }

  private async *fetchAudio(fields: Readonly<Record<string, unknown>>, speaker: Speaker, signal: AbortSignal): AsyncGenerator<Float32Array> {
    const body: Record<string, unknown> = { ...fields };
    if (speaker.kind === 'prompt') {
      // No `voice`: vLLM-Omni would look it up among uploaded voices; the prompt says who speaks.
      const { wav } = await this.promptAudio(speaker.prompt);
      body.ref_audio = `data:audio/wav;base64,${wav.toString('base64')}`;
      body.ref_text = withPromptPrefix(speaker.prompt.transcript);
    }
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
