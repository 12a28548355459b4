// Connections per client address. One address must not be able to take every connection the
// process allows (MAX_CONNECTIONS) and so lock everyone else out; past its share a client gets a
// short 429 on the raw socket, before any HTTP parsing, and the connection is closed.
import { isIPv6, type Socket } from 'node:net';
import { AppError } from '../errors/app-error.js';
import { rawErrorResponse } from './errors.js';

/** How long a refused connection may linger so that its 429 is read rather than reset. */
const REFUSED_LINGER_MS = 2000;
/** Bytes read and dropped from a refused connection (its request) before it is cut. */
const REFUSED_LINGER_BYTES = 64 * 1024;

/**
 * The key a connection is counted under: the IPv4 address (also when it arrives IPv4-mapped on a
 * dual-stack socket), or an IPv6 address's /64, the smallest block one customer gets; counting
 * single IPv6 addresses would give one client 2^64 shares.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('%')[0]?.split('::') ?? [];
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  // An embedded IPv4 tail (::1.2.3.4) counts as two groups; only the first four matter here.
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16)).join(':')}::/64`;
}

export class AddressLimiter {
  private readonly open = new Map<string, number>();

  /**
   * @param max Most connections per key; 0 = no bound.
   * @param onRefused Called for each connection refused (metrics).
   */
  constructor(
    private readonly max: number,
    private readonly onRefused: () => void = () => {},
  ) {}

  /** Connections currently counted under the key of `address`. */
  openFrom(address: string): number {
    return this.open.get(addressKey(address)) ?? 0;
  }

  /**
   * Counts a new connection until it closes and says whether it may be served. A refused one has
   * already been answered and is being closed: hand it to nothing else.
   */
  admit(socket: Socket): boolean {
    const address = socket.remoteAddress;
    if (address === undefined) {
      // Reset by the client before it was accepted: nothing to serve or answer.
      socket.destroy();
      return false;
    }
    if (this.max === 0) return true;
    const key = addressKey(address);
    const count = this.open.get(key) ?? 0;
    if (count >= this.max) {
      this.onRefused();
      refuse(socket, this.max);
      return false;
    }
    this.open.set(key, count + 1);
    socket.once('close', () => {
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
    });
    return true;
  }
}

/**
 * Answers 429 and closes. The client has usually sent its request already: the socket reads and
 * drops it for a moment so that closing does not reset the connection before the 429 is read.
 */
function refuse(socket: Socket, max: number): void {
  const error = new AppError(
    'too_many_connections',
    `This client address has as many connections open as this server allows from one address (MAX_CONNECTIONS_PER_ADDRESS = ${max}). Reuse one of them (keep-alive) or retry after the Retry-After header's seconds.`,
  );
  let dropped = 0;
  const done = () => socket.destroy();
  socket.on('error', done);
  socket.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > REFUSED_LINGER_BYTES) done();
  });
  socket.on('end', done);
  socket.setTimeout(REFUSED_LINGER_MS, done);
  socket.end(rawErrorResponse(error, { 'Retry-After': '1' }));
}
