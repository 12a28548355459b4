// The instance/GPU/price catalog: versioned data with a source and date on every figure.
// The bundled catalog is copied from shared/reference and a dated skypilot-catalog snapshot;
// `cosyfleet prices refresh` writes newer ones (same schema) that `cosyfleet plan --catalog FILE` reads.
import { readFileSync } from 'node:fs';
import bundled from './data/catalog-2026-12-04.json' with { type: 'json' };
import { Fields, join, type Obj } from './validate.js';

export const CATALOG_SCHEMA = 'cosyfleet-catalog/1';

export const HOST_ARCHES = ['x86_64', 'arm64'] as const;
export type HostArch = (typeof HOST_ARCHES)[number];

/**
 * An accelerator entry: a GPU (or another device such as Inferentia) or, for instance types
 * without one, the CPU (`kind: 'cpu'`). Sizing treats either as the serving unit; what an engine
 * may run on is decided by its `requires` (profiles.ts), never by the entry being in `gpus`.
 */
export interface GpuSpec {
  name: string;
  /** Default 'gpu'. A 'cpu' entry has no memory of its own: its instance's RAM is the limit. */
  kind?: 'gpu' | 'cpu';
  /** Microarchitecture (Turing, Volta, Ampere, Ada, Hopper; Sapphire Rapids for a CPU). */
  architecture: string;
  /** GPU memory; absent for a CPU. */
  memoryGiB?: number;
  memoryBandwidthGBs?: number;
  fp16TensorTflops?: number;
  fp32Tflops?: number;
  bf16: boolean;
  /** false for accelerators that are not CUDA GPUs (Inferentia, CPUs). Default true for GPUs. */
  cuda?: boolean;
  source: string;
  sourceDate: string;
  note?: string;
}

export interface RegionPrice {
  onDemandUsdPerHour: number;
  spotUsdPerHourLow: number;
  spotUsdPerHourHigh: number;
  source: string;
  sourceDate: string;
  /** Something known to make this price wrong (a later price cut): shown on every option that uses it. */
  caveat?: string;
}

export interface InstanceType {
  instanceType: string;
  /** The accelerator entry (for a CPU-only type, its CPU). */
  gpu: string;
  /** Serving units per instance: GPUs, or 1 for a CPU-only type (the whole host). */
  gpuCount: number;
  /** Absent for CPU-only types. */
  gpuMemoryGiB?: number;
  vcpu: number;
  memoryGiB: number;
  /** Host CPU architecture: what an engine's image must be built for. */
  arch: HostArch;
  prices: Record<string, RegionPrice>;
  note?: string;
}

export interface StorageClassPrice {
  name: string;
  usdPerGbMonth: number;
  minDays: number;
  minBillableBytes: number;
  perObjectOverheadBytes: number;
  /** Part of the per-object overhead billed at the STANDARD rate (Glacier Flexible/Deep Archive). */
  perObjectOverheadStandardBytes?: number;
  transitionUsdPer1000: number;
  retrievalUsdPerGb?: number;
  source: string;
  sourceDate: string;
}

export interface StoragePrices {
  region: string;
  minTransitionObjectBytes: number;
  putUsdPer1000: number;
  classes: StorageClassPrice[];
}

export interface DeliveryPrices {
  cdn: { name: string; freeGbPerMonth: number; tiers: { upToGb: number; usdPerGb: number }[]; overflowUsdPerGb: number; source: string; sourceDate: string };
  direct: { name: string; freeGbPerMonth: number; usdPerGb: number; source: string; sourceDate: string };
}

export interface Catalog {
  schema: string;
  version: string;
  createdBy: string;
  currency: 'USD';
  regions: string[];
  gpus: GpuSpec[];
  instances: InstanceType[];
  storage: StoragePrices;
  delivery: DeliveryPrices;
}

export function bundledCatalog(): Catalog {
  return validateCatalog(structuredClone(bundled) as unknown, 'bundled catalog');
}

export function loadCatalogFile(path: string): Catalog {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const f = new Fields();
    f.add('', `cannot read ${path}: ${(err as Error).message}`);
    f.throwIfAny(`catalog ${path}`);
  }
  return validateCatalog(raw, `catalog ${path}`);
}

export function validateCatalog(raw: unknown, source: string): Catalog {
  const f = new Fields();
  const top = f.object(raw, '');
  if (!top) return f.throwIfAny(source) as never;
  const schema = f.string(top, 'schema', '');
  if (schema !== undefined && schema !== CATALOG_SCHEMA) f.add('schema', `must be ${CATALOG_SCHEMA}, got ${JSON.stringify(schema)}`);
  f.string(top, 'version', '', { pattern: /^\d{4}-\d{2}-\d{2}/ });
  f.string(top, 'createdBy', '');
  f.string(top, 'currency', '', { choices: ['USD'] });
  f.array(top, 'regions', '', { minLength: 1 });

  const gpuNames = new Map<string, string>();
  (f.array(top, 'gpus', '', { minLength: 1 }) ?? []).forEach((g, i) => {
    const p = join('gpus', i);
    const o = f.object(g, p);
    if (!o) return;
    const name = f.string(o, 'name', p);
    const kind = f.string(o, 'kind', p, { optional: true, choices: ['gpu', 'cpu'] }) ?? 'gpu';
    if (name) gpuNames.set(name, kind);
    f.string(o, 'architecture', p);
    const cpu = kind === 'cpu';
    if (cpu && o.cuda !== false) f.add(join(p, 'cuda'), 'a cpu entry must say cuda: false');
    f.number(o, 'memoryGiB', p, { exclusiveMin: 0, optional: cpu });
    f.number(o, 'memoryBandwidthGBs', p, { exclusiveMin: 0, optional: cpu || o.cuda === false });
    f.number(o, 'fp16TensorTflops', p, { exclusiveMin: 0, optional: true });
    f.number(o, 'fp32Tflops', p, { exclusiveMin: 0, optional: true });
    f.boolean(o, 'bf16', p, { optional: cpu });
    f.boolean(o, 'cuda', p, { optional: true });
    sourced(f, o, p);
  });

  const seen = new Set<string>();
  (f.array(top, 'instances', '', { minLength: 1 }) ?? []).forEach((it, i) => {
    const p = join('instances', i);
    const o = f.object(it, p);
    if (!o) return;
    const type = f.string(o, 'instanceType', p, { pattern: /^[a-z0-9-]+\.[a-z0-9-]+$/ });
    if (type) {
      if (seen.has(type)) f.add(join(p, 'instanceType'), `duplicate instance type ${type}`);
      seen.add(type);
    }
    const gpu = f.string(o, 'gpu', p);
    if (gpu && gpuNames.size > 0 && !gpuNames.has(gpu)) f.add(join(p, 'gpu'), `unknown GPU ${JSON.stringify(gpu)} (not in gpus)`);
    const cpuOnly = gpu !== undefined && gpuNames.get(gpu) === 'cpu';
    const count = f.number(o, 'gpuCount', p, { min: 1, int: true });
    if (cpuOnly && count !== undefined && count !== 1) f.add(join(p, 'gpuCount'), `must be 1 for a CPU-only instance type (the host is one serving unit), got ${count}`);
    f.number(o, 'gpuMemoryGiB', p, { exclusiveMin: 0, optional: cpuOnly });
    f.number(o, 'vcpu', p, { min: 1, int: true });
    f.number(o, 'memoryGiB', p, { exclusiveMin: 0 });
    f.string(o, 'arch', p, { choices: HOST_ARCHES });
    const prices = f.object(o.prices, join(p, 'prices'));
    if (prices) {
      for (const [region, price] of Object.entries(prices)) {
        const pp = join(join(p, 'prices'), region);
        const po = f.object(price, pp);
        if (!po) continue;
        f.number(po, 'onDemandUsdPerHour', pp, { exclusiveMin: 0 });
        const lo = f.number(po, 'spotUsdPerHourLow', pp, { exclusiveMin: 0 });
        const hi = f.number(po, 'spotUsdPerHourHigh', pp, { exclusiveMin: 0 });
        if (lo !== undefined && hi !== undefined && hi < lo) f.add(join(pp, 'spotUsdPerHourHigh'), `must be at least spotUsdPerHourLow (${lo})`);
        f.string(po, 'caveat', pp, { optional: true });
        sourced(f, po, pp);
      }
    }
  });

  const storage = f.object(top.storage, 'storage');
  if (storage) {
    f.number(storage, 'minTransitionObjectBytes', 'storage', { min: 0 });
    f.number(storage, 'putUsdPer1000', 'storage', { min: 0 });
    const classes = f.array(storage, 'classes', 'storage', { minLength: 1 }) ?? [];
    classes.forEach((c, i) => {
      const p = join('storage.classes', i);
      const o = f.object(c, p);
      if (!o) return;
      f.string(o, 'name', p);
      f.number(o, 'usdPerGbMonth', p, { min: 0 });
      f.number(o, 'minDays', p, { min: 0 });
      f.number(o, 'minBillableBytes', p, { min: 0 });
      f.number(o, 'perObjectOverheadBytes', p, { min: 0 });
      f.number(o, 'transitionUsdPer1000', p, { min: 0 });
      sourced(f, o, p);
    });
    if (!classes.some((c) => (c as Obj | null)?.name === 'STANDARD')) f.add('storage.classes', 'must include STANDARD');
  }
  const delivery = f.object(top.delivery, 'delivery');
  if (delivery) {
    const cdn = f.object(delivery.cdn, 'delivery.cdn');
    if (cdn) {
      f.number(cdn, 'freeGbPerMonth', 'delivery.cdn', { min: 0 });
      f.number(cdn, 'overflowUsdPerGb', 'delivery.cdn', { min: 0 });
      f.array(cdn, 'tiers', 'delivery.cdn', { minLength: 1 });
      sourced(f, cdn, 'delivery.cdn');
    }
    const direct = f.object(delivery.direct, 'delivery.direct');
    if (direct) {
      f.number(direct, 'freeGbPerMonth', 'delivery.direct', { min: 0 });
      f.number(direct, 'usdPerGb', 'delivery.direct', { min: 0 });
      sourced(f, direct, 'delivery.direct');
    }
  }
  f.throwIfAny(source);
  return top as unknown as Catalog;
}

function sourced(f: Fields, o: Obj, p: string): void {
  f.string(o, 'source', p);
  f.string(o, 'sourceDate', p);
}

export function findGpu(catalog: Catalog, name: string): GpuSpec | undefined {
  return catalog.gpus.find((g) => g.name === name);
}

export function isCpu(gpu: GpuSpec): boolean {
  return gpu.kind === 'cpu';
}

/** The spot price the planner uses: the middle of the observed range. */
export function spotMid(price: RegionPrice): number {
  return (price.spotUsdPerHourLow + price.spotUsdPerHourHigh) / 2;
}
