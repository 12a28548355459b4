// What the user must know about an option before buying it, and that does not exclude it: an
// old price or one known to have changed since, a profile that is an estimate, memory capping
// the concurrency, a published figure that clamped the estimate. Shown on the option in every
// report format, next to its cost.
import type { InstanceType } from './catalog.js';
import type { GpuProfile } from './profiles.js';

/** A price older than this at plan time is flagged as stale. */
export const STALE_PRICE_DAYS = 180;

/**
 * The last day a source date can mean: `2026-11-24`, `2026-05` (end of May), `2025 H1` (June 30),
 * `2025 Q3` (September 30), `2025` (December 31). Undefined when it is not a date.
 */
export function sourceDateEnd(text: string): Date | undefined {
  let m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (m) return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!));
  m = /^(\d{4})-(\d{2})(?!\d)/.exec(text);
  if (m) return new Date(Date.UTC(+m[1]!, +m[2]!, 0));
  m = /^(\d{4}) H([12])\b/.exec(text);
  if (m) return new Date(Date.UTC(+m[1]!, +m[2]! * 6, 0));
  m = /^(\d{4}) Q([1-4])\b/.exec(text);
  if (m) return new Date(Date.UTC(+m[1]!, +m[2]! * 3, 0));
  m = /^(\d{4})(?![\d-])/.exec(text);
  if (m) return new Date(Date.UTC(+m[1]!, 12, 0));
  return undefined;
}

export function optionCaveats(instance: InstanceType, profile: GpuProfile, region: string, now: Date): string[] {
  const out: string[] = [];
  const price = instance.prices[region];
  if (price) {
    const end = sourceDateEnd(price.sourceDate);
    const today = now.toISOString().slice(0, 10);
    const refresh = `refresh with \`cosyfleet prices refresh --region ${region}\``;
    if (!end) out.push(`price for ${region} is dated "${price.sourceDate}", which is not a date: treat it as stale and ${refresh}`);
    else if ((now.getTime() - end.getTime()) / 86_400_000 > STALE_PRICE_DAYS) {
      out.push(`stale price: ${region} prices dated ${price.sourceDate}, more than ${STALE_PRICE_DAYS} days before ${today}; ${refresh}`);
    }
    if (price.caveat) out.push(`price: ${price.caveat}`);
  }
  if (profile.source === 'estimated') {
    out.push(`estimated profile: no published or measured ${profile.engine} figures for ${profile.instanceType ?? profile.gpu}; measure one with cosyfleet bench and pass it with --profile`);
  }
  if (profile.memoryLimited) out.push(`memory-limited: ${profile.instanceType ?? profile.gpu} memory caps the concurrency at ${profile.maxConcurrency} streams`);
  for (const b of profile.bounds) out.push(`bound: ${b}`);
  return out;
}
