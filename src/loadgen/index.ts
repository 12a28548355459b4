// The load generator's API, for callers in-process (the planner validation script, tests):
// run a closed or open loop against a server, turn the run into a profile, render reports.
// `cosyfleet bench` (command.ts) is a thin layer over these.

/**
 * Closed loop: `c` clients each send their next request as soon as the last ends, at each
 * concurrency level (default 1, 2, 4, ... up to 64) after a warm-up, until aggregate audio-s/s
 * grows less than 5% at two levels in a row or a level's errors and 429s pass 5%. Resolves with
 * the run whatever stopped it (duration, request budget, hard stop, signal).
 */
export { runClosedLoop, doublingLevels, CLOSED_LOOP_DEFAULTS, type ClosedLoopOptions } from './closed-loop.js';
/**
 * Open loop: Poisson arrivals at `rate`/s for `durationS` (times from `seed` alone), at most
 * `maxInFlight` in flight; arrivals beyond it are dropped and counted
 * (arrivals = sent + dropped; sent = ok + errors + 429s + aborted).
 */
export { runOpenLoop, poissonArrivals, OPEN_LOOP_DEFAULTS, type OpenLoopOptions } from './open-loop.js';
/** A closed-loop run as an engine profile that `loadUserProfiles` / `cosyfleet plan --profile` read. */
export { toProfile, localHost, ProfileError, type ProfileMeta, type BenchProfile } from './profile.js';
/** Reports: a terminal table, JSON (records on request), markdown, HTML (pass renderBenchCharts' result). */
export { renderTable, renderJson, renderMarkdown, renderHtml } from './report.js';
/** The HTML report's SVG charts (Vega, loaded on demand); null for an open loop. */
export { renderBenchCharts, type BenchCharts } from './charts.js';
/** Texts: fixed length and language, or a planner workload's length distribution and language mix. */
export { fixedTexts, workloadTexts, sampleText, SAMPLE_PASSAGES, type TextSource, type TextItem } from './texts.js';
/** The target server and one request to it. */
export { endpoint, requestInit, routePath, exchange, type Target, type Route, type Exchange, type Outcome } from './request.js';
export { BENCH_AUDIO_FORMATS, type BenchAudioFormat } from './audio-length.js';
export { defaultHardStopS, type LoopOptions } from './session.js';
export { summarize, quantile } from './stats.js';
export { runBenchCommand, type BenchIo } from './command.js';
export {
  ERROR_SHARE_LIMIT,
  FLAT_GROWTH,
  FLAT_LEVELS,
  type BenchRun,
  type BenchEvent,
  type LevelStats,
  type RequestRecord,
  type StopReason,
  type Summary,
} from './types.js';
