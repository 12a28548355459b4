// `npm run validate:planner` as a gate: its verdict rule, and the whole validation at its small
// size (a real server measured by cosyfleet bench, the planner's predictions from that profile,
// 400-request open-loop replays at 30/60/90% of capacity and an overload run), which fails when a
// judged prediction is off by more than the target (p95 latencies 15%, capacity 10%).
// docs/planner.md, "Validation", says how each replay is judged on a machine whose speed moves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validatePlanner, verdict, within, type Row } from '../../scripts/validate-planner.js';

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

  it('verdict(): one judged disagreement fails the run; an unjudged row does not; too few judged rows fail it', () => {
    const latency = (load: number, ok: boolean, steady = true): Row => ({
      load, rate: 10 * load, what: 'p95 first audio (ms)', predicted: 100, matched: 100, speed: 1, serviceCv: 0.1, steady, sway: 0.01, attempts: 1,
      measured: ok ? 100 : 130, luck: 1, adjusted: ok ? 100 : 130, target: 0.15, ok: ok || !steady,
    });
    const three = [latency(0.3, true), latency(0.6, true), latency(0.9, true)];
    assert.equal(verdict(three), true);
    assert.equal(verdict([...three.slice(0, 2), latency(0.9, false)]), false, 'a judged row 30% off');
    assert.equal(verdict([...three, latency(0.9, false, false)]), true, 'an unsteady replay is reported, not judged');
    assert.equal(verdict([latency(0.3, true), latency(0.6, true), latency(0.9, false, false)]), false, 'two judged rows are too few');
  });

  it('--size small: the planner agrees with a real server within the targets (latencies 15%, capacity 10%)', async () => {
    const log: string[] = [];
    const { rows, ok, report } = await validatePlanner(['--size', 'small'], (s) => log.push(s));
    // Whatever the verdict, every row was measured and predicted.
    assert.deepEqual(
      rows.map((r) => `${r.load}:${r.what}`),
      [0.3, 0.6, 0.9].flatMap((l) => [`${l}:p95 first audio (ms)`, `${l}:p95 completion (ms)`, `${l}:instances needed`]).concat(['1:capacity (requests/s per instance)']),
    );
    for (const r of rows) {
      assert.ok(Number.isFinite(r.predicted) && r.predicted > 0, `${r.what} predicted ${r.predicted}`);
      assert.ok(Number.isFinite(r.measured) && r.measured > 0, `${r.what} measured ${r.measured}`);
      assert.ok(r.speed > 0 && Number.isFinite(r.speed), `${r.what}: the engine's speed was read from the server (${r.speed})`);
      if (r.load < 1) assert.ok(r.serviceCv > 0 && r.serviceCv < 1, `${r.load}: the engine time per request, from the server's log, varied by ${r.serviceCv}`);
    }
    // The planner's latencies grow with load.
    const fa = rows.filter((r) => r.what === 'p95 first audio (ms)').map((r) => r.predicted);
    assert.ok(fa[0]! < fa[1]! && fa[1]! < fa[2]!, `predicted first audio by load: ${fa.join(', ')}`);
    assert.match(report, /\| load \| rate \/s \| engine speed \| measure \| predicted \|/);
    // The verdict (verdict() above): everything judged agrees, and enough was judged.
    assert.ok(ok, `the planner disagrees with the measurement, or too little was judged:\n${report}\n${log.join('\n')}`);
  });
});
