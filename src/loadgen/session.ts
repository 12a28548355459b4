// What keeps every run bounded, shared by the closed and open loops: the duration after which
// no request starts, the request budget, and the hard stop (and the caller's signal) that abort
// every request in flight, so a server that never answers still ends the run; and the parts of
// the finished run that both loops fill alike.
import { performance } from 'node:perf_hooks';
import type { LanguageCode } from '../text/language.js';
import type { Agent } from 'node:http';
import { VERSION } from '../version.js';
import { exchange, runAgent, targetInfo, type Target } from './request.js';
import { charsPerSecond, totalsOf } from './stats.js';
import type { TextSource } from './texts.js';
import type { BenchEvent, BenchRun, Phase, RequestRecord, StopReason } from './types.js';

/** The default hard stop: twice the planned time plus half a minute for the last answers. */
export function defaultHardStopS(durationS: number): number {
  return durationS * 2 + 30;
}

/** What both loops take besides their own settings: where, what to say, and the run's bounds. */
export interface LoopOptions {
  target: Target;
  texts: TextSource;
  /** Most requests sent in the whole run. */
  maxRequests?: number;
  /** Every request in flight is aborted at this many seconds (each loop has its default). */
  hardStopS?: number;
  /** Aborting it ends the run like the hard stop (the CLI's SIGINT). */
  signal?: AbortSignal;
  onEvent?: (e: BenchEvent) => void;
}

/** A session for a loop's options, with the hard stop and duration the loop settled on. */
export function sessionFor(o: LoopOptions, hardStopS: number, durationS?: number): Session {
  return new Session({
    target: o.target,
    hardStopMs: hardStopS * 1000,
    ...(durationS !== undefined ? { durationMs: durationS * 1000 } : {}),
    ...(o.maxRequests !== undefined ? { maxRequests: o.maxRequests } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
  });
}

export interface SessionOptions {
  target: Target;
  /** No request starts after this many ms (undefined: no limit here; the loop has its own). */
  durationMs?: number;
  /** Most requests sent in the whole run. */
  maxRequests?: number;
  /** At this many ms every request in flight is aborted and the run ends. */
  hardStopMs: number;
  /** Aborting it ends the run like the hard stop (the CLI's SIGINT). */
  signal?: AbortSignal;
  onEvent?: (e: BenchEvent) => void;
}

export class Session {
  readonly records: RequestRecord[] = [];
  readonly startedAt = new Date();
  sent = 0;
  /** Set once: why no more requests may start. */
  stoppedBy: StopReason | null = null;
  /** Resolves when the session stops (any reason), so waits can end early. */
  readonly stopped: Promise<void>;
  private readonly t0 = performance.now();
  private readonly inFlight = new Set<AbortController>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly agent: Agent;
  private resolveStopped!: () => void;
  private readonly onSignal = () => this.abortAll('signal');

  constructor(private readonly opts: SessionOptions) {
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    this.agent = runAgent(opts.target);
    this.timers.push(setTimeout(() => this.abortAll('hard-stop'), opts.hardStopMs));
    if (opts.durationMs !== undefined) this.timers.push(setTimeout(() => this.stop('duration'), opts.durationMs));
    if (opts.signal?.aborted) this.abortAll('signal');
    else opts.signal?.addEventListener('abort', this.onSignal, { once: true });
  }

  /** ms since the session started. */
  now(): number {
    return performance.now() - this.t0;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  emit(e: BenchEvent): void {
    this.opts.onEvent?.(e);
  }

  /** Whether another request may start now; stops the session when a bound is reached. */
  canStart(): boolean {
    if (this.stoppedBy) return false;
    if (this.opts.durationMs !== undefined && this.now() >= this.opts.durationMs) this.stop('duration');
    else if (this.opts.maxRequests !== undefined && this.sent >= this.opts.maxRequests) this.stop('max-requests');
    return this.stoppedBy === null;
  }

  /** No more requests start; those in flight finish. */
  stop(reason: StopReason): void {
    if (this.stoppedBy) return;
    this.stoppedBy = reason;
    this.emit({ type: 'stop', reason, atMs: this.now(), inFlight: this.inFlight.size });
    this.resolveStopped();
  }

  /** Stops and aborts every request in flight (they end as `aborted`). */
  abortAll(reason: 'hard-stop' | 'signal'): void {
    // A hard stop after a normal stop still aborts what is left, and says so.
    if (this.stoppedBy && this.inFlight.size === 0) return;
    if (this.stoppedBy) {
      this.stoppedBy = reason;
      this.emit({ type: 'stop', reason, atMs: this.now(), inFlight: this.inFlight.size });
    } else this.stop(reason);
    for (const ac of this.inFlight) ac.abort();
  }

  /**
   * Sends one request and records it. `phaseOf` places the record by the time it ended (closed
   * loop: warm-up, window or drain); the open loop counts everything.
   */
  async send(text: string, language: LanguageCode, chars: number, concurrency: number | null, phaseOf: (endedAtMs: number) => Phase = () => 'window'): Promise<RequestRecord> {
    const ac = new AbortController();
    this.inFlight.add(ac);
    const id = ++this.sent;
    const sentAtMs = this.now();
    this.emit({ type: 'request-start', id, atMs: sentAtMs, concurrency });
    try {
      const x = await exchange(this.opts.target, text, language, ac.signal, this.agent);
      const endedAtMs = this.now();
      const record: RequestRecord = {
        id,
        concurrency,
        language,
        chars,
        sentAtMs,
        endedAtMs,
        phase: phaseOf(endedAtMs),
        outcome: x.outcome,
        status: x.status,
        firstAudioMs: x.firstAudioMs,
        completionMs: x.completionMs,
        audioSeconds: x.audioSeconds,
        rtf: x.outcome === 'ok' && x.completionMs !== null && x.audioSeconds ? x.completionMs / 1000 / x.audioSeconds : null,
        ...(x.error ? { error: x.error } : {}),
        ...(x.detail ? { detail: x.detail } : {}),
        ...(x.retryAfterS !== undefined ? { retryAfterS: x.retryAfterS } : {}),
        ...(x.requestId ? { requestId: x.requestId } : {}),
      };
      this.records.push(record);
      this.emit({ type: 'request-end', record });
      return record;
    } finally {
      this.inFlight.delete(ac);
    }
  }

  /** Resolves after `ms`, or as soon as the session stops or `until` resolves. */
  async sleep(ms: number, until?: Promise<void>): Promise<void> {
    if (ms <= 0 || this.stoppedBy) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), this.stopped, ...(until ? [until] : [])]);
    clearTimeout(timer);
  }

  /** Clears the timers and the signal listener, closes the connections; call once the run is over. */
  close(): void {
    this.agent.destroy();
    for (const t of this.timers) clearTimeout(t);
    this.opts.signal?.removeEventListener('abort', this.onSignal);
  }
}

/** The parts of a run both loops fill the same way, once the session is over. */
export function runCommon(session: Session, o: LoopOptions, dropped: number): Pick<BenchRun, 'tool' | 'target' | 'texts' | 'startedAt' | 'endedAt' | 'wallS' | 'totals' | 'charsPerSecond' | 'records'> {
  const endedAt = new Date();
  const records = session.records;
  return {
    tool: `cosyfleet bench ${VERSION}`,
    target: targetInfo(o.target),
    texts: o.texts.describe,
    startedAt: session.startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    wallS: (endedAt.getTime() - session.startedAt.getTime()) / 1000,
    totals: totalsOf(records, session.sent, dropped),
    charsPerSecond: charsPerSecond(records),
    records,
  };
}
