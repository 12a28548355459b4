// Loopback servers of our own for bench tests: each records what it received and answers as the
// test scripts it (audio, errors, a cut response, nothing at all), for the cases a real
// cosyfleet server does not produce on cue.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface StubServer {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** `answer` gets each request (numbered from 1) once its body has arrived; it may never answer. */
export async function stubServer(answer: (res: ServerResponse, n: number, req: Received) => void): Promise<StubServer> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(parts).toString('utf8') };
      received.push(r);
      answer(res, received.length, r);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A 200 with `seconds` of silent 16 kHz s16le, as cosyfleet's pcm answer is labelled. */
export function answerPcm(res: ServerResponse, seconds = 0.5, rate = 16000): void {
  res.writeHead(200, { 'content-type': `audio/pcm;rate=${rate};channels=1;encoding=s16le`, 'x-sample-rate': String(rate) });
  res.end(Buffer.alloc(Math.round(seconds * rate) * 2));
}

/** An error in cosyfleet's JSON shape (`retryAfter`: the Retry-After header, when given). */
export function answerError(res: ServerResponse, status: number, code: string, message: string, retryAfter?: number): void {
  res.writeHead(status, { 'content-type': 'application/json', ...(retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {}) });
  res.end(JSON.stringify({ error: { code, message, param: null } }));
}
