// How a request presents a key, and how it is compared: one place for the admin API and the
// voice/lexicon write key. Keys are compared as SHA-256 digests with timingSafeEqual, so neither
// their length nor their content leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

export function keyDigest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The token of an `Authorization: Bearer` header, or null. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header) : null;
  return match ? (match[1] as string) : null;
}

/** The key a request presents as the OpenAI SDK and other clients send one: Bearer, or `x-api-key`. */
export function presentedKey(request: FastifyRequest): string | null {
  const apiKey = request.headers['x-api-key'];
  return bearerToken(request) ?? (typeof apiKey === 'string' && apiKey !== '' ? apiKey : null);
}

/** True when `key` is one of the keys whose digests are given. */
export function matchesKey(key: string, digests: readonly Buffer[]): boolean {
  const given = keyDigest(key);
  return digests.some((d) => timingSafeEqual(d, given));
}
