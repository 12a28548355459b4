// What this node's instance costs per hour: an explicit price, or the planner's catalog price of
// COSYFLEET_INSTANCE_TYPE in COSYFLEET_REGION, or (INSTANCE_METADATA=auto) the instance type and
// region EC2's instance metadata service reports (IMDSv2: a session token first, then the
// reads; a fixed link-local address, never a user-supplied one).
import type { Catalog } from '../planner/catalog.js';

export interface InstancePrice {
  readonly usdPerHour: number | null;
  readonly instanceType: string | null;
  readonly region: string | null;
  /** Where the price came from, or why there is none. */
  readonly source: string;
}

export const IMDS_ORIGIN = 'http://169.254.169.254';

/** Instance type and region from IMDSv2, or null when there is no metadata service (not on EC2). */
export async function readInstanceMetadata(origin = IMDS_ORIGIN, timeoutMs = 500): Promise<{ instanceType: string; region: string } | null> {
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    const token = await fetch(`${origin}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' }, signal });
    if (!token.ok) return null;
    const headers = { 'x-aws-ec2-metadata-token': await token.text() };
    const [type, region] = await Promise.all([
      fetch(`${origin}/latest/meta-data/instance-type`, { headers, signal }),
      fetch(`${origin}/latest/meta-data/placement/region`, { headers, signal }),
    ]);
    if (!type.ok || !region.ok) return null;
    const instanceType = (await type.text()).trim();
    const r = (await region.text()).trim();
    return /^[a-z0-9.-]{1,40}$/.test(instanceType) && /^[a-z0-9-]{1,30}$/.test(r) ? { instanceType, region: r } : null;
  } catch {
    return null;
  }
}

export async function resolveInstancePrice(
  settings: { instanceType: string; instanceRegion: string; instancePriceUsdPerHour: string; instanceMetadata: 'auto' | 'off' },
  catalog: Catalog,
  metadata: () => Promise<{ instanceType: string; region: string } | null> = readInstanceMetadata,
): Promise<InstancePrice> {
  if (settings.instancePriceUsdPerHour !== '') {
    return { usdPerHour: Number(settings.instancePriceUsdPerHour), instanceType: settings.instanceType || null, region: settings.instanceRegion, source: 'COSYFLEET_INSTANCE_PRICE' };
  }
  let instanceType = settings.instanceType;
  let region = settings.instanceRegion;
  let from = 'COSYFLEET_INSTANCE_TYPE';
  if (instanceType === '') {
    const found = settings.instanceMetadata === 'auto' ? await metadata() : null;
    if (!found) return { usdPerHour: null, instanceType: null, region: null, source: 'unknown: set COSYFLEET_INSTANCE_TYPE or COSYFLEET_INSTANCE_PRICE (not on EC2, or INSTANCE_METADATA=off)' };
    ({ instanceType, region } = found);
    from = 'EC2 instance metadata';
  }
  const entry = catalog.instances.find((i) => i.instanceType === instanceType);
  const price = entry?.prices[region];
  if (!price) {
    return { usdPerHour: null, instanceType, region, source: `unknown: ${instanceType} in ${region} is not in the price catalog (${from}); set COSYFLEET_INSTANCE_PRICE` };
  }
  return { usdPerHour: price.onDemandUsdPerHour, instanceType, region, source: `${from}: on-demand price in ${region} (${price.source}, ${price.sourceDate})` };
}
