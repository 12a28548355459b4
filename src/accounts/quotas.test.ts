// Per-key limits with a controlled clock and a real usage store (SQLite in memory): each limit
// refuses with its code and a Retry-After that is exactly when it renews, and recovers then.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../errors/app-error.js';
import { openDatabase } from '../storage/sqlite.js';
import { SqliteUsageStore } from '../storage/sqlite-usage-store.js';
import { NO_LIMITS, type KeyLimits } from './key-store.js';
import type { Principal } from './principal.js';
import { QuotaGuard, resetIn } from './quotas.js';

const principal = (limits: Partial<KeyLimits>): Principal => ({ tenant: 'acme', keyId: 'key_a', name: 'a', scopes: new Set(['synthesize']), limits: { ...NO_LIMITS, ...limits }, storeByDefault: false });

async function refused(p: Promise<unknown>, code: string): Promise<AppError> {
  const err = await p.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AppError);
  assert.equal(err.code, code);
  assert.equal(err.status, 429);
  return err;
}

describe('QuotaGuard', () => {
  it('requests per minute: a sliding window, Retry-After until the oldest leaves it, then admitted again', async () => {
    let now = Date.parse('2026-12-04T10:00:00Z');
    const guard = new QuotaGuard(new SqliteUsageStore(openDatabase(':memory:')), () => now);
    const p = principal({ requestsPerMinute: 3 });
    const first = await guard.admit(p, 10);
    assert.equal(first.headers['x-ratelimit-remaining-requests'], '2');
    now += 20_000;
    await guard.admit(p, 10);
    now += 20_000;
    const third = await guard.admit(p, 10);
    assert.equal(third.headers['x-ratelimit-remaining-requests'], '0');
    assert.equal(third.headers['x-ratelimit-reset-requests'], '20s');
    now += 5_000;
    const err = await refused(guard.admit(p, 10), 'rate_limited');
    assert.equal(err.retryAfterSeconds, 15);
    now += 15_000;
    const again = await guard.admit(p, 10);
    assert.equal(again.headers['x-ratelimit-remaining-requests'], '0');
  });

  it('concurrent requests: the next waits until one is released', async () => {
    const guard = new QuotaGuard(new SqliteUsageStore(openDatabase(':memory:')));
    const p = principal({ concurrentRequests: 2 });
    const a = await guard.admit(p, 1);
    await guard.admit(p, 1);
    await refused(guard.admit(p, 1), 'concurrency_limited');
    a.release();
    a.release(); // twice is once
    await guard.admit(p, 1);
    await refused(guard.admit(p, 1), 'concurrency_limited');
  });

  it('characters per day: counted from usage and in-flight requests, refused until midnight UTC, renewed after', async () => {
    let now = Date.parse('2026-12-04T23:00:00Z');
    const usage = new SqliteUsageStore(openDatabase(':memory:'));
    const guard = new QuotaGuard(usage, () => now);
    const p = principal({ charactersPerDay: 1000 });
    await usage.record({ requestId: 'r1', tenant: 'acme', keyId: 'key_a', route: 'POST /v1/tts', at: '2026-12-04T08:00:00.000Z', characters: 700, audioSeconds: 40, engineSeconds: 1, outcome: 'completed' });
    await usage.record({ requestId: 'r0', tenant: 'acme', keyId: 'key_a', route: 'POST /v1/tts', at: '2026-12-03T08:00:00.000Z', characters: 5000, audioSeconds: 40, engineSeconds: 1, outcome: 'completed' });
    const ok = await guard.admit(p, 200);
    assert.equal(ok.headers['x-ratelimit-remaining-characters'], '100');
    const err = await refused(guard.admit(p, 200), 'quota_exceeded');
    assert.equal(err.param, 'text');
    assert.equal(err.retryAfterSeconds, 3600);
    // The in-flight request finishes and is recorded: still over for today.
    ok.release();
    await usage.record({ requestId: 'r2', tenant: 'acme', keyId: 'key_a', route: 'POST /v1/tts', at: '2026-12-04T23:00:01.000Z', characters: 200, audioSeconds: 10, engineSeconds: 1, outcome: 'completed' });
    await refused(guard.admit(p, 200), 'quota_exceeded');
    now = Date.parse('2026-12-05T00:00:00Z');
    await guard.admit(p, 1000);
  });

  it('audio seconds per month: refused once used up, renewed on the 1st', async () => {
    let now = Date.parse('2026-12-31T12:00:00Z');
    const usage = new SqliteUsageStore(openDatabase(':memory:'));
    const guard = new QuotaGuard(usage, () => now);
    const p = principal({ audioSecondsPerMonth: 60 });
    await guard.admit(p, 5);
    await usage.record({ requestId: 'r1', tenant: 'acme', keyId: 'key_a', route: 'POST /v1/tts', at: '2026-12-02T00:00:00.000Z', characters: 5, audioSeconds: 61, engineSeconds: 1, outcome: 'completed' });
    const err = await refused(guard.admit(p, 5), 'quota_exceeded');
    assert.equal(err.retryAfterSeconds, 12 * 3600);
    now = Date.parse('2027-01-01T00:00:01Z');
    await guard.admit(p, 5);
  });

  it('resetIn writes OpenAI\'s duration format', () => {
    assert.equal(resetIn(400), '1s');
    assert.equal(resetIn(59_000), '59s');
    assert.equal(resetIn(360_000), '6m0s');
    assert.equal(resetIn(3_723_000), '1h2m3s');
  });
});
