// The cost meter against a real usage store (SQLite in memory) over a simulated hour: every
// request's cost plus the idle minutes' add up to the instance's price for the hour, whatever
// the utilisation did, and within a minute requests pay in proportion to their engine time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openDatabase } from '../storage/sqlite.js';
import { SqliteUsageStore } from '../storage/sqlite-usage-store.js';
import { Rng } from '../planner/rng.js';
import { CostMeter, IDLE_TENANT } from './cost-meter.js';

const PRICE = 1.006; // g5.xlarge on demand, $/hour

function setup(startMs: number) {
  const usage = new SqliteUsageStore(openDatabase(':memory:'));
  let now = startMs;
  const attributed = new Map<string, number>();
  const meter = new CostMeter(usage, PRICE, () => now, (tenant, usd) => attributed.set(tenant, (attributed.get(tenant) ?? 0) + usd));
  return { usage, meter, attributed, at: (ms: number) => (now = ms), now: () => now };
}

describe('CostMeter', () => {
  it('an hour of varying utilisation (busy, idle, bursts) adds up to the hourly price', async () => {
    const start = Date.parse('2026-12-04T10:00:17.000Z'); // mid-minute: the first minute is partial
    const { usage, meter, attributed, at } = setup(start);
    const rng = new Rng(7, 1);
    const ids: string[] = [];
    let n = 0;
    for (let minute = 0; minute < 60; minute++) {
      // Minutes 20–29 idle; others 0–40 requests of 0.05–3 s engine time.
      const count = minute >= 20 && minute < 30 ? 0 : Math.floor(rng.next() * 41);
      for (let i = 0; i < count; i++) {
        const t = start + minute * 60_000 + Math.floor(rng.next() * 59_000);
        at(t);
        const id = `req_${++n}`;
        ids.push(id);
        const tenant = n % 3 === 0 ? 'globex' : 'acme';
        await usage.record({ requestId: id, tenant, keyId: `key_${tenant}`, route: 'POST /v1/tts', at: new Date(t).toISOString(), characters: 100, audioSeconds: 5, engineSeconds: 0.05 + rng.next() * 3, outcome: 'completed' });
        meter.finished(id, tenant, (await usage.get(id))!.engineSeconds);
      }
    }
    at(start + 3_600_000);
    await meter.stop();
    let requests = 0;
    for (const id of ids) requests += (await usage.get(id))!.costUsd;
    const idle = (await usage.idle('2026-12-04', '2026-12-04')).reduce((s, d) => s + d.costUsd, 0);
    assert.ok(idle > 0, 'the idle minutes are priced');
    assert.ok(Math.abs(requests + idle - PRICE) < 1e-9, `requests ${requests} + idle ${idle} = ${requests + idle}, the hour costs ${PRICE}`);
    // The same split reaches the metrics, idle minutes under their own tenant.
    const metricTotal = [...attributed.values()].reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(metricTotal - PRICE) < 1e-9);
    assert.ok(Math.abs((attributed.get(IDLE_TENANT) ?? 0) - idle) < 1e-12);
    // Per tenant and day, as GET /v1/usage answers.
    const daily = await usage.daily('2026-12-04', '2026-12-04');
    assert.deepEqual(daily.map((d) => d.tenant).sort(), ['acme', 'globex']);
    assert.ok(Math.abs(daily.reduce((s, d) => s + d.costUsd, 0) - requests) < 1e-9);
  });

  it('within a minute, requests pay in proportion to their engine time', async () => {
    const start = Date.parse('2026-12-04T10:00:00.000Z');
    const { usage, meter, at } = setup(start);
    for (const [id, engine] of [['a', 1], ['b', 3]] as const) {
      at(start + 10_000);
      await usage.record({ requestId: id, tenant: 't', keyId: 'k', route: 'POST /v1/tts', at: new Date(start + 10_000).toISOString(), characters: 1, audioSeconds: 1, engineSeconds: engine, outcome: 'completed' });
      meter.finished(id, 't', engine);
    }
    // Nothing is attributed before the minute ends.
    await meter.close(start + 59_999);
    assert.equal((await usage.get('a'))!.costUsd, 0);
    await meter.close(start + 60_000);
    const minute = PRICE / 60;
    assert.ok(Math.abs((await usage.get('a'))!.costUsd - minute / 4) < 1e-12);
    assert.ok(Math.abs((await usage.get('b'))!.costUsd - (3 * minute) / 4) < 1e-12);
  });

  it('an unknown price attributes nothing', async () => {
    const usage = new SqliteUsageStore(openDatabase(':memory:'));
    const meter = new CostMeter(usage, null, () => 0);
    meter.finished('x', 't', 5);
    await meter.close(3_600_000, true);
    assert.deepEqual(await usage.idle('1970-01-01', '1970-01-01'), []);
  });
});
