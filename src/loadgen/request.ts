// One synthesis request as bench sends it: the native POST /v1/tts (streamed) or the
// OpenAI-compatible POST /v1/audio/speech in the shape the official `openai` client sends, timed
// from the moment the request is sent to the first audio byte and to the last byte.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import type { LanguageCode } from '../text/language.js';
import { audioMeter, type BenchAudioFormat } from './audio-length.js';
import type { BenchRun } from './types.js';

export type Route = 'tts' | 'openai';

/** Where and how bench talks to the server under test. */
export interface Target {
  /** Server origin (`http://127.0.0.1:8080`), or an OpenAI-style base that ends in `/v1`. */
  url: string;
  route: Route;
  audioFormat: BenchAudioFormat;
  /** Sent as `Authorization: Bearer` (what the official OpenAI client sends). */
  apiKey?: string;
  /** tts: the engine's first voice when omitted; openai: `alloy` when omitted. */
  voice?: string;
  /** openai route only; `tts-1` when omitted. */
  model?: string;
}

export const DEFAULT_OPENAI_MODEL = 'tts-1';
export const DEFAULT_OPENAI_VOICE = 'alloy';

/** The route's path on the server, for reports and the profile's `source`. */
export function routePath(route: Route): string {
  return route === 'tts' ? '/v1/tts' : '/v1/audio/speech';
}

/** How reports and the profile name the target. */
export function targetInfo(t: Target): BenchRun['target'] {
  return {
    url: t.url,
    route: t.route,
    path: routePath(t.route),
    audioFormat: t.audioFormat,
    // The effective values: the OpenAI route always sends a model and a voice.
    ...(t.route === 'openai' ? { voice: t.voice ?? DEFAULT_OPENAI_VOICE, model: t.model ?? DEFAULT_OPENAI_MODEL } : t.voice ? { voice: t.voice } : {}),
  };
}

/** The full request URL: a base ending in /v1 is taken as the API root, as OpenAI clients do. */
export function endpoint(target: Pick<Target, 'url' | 'route'>): string {
  const base = target.url.replace(/\/+$/, '');
  const path = routePath(target.route);
  return /\/v1$/.test(base) ? base + path.slice(3) : base + path;
}

export function requestInit(target: Target, text: string, language: LanguageCode): { method: 'POST'; headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target.apiKey) headers.authorization = `Bearer ${target.apiKey}`;
  if (target.route === 'openai') {
    // The official client's Accept; the route always streams (chunked) what it synthesizes.
    headers.accept = 'application/octet-stream';
    const body = { model: target.model ?? DEFAULT_OPENAI_MODEL, input: text, voice: target.voice ?? DEFAULT_OPENAI_VOICE, response_format: target.audioFormat };
    return { method: 'POST', headers, body: JSON.stringify(body) };
  }
  const body: Record<string, unknown> = { text, language, format: target.audioFormat, stream: true };
  if (target.voice) body.voice = target.voice;
  return { method: 'POST', headers, body: JSON.stringify(body) };
}

export type Outcome = 'ok' | 'http_error' | 'network_error' | 'bad_audio' | 'aborted';

/** What one request did, times in ms from the moment it was sent. */
export interface Exchange {
  outcome: Outcome;
  status: number | null;
  /** Time to the first byte of audio (after any WAV header); null when none came. */
  firstAudioMs: number | null;
  /** Time to the last byte (ok only). */
  completionMs: number | null;
  audioSeconds: number | null;
  /** Error class for the counts: `http 500`, `network ECONNRESET`, `bad audio`. */
  error?: string;
  /** The server's message or the socket error, shortened. */
  detail?: string;
  /** A 429's Retry-After in seconds, when it gave one. */
  retryAfterS?: number;
  /** The server's `X-Request-Id` (cosyfleet's, to find the request in its logs), when it sent one. */
  requestId?: string;
}

const DETAIL_CHARS = 300;

/** The error's message from either error shape (native or OpenAI), else the body's start. */
function errorDetail(body: string): string {
  try {
    const e = (JSON.parse(body) as { error?: { code?: string; message?: string } }).error;
    if (e?.message) return `${e.code ? `${e.code}: ` : ''}${e.message}`.slice(0, DETAIL_CHARS);
  } catch {
    // not JSON: the body's start says what the server said
  }
  return body.slice(0, DETAIL_CHARS);
}

/** A socket-level error's code (ECONNREFUSED, ECONNRESET, ...) and message. */
export function networkCode(err: unknown): { code: string; detail: string } {
  const e = err as { code?: unknown; name?: string; message?: string } | undefined;
  return { code: typeof e?.code === 'string' ? e.code : (e?.name ?? 'Error'), detail: e?.message ?? String(err) };
}

/** A connection pool for one run: keep-alive, no socket limit (the run's concurrency is the limit). */
export function runAgent(target: Pick<Target, 'url'>): HttpAgent {
  const options = { keepAlive: true, maxSockets: Infinity };
  return target.url.startsWith('https:') ? new HttpsAgent(options) : new HttpAgent(options);
}

/** Error bodies are read up to this size for their message. */
const ERROR_BODY_BYTES = 64 * 1024;

/**
 * Sends one request and reads the whole answer; never throws (every ending is an outcome).
 * node:http rather than fetch: fetch refuses the WHATWG "bad ports" (6000, 6665-6669, 10080...)
 * a server may well listen on, and its own buffering sits between the socket and the timing.
 */
export function exchange(target: Target, text: string, language: LanguageCode, signal: AbortSignal, agent?: HttpAgent): Promise<Exchange> {
  const url = new URL(endpoint(target));
  const init = requestInit(target, text, language);
  const body = Buffer.from(init.body);
  const t0 = performance.now();
  let status: number | null = null;
  let firstAudioMs: number | null = null;
  return new Promise<Exchange>((resolve) => {
    let settled = false;
    /** The server's X-Request-Id, once its headers are in: every ending carries it. */
    let requestId: { requestId: string } | Record<string, never> = {};
    const finish = (x: Exchange) => {
      if (settled) return;
      settled = true;
      resolve({ ...x, ...requestId });
    };
    const fail = (err: unknown) => {
      if (signal.aborted) return finish({ outcome: 'aborted', status, firstAudioMs, completionMs: null, audioSeconds: null, error: 'aborted' });
      const n = networkCode(err);
      finish({ outcome: 'network_error', status, firstAudioMs, completionMs: null, audioSeconds: null, error: `network ${n.code}`, detail: n.detail.slice(0, DETAIL_CHARS) });
    };
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, { method: init.method, headers: { ...init.headers, 'content-length': String(body.length) }, signal, ...(agent ? { agent } : {}) }, (res) => {
      status = res.statusCode ?? null;
      const id = res.headers['x-request-id'];
      if (typeof id === 'string' && id.length > 0 && id.length <= 200) requestId = { requestId: id };
      let ended = false;
      res.on('end', () => (ended = true));
      res.on('error', fail);
      // A response cut before its end (server crash, reset) is a network error, not a short success.
      res.on('close', () => {
        if (!ended) fail(Object.assign(new Error('the response ended before its last byte'), { code: 'TRUNCATED' }));
      });
      if (status === null || status < 200 || status > 299) {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < ERROR_BODY_BYTES) parts.push(chunk);
          size += chunk.length;
        });
        const retryAfter = Number(res.headers['retry-after']);
        res.on('end', () =>
          finish({
            outcome: 'http_error', status, firstAudioMs: null, completionMs: null, audioSeconds: null, error: `http ${status}`, detail: errorDetail(Buffer.concat(parts).toString('utf8')),
            ...(status === 429 && res.headers['retry-after'] !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterS: retryAfter } : {}),
          }),
        );
        return;
      }
      const header = (name: string) => {
        const v = res.headers[name];
        return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
      };
      const meter = audioMeter(target.audioFormat, { get: header }, target.route === 'openai');
      res.on('data', (chunk: Buffer) => {
        if (meter.push(chunk) && firstAudioMs === null) firstAudioMs = performance.now() - t0;
      });
      res.on('end', () => {
        const completionMs = performance.now() - t0;
        void meter.seconds().then((measured) => {
          if ('error' in measured || measured.seconds <= 0) {
            finish({ outcome: 'bad_audio', status, firstAudioMs, completionMs, audioSeconds: null, error: 'bad audio', detail: 'error' in measured ? measured.error : 'the response held no audio' });
          } else finish({ outcome: 'ok', status, firstAudioMs: firstAudioMs ?? completionMs, completionMs, audioSeconds: measured.seconds });
        });
      });
    });
    req.on('error', fail);
    req.end(body);
  });
}
