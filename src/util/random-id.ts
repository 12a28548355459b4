import { randomBytes } from 'node:crypto';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `length` random base32 characters (5 random bits each): the tail of a server-minted id. */
export function randomBase32(length: number): string {
  // 32 divides 256, so each byte's low five bits are uniform.
  return [...randomBytes(length)].map((b) => BASE32[b & 31]).join('');
}

/** Server-minted ids `<prefix>_` + 16 base32 characters (80 random bits): the pattern, a minter, a check. */
export function mintedIds(prefix: string): { readonly pattern: RegExp; mint(): string; is(value: string): boolean } {
  const pattern = new RegExp(`^${prefix}_[a-z2-7]{16}$`);
  return { pattern, mint: () => `${prefix}_${randomBase32(16)}`, is: (value) => pattern.test(value) };
}
