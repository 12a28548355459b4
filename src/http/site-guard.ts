// What a browser can make this service do on someone's behalf, refused before any route runs:
//
// - DNS rebinding: a page on attacker.example re-resolves its name to this service's address
//   (loopback, or a private IP), and the browser sends its requests with `Host: attacker.example`.
//   Only IP literals, loopback names and ALLOWED_HOSTS are served.
// - Cross-site writes: a form or fetch without preflight (a CORS "simple request": multipart,
//   urlencoded, text/plain) still reaches the server even though the page cannot read the answer.
//   Any method but GET/HEAD/OPTIONS with an `Origin` that is neither this service's own nor in
//   CORS_ORIGINS is refused.
// - With AUTH=off, writes to shared state (the voice library, the lexicon) need
//   COSYFLEET_WRITE_KEY (or the admin key); without a write key they are open on a service bound
//   to loopback, and beyond loopback only the admin key (if set) writes. With AUTH=keys the
//   key's scopes decide (auth.ts).
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.js';
import { AppError } from '../errors/app-error.js';
import { keyDigest, matchesKey, presentedKey } from './keys.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const WRITE_PREFIXES = ['/v1/voices', '/v1/lexicon'];

export type SiteGuardConfig = Pick<Config, 'host' | 'allowedHosts' | 'corsOrigins' | 'writeKey' | 'adminKey'> & Partial<Pick<Config, 'auth'>>;

/** The host name of a Host header or an origin's authority, lower-cased, without port or IPv6 brackets. */
export function hostName(authority: string): string {
  const a = authority.trim().toLowerCase();
  if (a.startsWith('[')) {
    const close = a.indexOf(']');
    return a.slice(1, close > 0 ? close : undefined);
  }
  const colon = a.lastIndexOf(':');
  return (colon >= 0 && a.indexOf(':') === colon ? a.slice(0, colon) : a).replace(/\.$/, '');
}

export function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** Whether the service answers for this Host: IP literals (rebinding needs a name), loopback names, ALLOWED_HOSTS. */
export function hostAllowed(name: string, allowed: readonly string[]): boolean {
  if (name === '' || isIP(name) !== 0 || isLoopbackName(name)) return true;
  return allowed.some((entry) => {
    const e = entry.trim().toLowerCase();
    if (e === '*') return true;
    if (e.startsWith('.')) return name.endsWith(e) || name === e.slice(1);
    return name === e;
  });
}

export function boundToLoopback(host: string): boolean {
  const name = hostName(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
  return isLoopbackName(name);
}

export function registerSiteGuard(app: FastifyInstance, config: SiteGuardConfig): void {
  const origins = new Set(config.corsOrigins);
  const loopback = boundToLoopback(config.host);
  // With a write key, it or the admin key writes; without one, a loopback service is open for
  // local use, and beyond loopback only the admin key (if any) writes.
  const keys = config.writeKey !== '' || !loopback ? [config.writeKey, config.adminKey].filter((k) => k !== '').map(keyDigest) : [];

  app.addHook('onRequest', async (request, reply) => {
    const host = request.headers.host ?? '';
    if (!hostAllowed(hostName(host), config.allowedHosts)) {
      throw new AppError('host_not_allowed', `This service does not answer for host "${hostName(host).slice(0, 100)}". Add it to ALLOWED_HOSTS (IP addresses and localhost are always served).`, { param: 'Host' });
    }
    if (SAFE_METHODS.has(request.method)) return;
    const origin = request.headers.origin;
    if (origin !== undefined && !origins.has(origin)) {
      let sameOrigin = false;
      try {
        sameOrigin = origin !== 'null' && new URL(origin).host.toLowerCase() === host.toLowerCase();
      } catch {
        sameOrigin = false;
      }
      if (!sameOrigin) {
        throw new AppError('origin_not_allowed', `Requests that change or cost something are not accepted from origin "${origin.slice(0, 200)}"; allow it in CORS_ORIGINS.`, { param: 'Origin' });
      }
    }
    // With AUTH=keys the key's scopes decide writes (auth.ts); the write key is for AUTH=off.
    if (config.auth === 'keys') return;
    const path = request.url.split('?')[0] ?? '';
    if (!WRITE_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return;
    if (keys.length === 0) {
      if (loopback && config.writeKey === '') return;
      throw new AppError('writes_disabled');
    }
    const key = presentedKey(request);
    if (key === null) {
      void reply.header('www-authenticate', 'Bearer realm="cosyfleet"');
      throw new AppError('write_key_required');
    }
    if (!matchesKey(key, keys)) throw new AppError('write_key_invalid');
  });
}
