// A streamed response whose client stopped reading (its TCP window full, the socket's buffer
// past its high-water mark) pauses the body through back-pressure, and with it the render
// generator: the scheduler job stays admitted for as long as the client likes, counted ahead of
// every later request. This cuts such a response once it has been unable to drain for
// STREAM_STALL_TIMEOUT_MS. Destroying the response is what a client disconnect does: the route's
// abort signal fires and the body's generator is returned, so the job ends as `cancelled`.
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';

export interface StallInfo {
  /** How long the response had been unable to drain (ms): at least the timeout. */
  stalledMs: number;
  /** Bytes of the body the transport had taken when it was cut. */
  bytesWritten: number;
}

/**
 * Watches `body`, piped into `res`: when `res` cannot drain for `timeoutMs`, `onStall` runs and
 * the response (and its socket) is destroyed. `timeoutMs` 0 turns the guard off.
 */
export function abortWhenStalled(res: ServerResponse, body: Readable, timeoutMs: number, onStall: (info: StallInfo) => void): void {
  if (timeoutMs <= 0) return;
  let timer: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;
  /** When the response last started to wait for `drain`; null while it drains. */
  let since: number | null = null;
  const stop = () => {
    if (timer) clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
    timer = immediate = since = null;
  };
  const check = () => {
    immediate = null;
    if (since === null || res.destroyed || !res.writableNeedDrain) return stop();
    const stalledMs = performance.now() - since;
    if (stalledMs < timeoutMs) {
      timer = setTimeout(fire, timeoutMs - stalledMs);
      return;
    }
    onStall({ stalledMs, bytesWritten: res.socket?.bytesWritten ?? 0 });
    res.destroy();
  };
  // The timer phase runs before the poll phase that would deliver a `drain` the loop had no
  // time for (a busy event loop, not a stalled client): look again after it.
  const fire = () => {
    timer = null;
    immediate = setImmediate(check);
  };
  // pipe() pauses the body when res.write() returns false, and resumes it on `drain`.
  const watch = () => {
    if (since !== null || !res.writableNeedDrain) return;
    since = performance.now();
    timer = setTimeout(fire, timeoutMs);
  };
  const done = () => {
    stop();
    body.off('pause', watch);
    res.off('drain', stop);
  };
  body.on('pause', watch);
  res.on('drain', stop);
  res.once('close', done);
}

/** abortWhenStalled for a route's streamed reply: counted in /metrics and logged with its reason. */
export function cutStalledStream(request: FastifyRequest, reply: FastifyReply, body: Readable, timeoutMs: number): void {
  abortWhenStalled(reply.raw, body, timeoutMs, ({ stalledMs, bytesWritten }) => {
    const route = request.routeOptions.url ?? request.url;
    request.server.metrics.streamsStalled.inc({ route });
    request.log.warn(
      { reason: 'client_stalled', route, stalledMs: Math.round(stalledMs), bytesWritten, stallTimeoutMs: timeoutMs },
      'the client stopped reading the streamed response; cut after STREAM_STALL_TIMEOUT_MS (its synthesis job is cancelled)',
    );
  });
}
