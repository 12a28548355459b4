// A small HTTP client for the remote engines on node:http: one keep-alive agent per engine (so
// segments reuse connections), and the three timeouts a streaming audio call needs — connecting,
// the first body byte (the FastAPI server sends headers at once and audio only when a sentence
// is made), and the gap between body pieces — plus cancellation by AbortSignal. Every failure
// comes out as a RemoteFailure.
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { HttpBase } from '../../config/remote.js';
import { RemoteFailure, fromSocketError } from './failure.js';

export interface HttpTimeouts {
  readonly connectMs: number;
  /** From sending the request to the first byte of the body. */
  readonly firstByteMs: number;
  /** Between two pieces of the body. */
  readonly idleMs: number;
}

export interface HttpCall {
  readonly method: 'GET' | 'POST';
  /** Appended to the base URL's path. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  readonly signal?: AbortSignal;
  readonly timeouts?: Partial<HttpTimeouts>;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as it arrives; throws RemoteFailure (or the abort reason) when it breaks. */
  readonly body: AsyncIterable<Buffer>;
  /** Reads at most maxBytes of the body as UTF-8 and drops the rest. */
  text(maxBytes?: number): Promise<string>;
}

export class HttpClient {
  private readonly agent: http.Agent;

  constructor(
    readonly base: HttpBase,
    private readonly timeouts: HttpTimeouts,
    maxSockets: number,
  ) {
    const options = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
    this.agent = base.url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
  }

  request(call: HttpCall): Promise<HttpResponse> {
    const t = { ...this.timeouts, ...call.timeouts };
    const url = new URL(this.base.url.href);
    url.pathname = `${this.base.path}${call.path}`;
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<HttpResponse>((resolve, reject) => {
      const signal = call.signal;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const headers: Record<string, string> = { ...call.headers };
      if (call.body) headers['content-length'] = String(call.body.length);
      const req = transport.request(url, { method: call.method, headers, agent: this.agent });
      // Timeouts and aborts destroy whatever is current: the request, then the response.
      let current: { destroy(error?: Error): unknown } = req;
      let timer: NodeJS.Timeout | undefined;
      const arm = (ms: number, failure: () => RemoteFailure) => {
        clearTimeout(timer);
        timer = setTimeout(() => current.destroy(failure()), ms);
      };
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => current.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      arm(t.firstByteMs, () => new RemoteFailure('timeout', `no answer within ${t.firstByteMs} ms`, true));

      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        const connectTimer = setTimeout(() => req.destroy(new RemoteFailure('unreachable', `no connection within ${t.connectMs} ms`, true)), t.connectMs);
        socket.once('connect', () => clearTimeout(connectTimer));
        socket.once('close', () => clearTimeout(connectTimer));
      });
      req.on('error', (err) => {
        cleanup();
        reject(signal?.aborted ? signal.reason : fromSocketError(err));
      });
      req.on('response', (res: IncomingMessage) => {
        current = res;
        // Errors surface through the body iterator; this keeps an unread response from crashing.
        res.on('error', () => {});
        const body = (async function* iterate(): AsyncGenerator<Buffer> {
          try {
            for await (const chunk of res as AsyncIterable<Buffer>) {
              arm(t.idleMs, () => new RemoteFailure('timeout', `no audio for ${t.idleMs} ms in the middle of the stream`, true));
              yield chunk;
            }
            if (!res.complete) throw new RemoteFailure('protocol', 'the response ended before it was complete', true);
          } catch (err) {
            if (signal?.aborted) throw signal.reason;
            if (err instanceof RemoteFailure) throw err;
            // The server answered, so it is reachable: a reset now means its response broke off.
            throw new RemoteFailure('protocol', `the response broke off (${(err as Error).message || 'connection closed'})`, true, { cause: err });
          } finally {
            cleanup();
            if (!res.complete) res.destroy();
          }
        })();
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          text: async (maxBytes = 64 * 1024) => {
            const parts: Buffer[] = [];
            let size = 0;
            for await (const chunk of body) {
              parts.push(chunk);
              size += chunk.length;
              if (size >= maxBytes) break;
            }
            return Buffer.concat(parts).subarray(0, maxBytes).toString('utf8');
          },
        });
      });
      req.end(call.body);
    });
  }

  /** Closes idle connections and refuses nothing further (the owner stops calling). */
  close(): void {
    this.agent.destroy();
  }
}
