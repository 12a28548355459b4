// What this node's instance costs per hour: an explicit price, or the planner's catalog price of
// COSYFLEET_INSTANCE_TYPE in COSYFLEET_REGION, or (INSTANCE_METADATA=auto) the instance type and
// region EC2's instance metadata service reports (IMDSv2 through src/lifecycle/imds-client.ts;
// IMDS_ENDPOINT, never a user-supplied address).
import type { Catalog } from '../planner/catalog.js';
import { IMDS_ENDPOINT, ImdsClient } from '../lifecycle/imds-client.js';

export interface InstancePrice {
  readonly usdPerHour: number | null;
  readonly instanceType: string | null;
  readonly region: string | null;
  /** Where the price came from, or why there is none. */
  readonly source: string;
}

/** Instance type and region from IMDSv2, or null when there is no metadata service (not on EC2). */
export async function readInstanceMetadata(origin = IMDS_ENDPOINT, timeoutMs = 500): Promise<{ instanceType: string; region: string } | null> {
  try {
    const imds = new ImdsClient({ endpoint: origin, timeoutMs, tokenTtlS: 60 });
    const [type, region] = await Promise.all([imds.get('/latest/meta-data/instance-type'), imds.get('/latest/meta-data/placement/region')]);
    if (type.status !== 200 || region.status !== 200) return null;
    const instanceType = type.body.trim();
    const r = region.body.trim();
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
