// The secret itself: 256 random bits, shown once, stored only as a SHA-256 digest. A digest of
// a key this random needs no salt or slow hash (nothing to brute-force), and it can be looked up
// by index in one query on any database. The prefix that stays visible (`cf_` and 6 characters)
// lets a person tell keys apart in a list without the secret.
import { createHash, randomBytes } from 'node:crypto';

export const KEY_PREFIX = 'cf_';
const KEY_PATTERN = /^cf_[A-Za-z0-9_-]{43}$/;

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Hex SHA-256 of the key as presented (any string: a wrong key simply matches nothing). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** What a list shows of a key: `cf_AbC123…`. */
export function visiblePrefix(key: string): string {
  return `${key.slice(0, KEY_PREFIX.length + 6)}…`;
}

/** Whether the string has the shape of a key this service generates (keys from env/files may not). */
export function looksGenerated(key: string): boolean {
  return KEY_PATTERN.test(key);
}
