// The Node HTTP server under Fastify (its `serverFactory`), with the bounds that keep slow or
// greedy clients from holding the service: how long a request may take to arrive
// (HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS; 408 via clientErrorHandler in errors.ts), how long an
// idle keep-alive connection stays (KEEP_ALIVE_TIMEOUT_MS), how many connections there may be
// in total (MAX_CONNECTIONS: Node closes the rest on accept) and per client address
// (MAX_CONNECTIONS_PER_ADDRESS: 429, connection-limits.ts). It never listens; buildApp's caller does.
import { Server, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyServerFactory } from 'fastify';
import type { Config } from '../config/config.js';
import { AddressLimiter } from './connection-limits.js';

export type TransportConfig = Pick<
  Config,
  'headersTimeoutMs' | 'requestTimeoutMs' | 'keepAliveTimeoutMs' | 'maxConnections' | 'maxConnectionsPerAddress'
>;

export interface TransportEvents {
  /** A connection closed on accept (`max_connections`) or answered 429 (`per_address`). */
  refused?(reason: 'max_connections' | 'per_address'): void;
  /** A request cut because its headers or body did not arrive in time. */
  timedOut?(phase: 'headers' | 'body'): void;
}

/**
 * How often Node looks for requests past their timeouts (its default, 30 s, would let a 10 s
 * headers timeout run to 40 s): a quarter of the shorter timeout, at most once a second.
 */
export function checkingIntervalMs(config: Pick<TransportConfig, 'headersTimeoutMs' | 'requestTimeoutMs'>): number {
  return Math.max(25, Math.min(1000, Math.floor(Math.min(config.headersTimeoutMs, config.requestTimeoutMs) / 4)));
}

/** An HTTP server that hands a new connection to HTTP (and every other listener) only once the per-address bound admits it. */
class BoundedServer extends Server {
  constructor(
    handler: (req: IncomingMessage, res: ServerResponse) => void,
    config: TransportConfig,
    private readonly limiter: AddressLimiter,
  ) {
    super({ headersTimeout: config.headersTimeoutMs, requestTimeout: config.requestTimeoutMs, connectionsCheckingInterval: checkingIntervalMs(config) }, handler);
    this.keepAliveTimeout = config.keepAliveTimeoutMs;
    this.maxConnections = config.maxConnections;
  }

  // Node's HTTP layer takes connections through this event; a refused one never reaches it.
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'connection' && !this.limiter.admit(args[0] as Socket)) return true;
    return super.emit(event as string, ...args);
  }
}

export function transportServerFactory(config: TransportConfig, events: TransportEvents = {}): FastifyServerFactory {
  return (handler) => {
    const limiter = new AddressLimiter(config.maxConnectionsPerAddress, () => events.refused?.('per_address'));
    const server = new BoundedServer(handler, config, limiter);
    server.on('drop', () => events.refused?.('max_connections'));
    // Counted only; errors.ts answers (Fastify's clientErrorHandler).
    server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
      if (err.code !== 'ERR_HTTP_REQUEST_TIMEOUT') return;
      const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
      events.timedOut?.(inFlight ? 'body' : 'headers');
    });
    return server;
  };
}
