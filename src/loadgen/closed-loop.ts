// Closed loop: `c` clients, each sending its next request as soon as the last one ends, at
// c = 1, 2, 4, ... until throughput stops growing or errors pass the limit. Each level warms up
// first; its statistics cover the requests that end inside its measurement window.
import { defaultHardStopS, runCommon, sessionFor, type LoopOptions, type Session } from './session.js';
import { levelStats } from './stats.js';
import type { TextSource } from './texts.js';
import { ERROR_PAUSE_S, ERROR_SHARE_LIMIT, FLAT_GROWTH, FLAT_LEVELS, RETRY_AFTER_DEFAULT_S, RETRY_AFTER_MAX_S, type BenchRun, type LevelStats, type Phase, type RequestRecord, type StopReason } from './types.js';

export interface ClosedLoopOptions extends LoopOptions {
  /** Concurrency levels in order (default 1, 2, 4, ... up to maxConcurrency). */
  concurrency?: readonly number[];
  /** Largest level of the default ramp (default 64). */
  maxConcurrency?: number;
  /** Measured seconds per level (default 20). */
  levelDurationS?: number;
  /** Ends a level's window after this many measured requests, if that comes first. */
  levelRequests?: number;
  /** Seconds each level runs before its window opens (default 3). */
  warmupS?: number;
  /** No request starts after this many seconds (default: no limit but the levels' own). Hard stop default: this, else the levels' warm-ups and windows, x 2 + 30. */
  durationS?: number;
}

export const CLOSED_LOOP_DEFAULTS = { maxConcurrency: 64, levelDurationS: 20, warmupS: 3 } as const;

/** 1, 2, 4, ... up to max (max itself last when it is not a power of two). */
export function doublingLevels(max: number): number[] {
  const out: number[] = [];
  for (let c = 1; c < max; c *= 2) out.push(c);
  out.push(max);
  return out;
}

/** Runs the closed-loop ramp; always resolves with the run, whatever stopped it. */
export async function runClosedLoop(o: ClosedLoopOptions): Promise<BenchRun> {
  const levels = o.concurrency ? [...o.concurrency] : doublingLevels(o.maxConcurrency ?? CLOSED_LOOP_DEFAULTS.maxConcurrency);
  const levelDurationS = o.levelDurationS ?? CLOSED_LOOP_DEFAULTS.levelDurationS;
  const warmupS = o.warmupS ?? CLOSED_LOOP_DEFAULTS.warmupS;
  // Without --duration the ramp is bounded by its levels; the hard stop allows for the drains.
  const plannedS = levels.length * (warmupS + levelDurationS);
  const hardStopS = o.hardStopS ?? defaultHardStopS(o.durationS ?? plannedS);
  const session = sessionFor(o, hardStopS, o.durationS);
  const stats: LevelStats[] = [];
  let rampEnd: { reason: StopReason; concurrency: number | null; saturated: boolean; why: string } | null = null;
  try {
    let flat = 0;
    let peak: LevelStats | null = null;
    let lastClean: LevelStats | null = null;
    for (const c of levels) {
      if (!session.canStart()) break;
      const level = await runLevel(session, c, o.texts, warmupS, levelDurationS, o.levelRequests);
      stats.push(level);
      session.emit({ type: 'level-end', level });
      if (!level.complete) break;
      if (level.errorShare > ERROR_SHARE_LIMIT) {
        const why = `${(level.errorShare * 100).toFixed(1)}% of the requests at concurrency ${c} failed or were refused (limit ${ERROR_SHARE_LIMIT * 100}%)`;
        rampEnd = { reason: 'errors', concurrency: lastClean?.concurrency ?? null, saturated: false, why };
        break;
      }
      lastClean = level;
      if (peak === null || level.audioSecondsPerSecond >= peak.audioSecondsPerSecond * (1 + FLAT_GROWTH)) {
        // Growth is measured against the last level that still grew, so a slow creep of 4% a
        // level does not hide a plateau.
        flat = 0;
        peak = level;
      } else if (++flat >= FLAT_LEVELS) {
        rampEnd = { reason: 'saturation', concurrency: peak.concurrency, saturated: true, why: `throughput grew less than ${FLAT_GROWTH * 100}% over concurrency ${peak.concurrency} at ${FLAT_LEVELS} levels in a row` };
        break;
      }
    }
    if (!rampEnd) {
      const reason = session.stoppedBy ?? 'completed';
      rampEnd = { reason, concurrency: lastClean?.concurrency ?? null, saturated: false, why: reason === 'completed' ? 'every level ran without reaching saturation' : `stopped by ${reason}` };
    }
  } finally {
    session.close();
  }
  return {
    ...runCommon(session, o, 0),
    mode: 'closed',
    // A bound that cut the run short says so even when the ramp had its own reason.
    stoppedBy: session.stoppedBy === 'hard-stop' || session.stoppedBy === 'signal' ? session.stoppedBy : rampEnd.reason,
    levels: stats,
    saturation: { concurrency: rampEnd.concurrency, saturated: rampEnd.saturated, reason: rampEnd.why },
    settings: {
      levels: levels.join(','),
      levelDurationS,
      warmupS,
      ...(o.durationS !== undefined ? { durationS: o.durationS } : {}),
      hardStopS,
      ...(o.levelRequests !== undefined ? { levelRequests: o.levelRequests } : {}),
      ...(o.maxRequests !== undefined ? { maxRequests: o.maxRequests } : {}),
    },
  };
}

async function runLevel(session: Session, c: number, texts: TextSource, warmupS: number, levelDurationS: number, levelRequests: number | undefined): Promise<LevelStats> {
  const start = session.now();
  const windowStart = start + warmupS * 1000;
  session.emit({ type: 'level-start', concurrency: c, rate: null, atMs: start, plannedS: warmupS + levelDurationS });
  let windowEnd: number | null = null;
  let closedByLevel = false;
  let measured = 0;
  let closed!: () => void;
  const windowClosed = new Promise<void>((resolve) => (closed = resolve));
  const close = (byLevel: boolean) => {
    if (windowEnd !== null) return;
    windowEnd = session.now();
    closedByLevel = byLevel;
    closed();
  };
  const warm = setTimeout(() => session.emit({ type: 'window-start', concurrency: c, atMs: session.now() }), warmupS * 1000);
  const timer = setTimeout(() => close(true), (warmupS + levelDurationS) * 1000);
  void session.stopped.then(() => close(false));
  const phaseOf = (endedAt: number): Phase => {
    if (windowEnd !== null) return 'drain';
    if (endedAt < windowStart) return 'warmup';
    if (levelRequests !== undefined && ++measured >= levelRequests) close(true);
    return 'window';
  };
  const records: RequestRecord[] = [];
  const client = async () => {
    while (windowEnd === null && session.canStart()) {
      const item = texts.next();
      const r = await session.send(item.text, item.language, item.chars, c, phaseOf);
      records.push(r);
      if (r.outcome === 'ok' || r.outcome === 'aborted') continue;
      const pauseS = r.status === 429 ? Math.min(RETRY_AFTER_MAX_S, r.retryAfterS ?? RETRY_AFTER_DEFAULT_S) : ERROR_PAUSE_S;
      await session.sleep(pauseS * 1000, windowClosed);
    }
  };
  try {
    await Promise.all(Array.from({ length: c }, client));
  } finally {
    clearTimeout(timer);
    clearTimeout(warm);
  }
  close(false);
  const end = windowEnd ?? session.now();
  return levelStats({
    concurrency: c,
    rate: null,
    complete: closedByLevel,
    windowS: Math.max(0, (end - windowStart) / 1000),
    records,
  });
}
