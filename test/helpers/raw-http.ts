// HTTP/1.1 by hand over node:net, for what fetch and node:http hide: a client that sends its
// body slowly or all before reading, that waits for `100 Continue`, that connects from a chosen
// loopback address, and that sees exactly what the server wrote and when it closed.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ErrorBody } from './voices.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export class RawConnection {
  private buffer = Buffer.alloc(0);
  private notify: () => void = () => {};
  /** Set once the server has closed the connection (or it failed). */
  ended = false;
  /** The socket error, when the connection failed rather than closed (ECONNRESET, EPIPE). */
  error: string | undefined;
  /** Resolves when the connection is closed, whoever closed it. */
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.notify();
    });
    socket.on('error', (err: Error & { code?: string }) => {
      this.error ??= err.code ?? err.message;
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.ended = true;
        this.notify();
        resolve();
      }),
    );
  }

  static open(port: number, localAddress?: string): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Resolves once the kernel has taken all of `data`; rejects with the socket's error code. */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) {
        reject(new Error(this.error ?? 'socket closed'));
        return;
      }
      this.socket.write(data, (err) => (err ? reject(new Error((err as Error & { code?: string }).code ?? err.message)) : resolve()));
    });
  }

  /** Writes a body in chunked transfer coding, 64 KiB a chunk, then the last chunk. */
  async writeChunked(body: Buffer): Promise<void> {
    for (let i = 0; i < body.length; i += 65_536) {
      const piece = body.subarray(i, i + 65_536);
      await this.write(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]));
    }
    await this.write('0\r\n\r\n');
  }

  /**
   * Sends `text` one byte every `everyMs` until it is all sent or the server closes the
   * connection; returns how many bytes went out.
   */
  async trickle(text: string, everyMs: number): Promise<number> {
    let sent = 0;
    while (sent < text.length && !this.ended && !this.socket.destroyed) {
      this.socket.write(text[sent] as string);
      sent++;
      await sleep(everyMs);
    }
    return sent;
  }

  /** The next whole response (a `100 Continue` counts as one), or null when the connection ends first. */
  async response(): Promise<RawResponse | null> {
    for (;;) {
      const parsed = this.take();
      if (parsed) return parsed;
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.notify = resolve));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private take(): RawResponse | null {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const [statusLine = '', ...lines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? NaN);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = status >= 100 && status < 200 ? 0 : Number(headers['content-length'] ?? NaN);
    if (Number.isNaN(length)) {
      // No length: the body runs to the end of the connection.
      if (!this.ended) return null;
      const body = this.buffer.subarray(end + 4).toString('utf8');
      this.buffer = Buffer.alloc(0);
      return { status, headers, body };
    }
    if (this.buffer.length < end + 4 + length) return null;
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buffer = this.buffer.subarray(end + 4 + length);
    return { status, headers, body };
  }
}

/** A request head; `Host` is the loopback address the test servers listen on. */
export function requestHead(method: string, path: string, headers: Record<string, string | number> = {}): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Asserts a catalog error response (status, JSON, code) and returns its error. */
export function expectRawError(response: RawResponse | null, status: number, code: string): ErrorBody['error'] {
  assert.ok(response, 'a response before the connection closed');
  assert.equal(response.status, status, response.body);
  assert.match(response.headers['content-type'] ?? '', /application\/json/);
  const body = JSON.parse(response.body) as ErrorBody;
  assert.equal(body.error.code, code, response.body);
  return body.error;
}
