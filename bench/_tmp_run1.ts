import { loadWorkloadFile } from '../src/planner/workload.js';
import { plan, fmtMs } from '../src/planner/plan.js';
const w = loadWorkloadFile(process.argv[2]!);
const t0 = performance.now();
const r = plan({ workload: w });
console.log('ms', performance.now() - t0);
for (const o of r.options) console.log(o.instanceType.padEnd(14), o.strategy.padEnd(14), o.monthlyCostUsd.toFixed(0).padStart(8), 'k', o.concurrencyPerGpu, 'peak', o.peakInstances, 'mean', o.meanInstances.toFixed(2), fmtMs(o.p95FirstAudioMs), fmtMs(o.p95CompletionMs), 'an', fmtMs(o.analyticPeakP95FirstAudioMs), fmtMs(o.analyticPeakP95CompletionMs), 'viol', o.sloViolationMinutes, o.sloMet, o.utilization.toFixed(2), o.profileSource);
console.log(r.excluded, r.recommendation?.why, r.storage.chosen, r.storage.notes, r.delivery, r.workload);
console.log(r.sensitivity.slice(0,8)); console.log(r.assumptions);
