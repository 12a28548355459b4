// Output ids are minted by the server (`out_` + 16 base32 characters, 80 random bits) and
// checked against OUTPUT_ID before any lookup, so a client-supplied id never reaches a store or
// an object key unless it has exactly this shape.
import { randomBytes } from 'node:crypto';
import { TENANT_PATTERN } from '../accounts/principal.js';

export const OUTPUT_ID = /^out_[a-z2-7]{16}$/;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export function newOutputId(): string {
  // 32 divides 256, so each byte's low five bits are uniform.
  return `out_${[...randomBytes(16)].map((b) => BASE32[b & 31]).join('')}`;
}

export function isOutputId(value: string): boolean {
  return OUTPUT_ID.test(value);
}

/** The object key of an output's audio: outputs/<tenant>/<id>. */
export function outputBlobKey(tenant: string, id: string): string {
  if (!TENANT_PATTERN.test(tenant)) throw new Error(`not a tenant: ${JSON.stringify(tenant)}`);
  if (!isOutputId(id)) throw new Error(`not an output id: ${JSON.stringify(id)}`);
  return `outputs/${tenant}/${id}`;
}
