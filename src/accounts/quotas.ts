// Per-key limits on synthesis: requests per minute (a sliding window), requests in progress, and
// characters and audio seconds per UTC day and month. The minute and the concurrency are counted
// by this node (a process cannot see another's in-flight requests without a shared store; with N
// nodes behind a balancer a key gets up to N times them); days and months are counted from the
// usage table, which every node shares on PostgreSQL. Each answer says what is left, in the
// headers OpenAI clients read (x-ratelimit-*).
import { AppError } from '../errors/app-error.js';
import type { UsageStore } from '../usage/usage-store.js';
import type { Principal } from './principal.js';

export interface Admission {
  /** Headers the response carries (limits, remaining, reset). */
  readonly headers: Record<string, string>;
  /** The request has finished (whatever its outcome): frees its concurrency slot and reserved characters. */
  release(): void;
}

const MINUTE_MS = 60_000;

/** OpenAI's reset format: "1s", "6m0s", "1h2m3s". */
export function resetIn(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${m}m${r}s` : m > 0 ? `${m}m${r}s` : `${r}s`;
}

function startOfDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}
function startOfMonth(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}
function nextDay(now: Date): Date {
  return new Date(startOfDay(now).getTime() + 86_400_000);
}
function nextMonth(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}

export class QuotaGuard {
  private readonly windows = new Map<string, number[]>();
  private readonly inFlight = new Map<string, { requests: number; characters: number }>();

  constructor(
    private readonly usage: UsageStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Admits one synthesis request of `characters` for the caller, or throws 429. */
  async admit(principal: Principal, characters: number): Promise<Admission> {
    const limits = principal.limits;
    const key = principal.keyId;
    const t = this.now();
    const headers: Record<string, string> = {};
    const flight = this.inFlight.get(key) ?? { requests: 0, characters: 0 };

    if (limits.concurrentRequests !== null && flight.requests >= limits.concurrentRequests) {
      throw new AppError('concurrency_limited', `This API key has ${flight.requests} requests in progress, its limit (concurrentRequests ${limits.concurrentRequests}); retry when one has finished.`, { retryAfterSeconds: 1 });
    }

    let window: number[] | undefined;
    if (limits.requestsPerMinute !== null) {
      window = (this.windows.get(key) ?? []).filter((at) => at > t - MINUTE_MS);
      this.windows.set(key, window);
      const oldest = window[0];
      if (window.length >= limits.requestsPerMinute && oldest !== undefined) {
        const waitMs = oldest + MINUTE_MS - t;
        headers['x-ratelimit-limit-requests'] = String(limits.requestsPerMinute);
        headers['x-ratelimit-remaining-requests'] = '0';
        headers['x-ratelimit-reset-requests'] = resetIn(waitMs);
        throw Object.assign(new AppError('rate_limited', `This API key has made ${window.length} requests in the last minute, its limit (requestsPerMinute ${limits.requestsPerMinute}); retry in ${Math.ceil(waitMs / 1000)} s.`, { retryAfterSeconds: waitMs / 1000 }), { headers });
      }
    }

    const date = new Date(t);
    const periods = [
      { name: 'day', chars: limits.charactersPerDay, audio: limits.audioSecondsPerDay, from: startOfDay(date), until: nextDay(date) },
      { name: 'month', chars: limits.charactersPerMonth, audio: limits.audioSecondsPerMonth, from: startOfMonth(date), until: nextMonth(date) },
    ];
    for (const p of periods) {
      if (p.chars === null && p.audio === null) continue;
      const used = await this.usage.keyTotals(key, p.from.toISOString());
      const renewS = (p.until.getTime() - t) / 1000;
      if (p.chars !== null) {
        const taken = used.characters + flight.characters;
        if (taken + characters > p.chars) {
          throw new AppError(
            'quota_exceeded',
            `This request's ${characters} characters would pass the API key's characters per ${p.name} (${p.chars}; ${taken} used or in progress); the quota renews in ${Math.ceil(renewS)} s (UTC).`,
            { param: 'text', retryAfterSeconds: renewS },
          );
        }
        if (p.name === 'day' || limits.charactersPerDay === null) {
          headers['x-ratelimit-limit-characters'] = String(p.chars);
          headers['x-ratelimit-remaining-characters'] = String(Math.max(0, p.chars - taken - characters));
          headers['x-ratelimit-reset-characters'] = resetIn(renewS * 1000);
        }
      }
      if (p.audio !== null && used.audioSeconds >= p.audio) {
        throw new AppError('quota_exceeded', `The API key has used its audio seconds per ${p.name} (${p.audio}; ${Math.round(used.audioSeconds)} used); the quota renews in ${Math.ceil(renewS)} s (UTC).`, { retryAfterSeconds: renewS });
      }
    }

    // Admitted: count it.
    if (window && limits.requestsPerMinute !== null) {
      window.push(t);
      headers['x-ratelimit-limit-requests'] = String(limits.requestsPerMinute);
      headers['x-ratelimit-remaining-requests'] = String(limits.requestsPerMinute - window.length);
      headers['x-ratelimit-reset-requests'] = resetIn((window[0] as number) + MINUTE_MS - t);
    }
    flight.requests++;
    flight.characters += characters;
    this.inFlight.set(key, flight);
    let released = false;
    return {
      headers,
      release: () => {
        if (released) return;
        released = true;
        flight.requests--;
        flight.characters -= characters;
        if (flight.requests === 0) this.inFlight.delete(key);
      },
    };
  }
}
