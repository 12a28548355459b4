// The shapes a bench run is made of: one record per request, the statistics of each level
// (a closed-loop concurrency, or the open loop's one rate) and the run as a whole.
import type { LanguageCode } from '../text/language.js';
import type { BenchAudioFormat } from './audio-length.js';
import type { Outcome, Route } from './request.js';
import type { TextSource } from './texts.js';

/** Why a run ended. */
export type StopReason =
  | 'completed' // every level ran (closed) / every arrival was sent (open)
  | 'saturation' // throughput stopped growing
  | 'errors' // a level's error/429 share passed ERROR_SHARE_LIMIT
  | 'duration' // --duration ran out
  | 'max-requests' // --max-requests were sent
  | 'hard-stop' // --hard-stop: every request in flight was aborted
  | 'signal'; // the caller's AbortSignal (SIGINT in the CLI): every request in flight was aborted

/** Where a request ended relative to its level's measurement window. */
export type Phase = 'warmup' | 'window' | 'drain';

export interface RequestRecord {
  /** 1, 2, ... in the order sent. */
  id: number;
  /** The closed-loop level (concurrency) or null in the open loop. */
  concurrency: number | null;
  language: LanguageCode;
  chars: number;
  /** ms since the run started. */
  sentAtMs: number;
  endedAtMs: number;
  phase: Phase;
  outcome: Outcome;
  status: number | null;
  firstAudioMs: number | null;
  completionMs: number | null;
  audioSeconds: number | null;
  /** completion / audio seconds: wall time per audio second, queueing included. */
  rtf: number | null;
  error?: string;
  detail?: string;
  /** A 429's Retry-After, in seconds. */
  retryAfterS?: number;
  /** The server's X-Request-Id, which its log lines carry (cosyfleet: `reqId`). */
  requestId?: string;
}

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface LevelStats {
  /** Closed loop: requests kept in flight. null in the open loop. */
  concurrency: number | null;
  /** Open loop: the arrival rate (requests/s). null in the closed loop. */
  rate: number | null;
  /** false when the run was stopped (duration, hard stop, signal, max requests) inside this level. */
  complete: boolean;
  /** Length of the measurement window in seconds. */
  windowS: number;
  /** Requests that ended inside the window (every outcome but aborted). */
  requests: number;
  ok: number;
  /** Failures other than 429, by class: `http 500`, `network ECONNRESET`, `bad audio`. */
  errors: Record<string, number>;
  errorCount: number;
  /** 429 answers (admission refused), apart from the other errors. */
  status429: number;
  /** (errors + 429s) / requests in the window; 0 without requests. */
  errorShare: number;
  /** Requests of this level aborted (hard stop, signal), whenever they were sent. */
  aborted: number;
  /** Requests that ended in the warm-up or after the window (not in the statistics). */
  warmup: number;
  drained: number;
  /** Open loop only: arrivals drawn, sent and dropped at --max-in-flight. */
  arrivals?: number;
  sent?: number;
  dropped?: number;
  audioSeconds: number;
  /** Audio seconds of the window's successful requests per window second. */
  audioSecondsPerSecond: number;
  /** Successful requests per window second. */
  requestsPerSecond: number;
  firstAudioMs: Summary | null;
  completionMs: Summary | null;
  meanRtf: number | null;
  /** One server message per error class, to say what went wrong. */
  errorSamples: Record<string, string>;
}

export interface BenchRun {
  /** `cosyfleet bench <version>`. */
  tool: string;
  mode: 'closed' | 'open';
  target: { url: string; route: Route; path: string; audioFormat: BenchAudioFormat; voice?: string; model?: string };
  texts: TextSource['describe'];
  startedAt: string;
  endedAt: string;
  wallS: number;
  stoppedBy: StopReason;
  levels: LevelStats[];
  /**
   * Closed loop: the concurrency where throughput stopped growing (or the last level that ran
   * cleanly, with saturated false), and why the ramp ended. null in the open loop.
   */
  saturation: { concurrency: number | null; saturated: boolean; reason: string } | null;
  totals: { arrivals: number; sent: number; ok: number; errors: number; status429: number; aborted: number; dropped: number };
  /** Characters per audio second of the successful requests, by language (the workload's `charsPerSecond`). */
  charsPerSecond: Record<string, number>;
  /** The run's own settings (level duration, warm-up, bounds, seed). */
  settings: Record<string, string | number | boolean>;
  records: RequestRecord[];
}

export type BenchEvent =
  | { type: 'request-start'; id: number; atMs: number; concurrency: number | null }
  | { type: 'request-end'; record: RequestRecord }
  | { type: 'level-start'; concurrency: number | null; rate: number | null; atMs: number; plannedS: number }
  | { type: 'window-start'; concurrency: number | null; atMs: number }
  | { type: 'level-end'; level: LevelStats }
  | { type: 'drop'; atMs: number; arrivals: number; dropped: number }
  | { type: 'arrivals-end'; atMs: number; arrivals: number; dropped: number }
  | { type: 'stop'; reason: StopReason; atMs: number; inFlight: number };

/**
 * A closed-loop client whose request was refused (429) waits the answer's Retry-After (this when
 * it gives none, at most RETRY_AFTER_MAX_S) before its next request, as a well-behaved client
 * does; after any other failure it waits ERROR_PAUSE_S. Neither wait outlasts the level's window.
 * Without them a refusing or failing server meets a client in a tight loop, which measures the
 * client, not the server.
 */
export const RETRY_AFTER_DEFAULT_S = 1;
export const RETRY_AFTER_MAX_S = 10;
export const ERROR_PAUSE_S = 0.05;

/** A level whose errors and 429s pass this share of its requests ends the ramp. */
export const ERROR_SHARE_LIMIT = 0.05;
/** Throughput growth below this share from one level to the next counts as flat. */
export const FLAT_GROWTH = 0.05;
/** Flat levels in a row that mean saturation. */
export const FLAT_LEVELS = 2;
