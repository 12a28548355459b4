// Voice ids are minted by the server (`voice_` + 16 base32 characters, 80 random bits) and
// checked against VOICE_ID before any lookup, so a client-supplied id never reaches a store
// or a blob key unless it has exactly this shape.
import { randomBytes } from 'node:crypto';

export const VOICE_ID = /^voice_[a-z2-7]{16}$/;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export function newVoiceId(): string {
  const bytes = randomBytes(10);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return `voice_${out}`;
}

export function isVoiceId(value: string): boolean {
  return VOICE_ID.test(value);
}

/** Blob keys of a voice's recordings: the upload as sent, and the normalized 16 kHz WAV. */
export function voiceBlobKeys(id: string): { original: string; prompt: string } {
  if (!isVoiceId(id)) throw new Error(`not a voice id: ${JSON.stringify(id)}`);
  return { original: `voices/${id}/original`, prompt: `voices/${id}/prompt` };
}
