// Open loop: requests arrive as a Poisson process at a fixed rate, whether or not the server
// keeps up, as real traffic does. The arrival times come from the seed alone, so a run's
// arrival count does not depend on timer jitter; arrivals beyond --max-in-flight are dropped and
// counted.
import { Rng } from '../planner/rng.js';
import { defaultHardStopS, runCommon, sessionFor, type LoopOptions } from './session.js';
import { levelStats } from './stats.js';
import type { BenchRun, RequestRecord } from './types.js';

export interface OpenLoopOptions extends LoopOptions {
  /** Mean arrivals per second. */
  rate: number;
  /** Arrivals are drawn over this many seconds (default 60; the hard stop defaults to this x 2 + 30). */
  durationS?: number;
  /** Requests in flight at most; an arrival beyond it is dropped and counted (default 10,000). */
  maxInFlight?: number;
  /** Seeds the arrival times (and nothing else; texts have their own seed). */
  seed?: number;
}

export const OPEN_LOOP_DEFAULTS = { durationS: 60, maxInFlight: 10_000, seed: 1 } as const;

/** Arrival times (ms from the start) of a Poisson process at `rate`/s over `durationS`. */
export function poissonArrivals(rate: number, durationS: number, seed: number): number[] {
  const rng = new Rng(seed);
  const out: number[] = [];
  const end = durationS * 1000;
  for (let t = rng.exponential(1000 / rate); t < end; t += rng.exponential(1000 / rate)) out.push(t);
  return out;
}

/** Runs the open loop; always resolves with the run, whatever stopped it. */
export async function runOpenLoop(o: OpenLoopOptions): Promise<BenchRun> {
  const durationS = o.durationS ?? OPEN_LOOP_DEFAULTS.durationS;
  const maxInFlight = o.maxInFlight ?? OPEN_LOOP_DEFAULTS.maxInFlight;
  const seed = o.seed ?? OPEN_LOOP_DEFAULTS.seed;
  const hardStopS = o.hardStopS ?? defaultHardStopS(durationS);
  // The arrival loop ends itself at durationS, on the schedule's own clock.
  const session = sessionFor(o, hardStopS);
  session.emit({ type: 'level-start', concurrency: null, rate: o.rate, atMs: 0, plannedS: durationS });
  const pending: Promise<RequestRecord>[] = [];
  let arrivals = 0;
  let dropped = 0;
  let lastArrivalMs = 0;
  try {
    for (const at of poissonArrivals(o.rate, durationS, seed)) {
      await session.sleep(at - session.now());
      if (!session.canStart()) break;
      arrivals++;
      lastArrivalMs = at;
      if (session.inFlightCount >= maxInFlight) {
        dropped++;
        session.emit({ type: 'drop', atMs: session.now(), arrivals, dropped });
        continue;
      }
      const item = o.texts.next();
      pending.push(session.send(item.text, item.language, item.chars, null));
    }
    session.emit({ type: 'arrivals-end', atMs: session.now(), arrivals, dropped });
    await Promise.all(pending);
  } finally {
    session.close();
  }
  const records = session.records;
  const lastEnd = records.reduce((m, r) => Math.max(m, r.endedAtMs), lastArrivalMs);
  const level = levelStats({
    concurrency: null,
    rate: o.rate,
    complete: session.stoppedBy === null,
    // From the start to the last answer: every request's audio counts, none is cut off.
    windowS: lastEnd / 1000,
    records,
    arrivals,
    sent: session.sent,
    dropped,
  });
  session.emit({ type: 'level-end', level });
  return {
    ...runCommon(session, o, dropped),
    mode: 'open',
    stoppedBy: session.stoppedBy ?? 'completed',
    levels: [level],
    saturation: null,
    settings: { rate: o.rate, durationS, maxInFlight, seed, hardStopS, ...(o.maxRequests !== undefined ? { maxRequests: o.maxRequests } : {}) },
  };
}
