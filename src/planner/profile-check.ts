// A measured profile must name things the planner knows. One that says `H100` where the
// catalog says `H100-SXM` would otherwise match nothing and be ignored without a word, and the
// plan would rest on the estimate the user meant to replace. Every such profile is refused,
// naming the closest names it could have meant.
import { findGpu, isCpu, type Catalog } from './catalog.js';
import type { EngineSpec, MeasuredCurve } from './profiles.js';
import { PlannerInputError } from './validate.js';
import { editDistance } from '../text/edit-distance.js';

/** Up to three candidates nearest to `name`: those containing it (or contained in it) first, then by edit distance. */
export function closestNames(name: string, candidates: readonly string[]): string[] {
  const n = name.toLowerCase();
  const score = (c: string) => {
    const l = c.toLowerCase();
    return (l.includes(n) || n.includes(l) ? 0 : 1000) + editDistance(n, l);
  };
  return [...candidates].sort((a, b) => score(a) - score(b) || a.localeCompare(b)).slice(0, 3);
}

function unknown(what: string, value: string, candidates: readonly string[]): string {
  return `${JSON.stringify(value.slice(0, 60))} matches no ${what}; the closest: ${closestNames(value, candidates).join(', ')} (all: ${candidates.join(', ')})`;
}

/** Throws a PlannerInputError listing every profile whose engine, GPU or instance type the planner does not know. */
export function checkUserProfiles(curves: readonly (MeasuredCurve & { engine: string })[], catalog: Catalog, engines: readonly EngineSpec[]): void {
  const problems: string[] = [];
  const gpuNames = catalog.gpus.map((g) => g.name);
  const typeNames = catalog.instances.map((i) => i.instanceType);
  curves.forEach((c, i) => {
    const at = c.origin ?? `profile ${i + 1}`;
    if (!engines.some((e) => e.engine === c.engine)) problems.push(`${at}.engine: ${unknown('engine', c.engine, engines.map((e) => e.engine))}`);
    const gpu = findGpu(catalog, c.gpu);
    if (!gpu) problems.push(`${at}.gpu: ${unknown(`GPU in catalog ${catalog.version}`, c.gpu, gpuNames)}`);
    const type = c.measurement?.instanceType;
    if (type !== undefined) {
      const instance = catalog.instances.find((t) => t.instanceType === type);
      if (!instance) problems.push(`${at}.instanceType: ${unknown(`instance type in catalog ${catalog.version}`, type, typeNames)}`);
      else if (gpu && instance.gpu !== gpu.name) problems.push(`${at}.instanceType: ${type} has ${instance.gpu}, not the profile's gpu ${gpu.name}`);
    } else if (gpu && isCpu(gpu)) {
      problems.push(`${at}.instanceType: a profile for the CPU ${gpu.name} must name its instance type (throughput depends on the vCPUs): add profileSource: measured and instanceType`);
    }
  });
  if (problems.length > 0) throw new PlannerInputError('profiles', problems);
}
