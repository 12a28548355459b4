// The studio's calls to the service, typed by schema.d.ts (generated from the service's OpenAPI
// document: npm run api:types). Same origin only; the API key, when there is one, goes as a
// Bearer header. Every failure becomes an ApiError carrying the server's catalog code and message.
import type { components, paths } from './schema.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Operation<P extends keyof paths, M extends Method> = paths[P][M];
type JsonOk<O, S extends number = 200> = O extends { responses: { [K in S]: { content: { 'application/json': infer T } } } } ? T : never;
type Query<O> = O extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
/** The document's routes with an `{id}` in them. */
type IdPath = { [P in keyof paths]: P extends `${string}{id}${string}` ? P : never }[keyof paths];
type JsonBody<O> = O extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
type FormBody<O> = O extends { requestBody?: { content: { 'multipart/form-data': infer B } } } ? B : never;

export type TtsBody = JsonBody<Operation<'/v1/tts', 'post'>>;
export type PreviewResult = JsonOk<Operation<'/v1/tts/preview-text', 'post'>>;
export type Voice = NonNullable<JsonOk<Operation<'/v1/voices', 'get'>>['data']>[number];
export type Instruction = JsonOk<Operation<'/v1/instructions', 'get'>>['data'][number];
export type EngineInfo = JsonOk<Operation<'/v1/engines', 'get'>>['data'][number];
export type ErrorBody = components['schemas']['ErrorBody'];
export type AudioFormat = NonNullable<TtsBody['format']>;
export type LanguageCode = NonNullable<TtsBody['language']>;
export type LexiconEntry = NonNullable<JsonOk<Operation<'/v1/lexicon', 'get'>>['data']>[number];
export type LexiconBody = JsonBody<Operation<'/v1/lexicon', 'post'>>;
export type LexiconLanguage = NonNullable<LexiconBody['language']>;
export type OutputPage = JsonOk<Operation<'/v1/outputs', 'get'>>;
export type StoredOutput = NonNullable<OutputPage['data']>[number];
type OutputQuery = Query<Operation<'/v1/outputs', 'get'>>;
export type PronounceQuery = Query<Operation<'/v1/pronounce', 'get'>>;
export type PronounceResult = JsonOk<Operation<'/v1/pronounce', 'get'>>;
export type PlanResult = JsonOk<Operation<'/v1/plan', 'post'>>;
export type VoicePatch = JsonBody<Operation<'/v1/voices/{id}', 'patch'>>;
/** POST /v1/voices' form fields; `audio` is the file (a Blob here, a file part on the wire). */
export type VoiceForm = Omit<FormBody<Operation<'/v1/voices', 'post'>>, 'audio'> & { audio: Blob; filename: string };

/** One entry of the X-Warnings header (and of a preview's warnings). */
export interface ServerWarning {
  code: string;
  message: string;
  param?: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param: string | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A failed response as an ApiError: the service's catalog code and message, or the status when it is not the service's JSON. */
export async function toApiError(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as Partial<ErrorBody>;
    const error = body.error;
    if (error && typeof error.code === 'string') return new ApiError(res.status, error.code, error.message ?? '', error.param ?? null);
  } catch {
    // Not the service's JSON (a proxy's page): described by the status below.
  }
  return new ApiError(res.status, `http_${res.status}`, `${res.status} ${res.statusText}`.trim(), null);
}

/** The X-Warnings header: a JSON array (ASCII-escaped) of {code, message, param}. */
export function parseWarnings(header: string | null): ServerWarning[] {
  if (!header) return [];
  try {
    const value: unknown = JSON.parse(header);
    return Array.isArray(value) ? value.filter((w): w is ServerWarning => typeof w === 'object' && w !== null && typeof (w as ServerWarning).message === 'string') : [];
  } catch {
    return [];
  }
}

export interface ApiOptions {
  /** The key to send (null: none, e.g. AUTH=off). */
  key: () => string | null;
  /** A 401: the key is missing, unknown or revoked. */
  onUnauthorized: (error: ApiError) => void;
}

export interface Api {
  engines(key?: string): Promise<EngineInfo[]>;
  voices(): Promise<Voice[]>;
  instructions(): Promise<Instruction[]>;
  preview(body: TtsBody, signal?: AbortSignal): Promise<PreviewResult>;
  /** POST /v1/tts: the response as it starts (the body still streaming). */
  speak(body: TtsBody, signal?: AbortSignal): Promise<Response>;
  lexicon(): Promise<LexiconEntry[]>;
  createLexicon(body: LexiconBody): Promise<LexiconEntry>;
  replaceLexicon(id: string, body: LexiconBody): Promise<LexiconEntry>;
  deleteLexicon(id: string): Promise<void>;
  /** One page of the caller's stored outputs, newest first; `after` is the last id of the page before. */
  outputs(query?: OutputQuery): Promise<OutputPage>;
  /**
   * A stored output's audio (GET /v1/outputs/{id}/audio with the key: an <audio src> could not
   * send it). With OBJECT_STORE=s3 the route redirects to the bucket, which the studio's CSP does
   * not let it fetch: callers open such outputs' `url` directly instead.
   */
  outputAudio(id: string): Promise<Blob>;
  deleteOutput(id: string): Promise<void>;
  /** GET /v1/pronounce: the readings of a word or of each character of a Han run. */
  pronounce(query: PronounceQuery, signal?: AbortSignal): Promise<PronounceResult>;
  /** POST /v1/plan: the planner's JSON answer for a workload (validated by the planner, field by field). */
  plan(workload: unknown, signal?: AbortSignal): Promise<PlanResult>;
  /** The same plan as the standalone HTML report `cosyfleet plan --format html` writes. */
  planReport(workload: unknown, signal?: AbortSignal): Promise<Blob>;
  /** POST /v1/voices as multipart/form-data. */
  createVoice(form: VoiceForm): Promise<Voice>;
  /** A library voice's normalized recording (GET /v1/voices/{id}/audio with the key, as a blob). */
  voiceAudio(id: string): Promise<Blob>;
  updateVoice(id: string, patch: VoicePatch): Promise<Voice>;
  deleteVoice(id: string): Promise<void>;
}

export function createApi(options: ApiOptions): Api {
  interface CallInit extends RequestInit {
    /** A key being tried, instead of the tab's. */
    key?: string;
    /** Fills the path's `{id}`. */
    id?: string;
    query?: Readonly<Record<string, string | undefined>>;
  }
  async function call(path: keyof paths, { key: tried, id, query, ...init }: CallInit): Promise<Response> {
    const headers = new Headers(init.headers);
    const key = tried ?? options.key();
    if (key) headers.set('authorization', `Bearer ${key}`);
    const search = new URLSearchParams(Object.entries(query ?? {}).filter((e): e is [string, string] => e[1] !== undefined)).toString();
    const url = (id === undefined ? path : path.replace('{id}', encodeURIComponent(id))) + (search ? `?${search}` : '');
    const res = await fetch(url, { ...init, headers, credentials: 'omit', cache: 'no-store' });
    if (res.ok) return res;
    const error = await toApiError(res);
    // A key being tried is judged by its caller, not taken as the tab's key failing.
    if (res.status === 401 && tried === undefined) options.onUnauthorized(error);
    throw error;
  }
  const post = (path: keyof paths, body: unknown, signal?: AbortSignal) =>
    call(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });
  const planInit = (workload: unknown, format: 'json' | 'html', signal?: AbortSignal): CallInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(workload),
    query: { format },
    ...(signal ? { signal } : {}),
  });
  const withId = (method: 'PUT' | 'PATCH' | 'DELETE' | 'GET', path: IdPath, id: string, body?: unknown) =>
    call(path, { method, id, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });

  return {
    engines: async (key) => ((await (await call('/v1/engines', key === undefined ? {} : { key })).json()) as JsonOk<Operation<'/v1/engines', 'get'>>).data,
    voices: async () => ((await (await call('/v1/voices', {})).json()) as JsonOk<Operation<'/v1/voices', 'get'>>).data ?? [],
    instructions: async () => ((await (await call('/v1/instructions', {})).json()) as JsonOk<Operation<'/v1/instructions', 'get'>>).data,
    preview: async (body, signal) => (await (await post('/v1/tts/preview-text', body, signal)).json()) as PreviewResult,
    speak: (body, signal) => post('/v1/tts', body, signal),
    lexicon: async () => ((await (await call('/v1/lexicon', {})).json()) as JsonOk<Operation<'/v1/lexicon', 'get'>>).data ?? [],
    createLexicon: async (body) => (await (await post('/v1/lexicon', body)).json()) as JsonOk<Operation<'/v1/lexicon', 'post'>, 201>,
    replaceLexicon: async (id, body) => (await (await withId('PUT', '/v1/lexicon/{id}', id, body)).json()) as JsonOk<Operation<'/v1/lexicon/{id}', 'put'>>,
    deleteLexicon: async (id) => void (await withId('DELETE', '/v1/lexicon/{id}', id)),
    pronounce: async (query, signal) => (await (await call('/v1/pronounce', { query, ...(signal ? { signal } : {}) })).json()) as PronounceResult,
    plan: async (workload, signal) => (await (await call('/v1/plan', planInit(workload, 'json', signal))).json()) as PlanResult,
    planReport: async (workload, signal) => (await call('/v1/plan', planInit(workload, 'html', signal))).blob(),
    outputs: async (query = {}) => (await (await call('/v1/outputs', { query })).json()) as OutputPage,
    outputAudio: async (id) => (await withId('GET', '/v1/outputs/{id}/audio', id)).blob(),
    deleteOutput: async (id) => void (await withId('DELETE', '/v1/outputs/{id}', id)),
    createVoice: async ({ audio, filename, ...fields }) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.append(name, value);
      form.append('audio', audio, filename);
      return (await (await call('/v1/voices', { method: 'POST', body: form })).json()) as JsonOk<Operation<'/v1/voices', 'post'>, 201>;
    },
    voiceAudio: async (id) => (await withId('GET', '/v1/voices/{id}/audio', id)).blob(),
    updateVoice: async (id, patch) => (await (await withId('PATCH', '/v1/voices/{id}', id, patch)).json()) as JsonOk<Operation<'/v1/voices/{id}', 'patch'>>,
    deleteVoice: async (id) => void (await withId('DELETE', '/v1/voices/{id}', id)),
  };
}
