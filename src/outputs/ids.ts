// Output ids are minted by the server (`out_` + 16 base32 characters, 80 random bits) and
// checked against OUTPUT_ID before any lookup, so a client-supplied id never reaches a store or
// an object key unless it has exactly this shape.
import { TENANT_PATTERN } from '../accounts/principal.js';
import { mintedIds } from '../util/random-id.js';

const ids = mintedIds('out');
export const OUTPUT_ID = ids.pattern;
export const newOutputId = ids.mint;
export const isOutputId = ids.is;

/** The object key of an output's audio: outputs/<tenant>/<id>. */
export function outputBlobKey(tenant: string, id: string): string {
  if (!TENANT_PATTERN.test(tenant)) throw new Error(`not a tenant: ${JSON.stringify(tenant)}`);
  if (!isOutputId(id)) throw new Error(`not an output id: ${JSON.stringify(id)}`);
  return `outputs/${tenant}/${id}`;
}
