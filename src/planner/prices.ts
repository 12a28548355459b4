// `cosyfleet prices refresh`: on-demand prices from the AWS Price List API (GetProducts, which
// only answers on the us-east-1 endpoint, TERM_MATCH filters, each PriceList entry a JSON
// string) and spot prices from EC2 DescribeSpotPriceHistory in the target region, written as a
// new dated catalog. Parsing is separate from fetching so it is tested on recorded responses.
import type { Catalog, InstanceType, RegionPrice } from './catalog.js';
import { validateCatalog } from './catalog.js';

export interface OnDemandPrice {
  instanceType: string;
  regionCode: string;
  usdPerHour: number;
  sku: string;
  effectiveDate: string;
  gpuCount?: number;
  vcpu?: number;
  memoryGiB?: number;
}

export interface SpotRange {
  instanceType: string;
  low: number;
  high: number;
  zones: number;
  latest: string;
}

/** The GetProducts filters for one instance type's Linux, shared-tenancy, on-demand price. */
export function getProductsFilters(instanceType: string, region: string): { Type: 'TERM_MATCH'; Field: string; Value: string }[] {
  const f = (Field: string, Value: string) => ({ Type: 'TERM_MATCH' as const, Field, Value });
  return [
    f('instanceType', instanceType),
    f('regionCode', region),
    f('operatingSystem', 'Linux'),
    f('tenancy', 'Shared'),
    f('preInstalledSw', 'NA'),
    f('capacitystatus', 'Used'),
  ];
}

type Json = Record<string, unknown>;

/** Parses GetProducts `PriceList` entries (JSON strings; objects are accepted too). */
export function parseGetProducts(priceList: readonly unknown[]): { prices: OnDemandPrice[]; skipped: string[] } {
  const prices: OnDemandPrice[] = [];
  const skipped: string[] = [];
  for (const entry of priceList) {
    let item: Json;
    try {
      item = typeof entry === 'object' && entry !== null && 'product' in entry ? (entry as Json) : (JSON.parse(String(entry)) as Json);
    } catch {
      skipped.push('an entry that is not JSON');
      continue;
    }
    const product = item.product as Json | undefined;
    const attrs = (product?.attributes ?? {}) as Record<string, string>;
    const type = attrs.instanceType;
    if (!type) {
      skipped.push(`sku ${String(product?.sku)}: no instanceType attribute`);
      continue;
    }
    // Defensive: the request filters should already have removed these.
    if ((attrs.operatingSystem && attrs.operatingSystem !== 'Linux') || (attrs.preInstalledSw && attrs.preInstalledSw !== 'NA') || (attrs.tenancy && attrs.tenancy !== 'Shared') || (attrs.capacitystatus && attrs.capacitystatus !== 'Used')) {
      skipped.push(`${type}: ${attrs.operatingSystem}/${attrs.tenancy}/${attrs.preInstalledSw}/${attrs.capacitystatus} is not Linux/Shared/NA/Used`);
      continue;
    }
    const onDemand = ((item.terms as Json | undefined)?.OnDemand ?? {}) as Record<string, Json>;
    let found: { usd: number; date: string } | undefined;
    for (const term of Object.values(onDemand)) {
      for (const dim of Object.values((term.priceDimensions ?? {}) as Record<string, Json>)) {
        const usd = Number((dim.pricePerUnit as Record<string, string> | undefined)?.USD);
        if (dim.unit === 'Hrs' && Number.isFinite(usd) && usd > 0) found = { usd, date: String(term.effectiveDate ?? '') };
      }
    }
    if (!found) {
      skipped.push(`${type}: no hourly USD on-demand price`);
      continue;
    }
    const p: OnDemandPrice = { instanceType: type, regionCode: attrs.regionCode ?? '', usdPerHour: found.usd, sku: String(product?.sku ?? ''), effectiveDate: found.date };
    const gpu = Number(attrs.gpu);
    if (Number.isFinite(gpu) && gpu > 0) p.gpuCount = gpu;
    const vcpu = Number(attrs.vcpu);
    if (Number.isFinite(vcpu) && vcpu > 0) p.vcpu = vcpu;
    const mem = Number.parseFloat(String(attrs.memory ?? '').replace(/,/g, ''));
    if (Number.isFinite(mem) && mem > 0) p.memoryGiB = mem;
    prices.push(p);
  }
  return { prices, skipped };
}

/**
 * Spot range from DescribeSpotPriceHistory items: the latest price in each availability zone,
 * then the lowest and highest zone (what a fleet that may land in any zone pays).
 */
export function parseSpotHistory(items: readonly { InstanceType?: string; SpotPrice?: string; Timestamp?: Date | string; AvailabilityZone?: string; ProductDescription?: string }[]): SpotRange[] {
  const latest = new Map<string, Map<string, { price: number; at: number; iso: string }>>();
  for (const it of items) {
    if (!it.InstanceType || !it.SpotPrice || !it.AvailabilityZone) continue;
    if (it.ProductDescription && it.ProductDescription !== 'Linux/UNIX') continue;
    const price = Number(it.SpotPrice);
    const at = it.Timestamp instanceof Date ? it.Timestamp.getTime() : Date.parse(String(it.Timestamp));
    if (!Number.isFinite(price) || price <= 0) continue;
    let zones = latest.get(it.InstanceType);
    if (!zones) latest.set(it.InstanceType, (zones = new Map()));
    const prev = zones.get(it.AvailabilityZone);
    if (!prev || at > prev.at) zones.set(it.AvailabilityZone, { price, at, iso: new Date(at).toISOString() });
  }
  const out: SpotRange[] = [];
  for (const [instanceType, zones] of latest) {
    const prices = [...zones.values()];
    out.push({
      instanceType,
      low: Math.min(...prices.map((p) => p.price)),
      high: Math.max(...prices.map((p) => p.price)),
      zones: prices.length,
      latest: prices.reduce((a, b) => (a.at > b.at ? a : b)).iso,
    });
  }
  return out.sort((a, b) => a.instanceType.localeCompare(b.instanceType));
}

export interface RefreshResult {
  catalog: Catalog;
  updated: string[];
  missing: string[];
  warnings: string[];
}

/** A new dated catalog: the base catalog with `region`'s prices replaced where AWS answered. */
export function buildCatalog(base: Catalog, region: string, onDemand: readonly OnDemandPrice[], spot: readonly SpotRange[], now: Date): RefreshResult {
  const date = now.toISOString().slice(0, 10);
  const updated: string[] = [];
  const missing: string[] = [];
  const warnings: string[] = [];
  const instances: InstanceType[] = base.instances.map((inst) => {
    const od = onDemand.find((p) => p.instanceType === inst.instanceType && (p.regionCode === '' || p.regionCode === region));
    const sp = spot.find((s) => s.instanceType === inst.instanceType);
    const old = inst.prices[region];
    if (!od) {
      missing.push(inst.instanceType);
      return inst;
    }
    if (od.gpuCount !== undefined && od.gpuCount !== inst.gpuCount) warnings.push(`${inst.instanceType}: AWS lists ${od.gpuCount} GPUs, catalog has ${inst.gpuCount}`);
    if (!sp) warnings.push(`${inst.instanceType}: no spot price in ${region}; spot range kept from ${old ? old.sourceDate : 'nowhere (set to on-demand)'}`);
    const price: RegionPrice = {
      onDemandUsdPerHour: od.usdPerHour,
      spotUsdPerHourLow: sp ? sp.low : (old?.spotUsdPerHourLow ?? od.usdPerHour),
      spotUsdPerHourHigh: sp ? sp.high : (old?.spotUsdPerHourHigh ?? od.usdPerHour),
      source: `AWS Price List API GetProducts (sku ${od.sku}, effective ${od.effectiveDate || 'n/a'})` + (sp ? `; EC2 DescribeSpotPriceHistory, latest price in ${sp.zones} zones` : ''),
      sourceDate: date,
    };
    updated.push(inst.instanceType);
    return { ...inst, prices: { ...inst.prices, [region]: price } };
  });
  const catalog = validateCatalog(
    {
      ...base,
      version: date,
      createdBy: `cosyfleet prices refresh (${region}) from catalog ${base.version}`,
      regions: [...new Set([...base.regions, region])],
      instances,
    },
    'refreshed catalog',
  );
  return { catalog, updated, missing, warnings };
}

/** The two calls the refresh makes; the real clients are created by `awsPriceSource`. */
export interface PriceSource {
  getProducts(input: { ServiceCode: string; Filters: ReturnType<typeof getProductsFilters>; FormatVersion: string; MaxResults: number; NextToken?: string }): Promise<{ PriceList?: readonly unknown[]; NextToken?: string }>;
  describeSpotPriceHistory(input: { InstanceTypes: string[]; ProductDescriptions: string[]; StartTime: Date; NextToken?: string; MaxResults: number }): Promise<{ SpotPriceHistory?: Parameters<typeof parseSpotHistory>[0]; NextToken?: string }>;
}

export async function fetchPrices(source: PriceSource, instanceTypes: readonly string[], region: string, now: Date): Promise<{ onDemand: OnDemandPrice[]; spot: SpotRange[]; skipped: string[] }> {
  const onDemand: OnDemandPrice[] = [];
  const skipped: string[] = [];
  for (const type of instanceTypes) {
    let token: string | undefined;
    do {
      const res = await source.getProducts({ ServiceCode: 'AmazonEC2', Filters: getProductsFilters(type, region), FormatVersion: 'aws_v1', MaxResults: 100, ...(token ? { NextToken: token } : {}) });
      const parsed = parseGetProducts(res.PriceList ?? []);
      onDemand.push(...parsed.prices);
      skipped.push(...parsed.skipped);
      token = res.NextToken;
    } while (token);
  }
  const items: NonNullable<Awaited<ReturnType<PriceSource['describeSpotPriceHistory']>>['SpotPriceHistory']>[number][] = [];
  let token: string | undefined;
  do {
    // StartTime = now returns, per zone, the price in effect now (the last change before it).
    const res = await source.describeSpotPriceHistory({ InstanceTypes: [...instanceTypes], ProductDescriptions: ['Linux/UNIX'], StartTime: now, MaxResults: 1000, ...(token ? { NextToken: token } : {}) });
    items.push(...(res.SpotPriceHistory ?? []));
    token = res.NextToken || undefined;
  } while (token);
  return { onDemand, spot: parseSpotHistory(items), skipped };
}

/** Real AWS clients (credentials from the usual AWS chain). Loaded lazily: `plan` never needs them. */
export async function awsPriceSource(region: string, clientConfig: Record<string, unknown> = {}): Promise<PriceSource & { destroy(): void }> {
  const { PricingClient, GetProductsCommand } = await import('@aws-sdk/client-pricing');
  const { EC2Client, DescribeSpotPriceHistoryCommand } = await import('@aws-sdk/client-ec2');
  type SpotInput = NonNullable<ConstructorParameters<typeof DescribeSpotPriceHistoryCommand>[0]>;
  const pricing = new PricingClient({ region: 'us-east-1', ...clientConfig });
  const ec2 = new EC2Client({ region, ...clientConfig });
  return {
    getProducts: (input) => pricing.send(new GetProductsCommand(input)),
    // Instance types are validated against the catalog, not the SDK's (ever-growing) union.
    describeSpotPriceHistory: (input) => ec2.send(new DescribeSpotPriceHistoryCommand(input as SpotInput)),
    destroy: () => {
      pricing.destroy();
      ec2.destroy();
    },
  };
}
