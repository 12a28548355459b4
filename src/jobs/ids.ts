// Job ids are minted by the server (`job_` + 16 base32 characters, 80 random bits) and checked
// against JOB_ID before any lookup, so a client-supplied id never reaches a store or an object key
// unless it has exactly this shape.
import { TENANT_PATTERN } from '../accounts/principal.js';
import { mintedIds } from '../util/random-id.js';

const ids = mintedIds('job');
export const JOB_ID = ids.pattern;
export const newJobId = ids.mint;
export const isJobId = ids.is;

/** Where a job keeps its segments' audio until the result is assembled: jobs/<tenant>/<id>/. */
export function jobPartsPrefix(tenant: string, id: string): string {
  if (!TENANT_PATTERN.test(tenant)) throw new Error(`not a tenant: ${JSON.stringify(tenant)}`);
  if (!isJobId(id)) throw new Error(`not a job id: ${JSON.stringify(id)}`);
  return `jobs/${tenant}/${id}/`;
}

/** Segment i's audio (16-bit PCM at the engine's rate). */
export function jobPartKey(tenant: string, id: string, index: number): string {
  return `${jobPartsPrefix(tenant, id)}s${String(index).padStart(6, '0')}`;
}
