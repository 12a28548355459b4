// `npm run validate:planner`: its verdict rule, and the whole pipeline at its tiny size (a real
// server measured by cosyfleet bench, the planner's predictions from that profile, open-loop
// replays at 30/60/90% of capacity and an overload run). The small size is not a CI gate yet:
// docs/planner.md, "Validation", says what disagrees and why.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validatePlanner, within } from '../../scripts/validate-planner.js';

describe('validate:planner', () => {
  it('within(): off by more than the target from the (luck-adjusted) measurement is a disagreement', () => {
    assert.equal(within(100, 100, 0.15), true);
    assert.equal(within(114, 100, 0.15), true);
    assert.equal(within(116, 100, 0.15), false);
    assert.equal(within(84, 100, 0.15), false);
    assert.equal(within(Infinity, 100, 0.15), false);
    assert.equal(within(100, NaN, 0.15), false);
    assert.equal(within(100, 0, 0.15), false);
  });

  it('measures, predicts and replays every load at its tiny size, and reports both sides', async () => {
    // Too few requests to judge the model: this shows the pipeline works end to end with real
    // numbers in every row. The verdict is `npm run validate:planner` (docs/planner.md, "Validation").
    const log: string[] = [];
    const { rows, report } = await validatePlanner(['--size', 'tiny'], (s) => log.push(s));
    assert.deepEqual(
      rows.map((r) => `${r.load}:${r.what}`),
      [0.3, 0.6, 0.9].flatMap((l) => [`${l}:p95 first audio (ms)`, `${l}:p95 completion (ms)`, `${l}:instances needed`]).concat(['1:capacity (requests/s per instance)']),
    );
    for (const r of rows) {
      assert.ok(Number.isFinite(r.predicted) && r.predicted > 0, `${r.what} predicted ${r.predicted}`);
      assert.ok(Number.isFinite(r.measured) && r.measured > 0, `${r.what} measured ${r.measured}`);
      assert.ok(r.speed > 0 && Number.isFinite(r.speed), `${r.what}: the engine's speed was read from the server (${r.speed})`);
      // The replay's luck is the model run on that replay's arrivals: a positive factor wherever
      // the model has a steady state.
      if (r.load < 0.9) assert.ok(r.luck > 0 && Number.isFinite(r.luck) && r.adjusted > 0, `${r.load} ${r.what}: luck ${r.luck}`);
    }
    // The planner's latencies grow with load.
    const fa = rows.filter((r) => r.what === 'p95 first audio (ms)').map((r) => r.predicted);
    assert.ok(fa[0]! < fa[1]! && fa[1]! < fa[2]!, `predicted first audio by load: ${fa.join(', ')}`);
    assert.match(report, /\| load \| rate \/s \| engine speed \| measure \| predicted \|/);
    assert.match(report, /replay's luck/);
    assert.ok(log.some((l) => l.startsWith('measuring the espeak profile')));
  });
});
