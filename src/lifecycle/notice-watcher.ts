// Polls the metadata items that announce this instance's end (notices.ts) and reports each
// notice once. AWS asks for the spot notice to be polled about every 5 s: it comes two minutes
// before the action, and the only other sign is the instance going away.
import type { Logger } from 'pino';
import { ImdsUnavailable, type ImdsClient } from './imds-client.js';
import {
  LIFECYCLE_STATE_PATH,
  REBALANCE_PATH,
  SPOT_ACTION_PATH,
  leavesService,
  parseLifecycleState,
  parseRebalance,
  parseSpotAction,
  type InstanceNotice,
} from './notices.js';

/** Why a poll of one item told us nothing (label values of cosyfleet_imds_problems_total). */
export type ImdsProblem = 'unreachable' | 'malformed' | 'status';

export interface NoticeWatcherOptions {
  readonly imds: ImdsClient;
  readonly pollMs: number;
  readonly logger: Logger;
  readonly onNotice: (notice: InstanceNotice) => void;
  readonly onProblem?: (problem: ImdsProblem, path: string) => void;
}

export class NoticeWatcher {
  private timer: NodeJS.Timeout | null = null;
  private readonly abort = new AbortController();
  private stopped = false;
  private spotSeen = false;
  private rebalanceSeen: number | null = null;
  private scaleInSeen = false;
  private wasInService = false;
  /** The last problem logged per path, so a lasting outage is logged once, not every poll. */
  private readonly lastProblem = new Map<string, string>();
  /** Completed polls (tests wait on this instead of the clock). */
  polls = 0;
  /** Whether the metadata service has answered any read (IMDS_WATCH=auto watches only then). */
  answered = false;
  /** The target lifecycle state last read (null: none yet, or not in an Auto Scaling group). */
  lifecycleState: string | null = null;

  constructor(private readonly options: NoticeWatcherOptions) {}

  start(): void {
    if (this.timer || this.stopped) return;
    const tick = () => {
      void this.poll().finally(() => {
        if (this.stopped) return;
        this.timer = setTimeout(tick, this.options.pollMs);
        this.timer.unref();
      });
    };
    this.timer = setTimeout(tick, 0);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
  }

  /** Reads the three items once and reports what is new. */
  async poll(): Promise<void> {
    await Promise.all([
      this.read(SPOT_ACTION_PATH, (body) => {
        const notice = parseSpotAction(body);
        if (notice && !this.spotSeen) {
          this.spotSeen = true;
          this.options.onNotice(notice);
        }
        return notice !== null;
      }),
      this.read(REBALANCE_PATH, (body) => {
        const notice = parseRebalance(body);
        if (notice && this.rebalanceSeen !== notice.noticeTime) {
          this.rebalanceSeen = notice.noticeTime;
          this.options.onNotice(notice);
        }
        return notice !== null;
      }),
      this.read(LIFECYCLE_STATE_PATH, (body) => {
        const state = parseLifecycleState(body);
        if (state === null) return false;
        if (state !== this.lifecycleState) this.options.logger.info({ state, previous: this.lifecycleState }, 'Auto Scaling target lifecycle state');
        this.lifecycleState = state;
        if (state === 'InService') this.wasInService = true;
        else if (!this.scaleInSeen && leavesService(state, this.wasInService)) {
          this.scaleInSeen = true;
          this.options.onNotice({ kind: 'scale_in', state });
        }
        return true;
      }),
    ]);
    this.polls++;
  }

  /** One item: 404 is "nothing announced"; a 200 body goes to `take`, which says if it was well formed. */
  private async read(path: string, take: (body: string) => boolean): Promise<void> {
    if (this.stopped) return;
    let problem: ImdsProblem | null = null;
    let detail = '';
    try {
      const res = await this.options.imds.get(path, this.abort.signal);
      this.answered = true;
      if (res.status === 200) {
        if (!take(res.body)) {
          problem = 'malformed';
          detail = res.body.slice(0, 200);
        }
      } else if (res.status !== 404) {
        problem = 'status';
        detail = String(res.status);
      }
    } catch (err) {
      if (this.stopped) return;
      problem = 'unreachable';
      detail = err instanceof ImdsUnavailable ? err.message : String(err);
    }
    if (problem === null) {
      this.lastProblem.delete(path);
      return;
    }
    this.options.onProblem?.(problem, path);
    const key = `${problem} ${detail}`;
    if (this.lastProblem.get(path) === key) return;
    this.lastProblem.set(path, key);
    this.options.logger.warn({ path, problem, detail }, 'instance metadata read told nothing; ignored until it does');
  }
}
