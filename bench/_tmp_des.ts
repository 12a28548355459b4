import { simulateRequests } from '../src/planner/des.js';
import { audioSecondsDistribution, mgcWait, waitQuantile, sumQuantile, scaleTable, erlangC } from '../src/planner/queueing.js';
for (const [c, rho, cv] of [[12, 0.8, 0.6], [48, 0.85, 0.6], [4, 0.7, 0.6], [16, 0.75, 1.0], [32,0.9,0.5], [8,0.6,0.3]] as const) {
  const audio = audioSecondsDistribution({ meanChars: 200, lengthDistribution: { type: 'lognormal', cv, maxChars: 4000 }, language: [{ code: 'en', share: 1, charsPerSecond: 15 }] });
  const S = scaleTable(audio, 0.3);
  const lambda = (rho * c) / S.mean;
  const d = simulateRequests({ servers: c, lambda, service: S, firstAudioS: 0.5, requests: 400000, seed: 3 });
  const tail = mgcWait(c, lambda * S.mean, S.mean, S.scv)!;
  const fa = (0.5 + waitQuantile(tail, 0.95)) * 1000, comp = sumQuantile(tail, S.values, 0.95) * 1000;
  console.log(c, rho, cv, 'des', d.p95FirstAudioMs.toFixed(0), d.p95CompletionMs.toFixed(0), d.probabilityOfWait.toFixed(3), 'an', fa.toFixed(0), comp.toFixed(0), erlangC(c, lambda*S.mean).toFixed(3), 'ratio', (fa/d.p95FirstAudioMs).toFixed(3), (comp/d.p95CompletionMs).toFixed(3));
}
