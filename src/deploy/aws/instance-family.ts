// The instance types a spot fleet may take besides the recommended one: other sizes with the
// same accelerator, the same count of it and the same host architecture, so the worker settings
// (streams per GPU, processes per instance) hold on each. More pools, fewer interruptions.
import { bundledCatalog, type Catalog } from '../../planner/catalog.js';

export const MAX_SIZES = 3;

/** The recommended type first (the on-demand base's priority), then the cheapest siblings. */
export function sameGpuSizes(instanceType: string, region: string, catalog: Catalog = bundledCatalog()): string[] {
  const me = catalog.instances.find((i) => i.instanceType === instanceType);
  if (!me) return [instanceType];
  const family = instanceType.split('.')[0];
  const siblings = catalog.instances
    .filter((i) => i.instanceType !== instanceType && i.instanceType.split('.')[0] === family && i.gpu === me.gpu && i.gpuCount === me.gpuCount && i.arch === me.arch && i.prices[region])
    .sort((a, b) => (a.prices[region]?.onDemandUsdPerHour ?? 0) - (b.prices[region]?.onDemandUsdPerHour ?? 0));
  return [instanceType, ...siblings.map((i) => i.instanceType)].slice(0, MAX_SIZES);
}

export function hostArch(instanceType: string, catalog: Catalog = bundledCatalog()): 'x86_64' | 'arm64' {
  const arch = catalog.instances.find((i) => i.instanceType === instanceType)?.arch;
  return arch === 'arm64' ? 'arm64' : 'x86_64';
}

export function gpuMemoryGiB(instanceType: string, catalog: Catalog = bundledCatalog()): number | undefined {
  return catalog.instances.find((i) => i.instanceType === instanceType)?.gpuMemoryGiB;
}
