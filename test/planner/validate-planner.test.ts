// The validation pipeline end to end at its tiny size: a real server measured by cosyfleet
// bench, the planner's predictions from that profile, open-loop replays and the overload run.
// Too few requests to judge the model (docs/planner.md, "Validation"): this shows the pipeline
// works and reports every row with real numbers; `npm run validate:planner` judges.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validatePlanner } from '../../scripts/validate-planner.js';

test('validate:planner measures, predicts and replays every load, and reports both sides', async () => {
  const log: string[] = [];
  const { rows, report } = await validatePlanner(['--size', 'tiny'], (s) => log.push(s));
  assert.deepEqual(
    rows.map((r) => `${r.load}:${r.what}`),
    [0.3, 0.6, 0.9].flatMap((l) => [`${l}:p95 first audio (ms)`, `${l}:p95 completion (ms)`, `${l}:instances needed`]).concat(['1:capacity (requests/s per instance)']),
  );
  for (const r of rows) {
    assert.ok(Number.isFinite(r.predicted) && r.predicted > 0, `${r.what} predicted ${r.predicted}`);
    assert.ok(Number.isFinite(r.measured) && r.measured > 0, `${r.what} measured ${r.measured}`);
  }
  // The planner's latencies grow with load, as the replays' do.
  const p95 = (what: string) => rows.filter((r) => r.what === what).map((r) => r.predicted);
  const fa = p95('p95 first audio (ms)');
  assert.ok(fa[0]! < fa[1]! && fa[1]! < fa[2]!, `predicted first audio by load: ${fa.join(', ')}`);
  assert.match(report, /\| load \| rate \/s \| measure \| predicted \| measured \|/);
  assert.ok(log.some((l) => l.startsWith('measuring the espeak profile')));
});
