// Answers that reach the client while its body is still arriving. A 413 (or a 401, 404, 415, ...)
// sent while the client is still sending, followed by closing the connection, makes the kernel
// reset it: the client gets ECONNRESET/EPIPE instead of the answer. So:
//
// - A body declared (Content-Length) larger than the route takes is refused before it is read.
// - `Expect: 100-continue` is honoured: `100 Continue` goes out only once the request has passed
//   its checks and the route is about to read the body; refused before that, the client never
//   sends it, and the connection is closed after the answer.
// - Any answer to a request whose body has not all arrived waits until it has, reading and
//   dropping at most MAX_DISCARD_BYTES; past that (or with more declared), the answer carries
//   `Connection: close` and the connection is closed after it.
//
// Reading is also bounded in time: the request timeout (REQUEST_TIMEOUT_MS) covers the body.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a 413 for this route's declared Content-Length names: the setting behind its limit and the field. */
    bodyLimit?: { setting: string; param?: string };
  }
}

/** Requests whose client waits for `100 Continue` before sending the body (until it is sent). */
const awaitingContinue = new WeakSet<IncomingMessage>();

function declaredLength(request: FastifyRequest): number | null {
  const header = request.headers['content-length'];
  return typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : null;
}

/** Reads and drops what is left of a request body, at most `maxBytes`; true once it has all arrived. */
export function discardBody(req: IncomingMessage, maxBytes: number): Promise<boolean> {
  if (req.complete) return Promise.resolve(true);
  if (req.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    let read = 0;
    const finish = (complete: boolean) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
      resolve(complete);
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > maxBytes) {
        req.pause();
        finish(false);
      }
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(req.complete);
    // A parser still piped in (multipart that stopped at a limit) would keep pausing the body
    // for a 'drain' that never comes; the answer is decided, so nothing else needs the body.
    req.unpipe();
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.once('error', onClose);
    req.resume();
  });
}

export function registerBodyBounds(app: FastifyInstance, maxDiscardBytes: number): void {
  // With a listener here Node no longer sends `100 Continue` by itself before the request runs.
  app.server.on('checkContinue', (req: IncomingMessage, res) => {
    awaitingContinue.add(req);
    app.server.emit('request', req, res);
  });

  app.addHook('preParsing', async (request, reply) => {
    // No route: the 404 goes out without inviting a body.
    if (request.is404) return;
    const declared = declaredLength(request);
    const limit = request.routeOptions.bodyLimit;
    if (declared !== null && limit !== undefined && declared > limit) {
      const { setting, param } = request.routeOptions.config.bodyLimit ?? { setting: 'MAX_BODY_BYTES' };
      throw new AppError('body_too_large', `The request body (${declared} bytes) is larger than this endpoint accepts (${limit} bytes: ${setting}).`, { param: param ?? null });
    }
    if (awaitingContinue.delete(request.raw)) reply.raw.writeContinue();
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const req = request.raw;
    if (req.complete) return payload;
    if (awaitingContinue.has(req)) {
      // The client has not sent the body and will not: nothing to read, but the connection's
      // framing is unknown (a client may send it anyway), so it is not reused.
      void reply.header('connection', 'close');
      return payload;
    }
    const declared = declaredLength(request);
    const complete = declared !== null && declared > maxDiscardBytes ? false : await discardBody(req, maxDiscardBytes);
    if (!complete) void reply.header('connection', 'close');
    return payload;
  });
}
