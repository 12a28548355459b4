// `npm run bench:planner`: a full plan for every instance type that can run the TensorRT-LLM
// engine (11) x every strategy (7) x 30 days at 1-minute resolution (77 month simulations),
// sizing and the sensitivity runs included.
// Target: under 2 s on the 2-core reference machine. Flags: --rounds N, --json.
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { plan } from '../src/planner/plan.js';
import { STRATEGIES } from '../src/planner/simulate.js';
import { validateWorkload } from '../src/planner/workload.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } } });
const rounds = Math.max(1, Number(values.rounds));

// A loose SLO so that every instance type the engine can run is sized and simulated (with a
// tight one, slow GPUs are refused before simulation and the bench would do less).
const workload = validateWorkload({
  name: 'bench',
  requestsPerDay: 200000,
  meanChars: 180,
  lengthDistribution: { type: 'lognormal', cv: 0.7, maxChars: 2000 },
  language: [
    { code: 'zh', share: 0.6, charsPerSecond: 4.5 },
    { code: 'en', share: 0.4, charsPerSecond: 15 },
  ],
  hourlyWeights: { weekday: [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 8, 8, 8, 7, 6, 5, 4, 3, 2, 1], weekend: [1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 3, 2, 2, 1] },
  burstFactor: 1.5,
  streamingShare: 0.7,
  slo: { p95FirstAudioMs: 5000, p95CompletionMs: 120000 },
  region: 'us-east-1',
  growthPerMonth: 0.05,
  storage: { retentionDays: 90, format: 'mp3' },
  delivery: { cdnShare: 0.8 },
});

const times: number[] = [];
let coldMs = 0;
let simulated = 0;
let types = 0;
for (let r = 0; r < rounds + 1; r++) {
  const t0 = performance.now();
  const result = plan({ workload });
  const ms = performance.now() - t0;
  if (r > 0) times.push(ms);
  else coldMs = ms; // the first round includes JIT warm-up: what a one-off CLI run pays
  simulated = result.options.length;
  types = new Set(result.options.map((o) => o.instanceType)).size;
  if (types < 10 || simulated !== types * STRATEGIES.length) throw new Error(`bench expected 10+ types x ${STRATEGIES.length} strategies, got ${types} types and ${simulated} plans`);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)] as number;
const report = {
  instanceTypes: types,
  plans: simulated,
  minutesPerPlan: 30 * 1440,
  medianMs: Math.round(median),
  minMs: Math.round(times[0] as number),
  maxMs: Math.round(times[times.length - 1] as number),
  coldMs: Math.round(coldMs),
  targetMs: 2000,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: availableParallelism(),
  node: process.version,
};
if (values.json) console.log(JSON.stringify(report));
else {
  console.log(`full plan: ${types} instance types x ${STRATEGIES.length} strategies x 30 days at 1-minute resolution (+ sizing, sensitivity)`);
  console.log(`median ${report.medianMs} ms (min ${report.minMs}, max ${report.maxMs}) over ${rounds} rounds; first (cold) round ${report.coldMs} ms; target < ${report.targetMs} ms`);
  console.log(`${report.cores} cores, ${report.cpu}, node ${report.node}`);
}
