// What the planner's own model says about one particular replay, for validate:planner.
//
// A p95 measured over a few hundred requests of a queue is a poor estimate of the steady state:
// waits come in busy periods, so consecutive requests are strongly correlated, and the p95 of
// 400 Poisson arrivals to a perfect M/D/1 server at 60% load lands anywhere from −28% to +65% of
// the long-run value (its 2.5–97.5% range over 300 simulated replays; 90% load: −64% to +71%).
// A bootstrap that resamples requests independently does not see that: its "95%" interval held
// the true value in 27 of 60 simulated replays at 60% load.
//
// So the replay's luck is measured instead of guessed. Its arrival times are known, and the
// planner's model of one engine thread (a FIFO server, every request occupying it for the mean
// engine time per call; first audio the unloaded first audio after the wait) can be run on
// exactly those arrivals (Lindley's recursion). The p95 that model gives on this replay's
// arrivals, over the model's long-run p95, is how lucky the arrival sequence was; the measured
// p95 divided by it is the measurement with that luck taken out (a control variate). What the
// control variate leaves is what the validation exists to find: the real server behaving
// unlike the model on the same arrivals, and the planner's analytic tail unlike its model's.
// Only the arrivals are replayed, at the replay's mean engine speed. Replaying the engine's speed
// window by window as well was tried: at 30% load a single slow 10-s window (one stall, spread
// over its ~35 calls) then rules the p95 of the model's replay, and the real server, whose stall
// hit three or four requests, looked 35% better than the model.
import { exactQuantile } from '../src/planner/queueing.js';
import { Rng } from '../src/planner/rng.js';

/** Service time (ms) of the i-th arrival: a constant, or one per arrival (the engine's speed when it ran). */
export type Service = number | ((i: number) => number);

/** Waits (ms) of a FIFO single server, for ascending arrival times, from an empty start. */
export function lindleyWaits(arrivalsMs: readonly number[], service: Service): Float64Array {
  const s = typeof service === 'number' ? () => service : service;
  const w = new Float64Array(arrivalsMs.length);
  for (let i = 1; i < arrivalsMs.length; i++) {
    w[i] = Math.max(0, (w[i - 1] as number) + s(i - 1) - ((arrivalsMs[i] as number) - (arrivalsMs[i - 1] as number)));
  }
  return w;
}

/** The p95 of (wait + add) over the arrivals whose index passes `keep`; `add` is a constant or one per arrival (its own service). */
export function replayP95(arrivalsMs: readonly number[], service: Service, add: Service, keep: (i: number) => boolean): number {
  const w = lindleyWaits(arrivalsMs, service);
  const plus = typeof add === 'number' ? () => add : add;
  const kept: number[] = [];
  for (let i = 0; i < w.length; i++) if (keep(i)) kept.push((w[i] as number) + plus(i));
  if (kept.length === 0) throw new Error('no arrivals kept');
  return exactQuantile(Float64Array.from(kept).sort(), 0.95);
}

/**
 * The same model's long-run p95 of (wait + add): Poisson arrivals at `ratePerS`, `n` of them after
 * a warm-up of the same length, every request's service drawn at random from `servicesMs` (a
 * replay's engine times: the model's M/G/1 with that very distribution; one value: M/D/1); `add`
 * is a constant (first audio) or 'own' (completion: the request's own service after its wait).
 */
export function steadyP95Drawn(ratePerS: number, servicesMs: readonly number[], add: number | 'own', n = 400_000, seed = 1): number {
  if (servicesMs.length === 0) throw new Error('no service times to draw from');
  const mean = servicesMs.reduce((a, b) => a + b, 0) / servicesMs.length;
  if (!(ratePerS * mean < 1000)) throw new Error('the model is past saturation: no steady state');
  const rng = new Rng(seed, 23);
  const meanGapMs = 1000 / ratePerS;
  const draw = () => servicesMs[Math.min(servicesMs.length - 1, Math.floor(rng.nextOpen() * servicesMs.length))] as number;
  const kept = new Float64Array(n);
  let w = 0;
  let s = draw();
  for (let i = 0; i < 2 * n; i++) {
    if (i >= n) kept[i - n] = w + (add === 'own' ? s : add);
    const next = draw();
    w = Math.max(0, w + s + Math.log(rng.nextOpen()) * meanGapMs);
    s = next;
  }
  return exactQuantile(kept.sort(), 0.95);
}
