// POST /v1/plan on a real server: the planner runs in a worker thread and answers the same
// plan the CLI computes; invalid workloads name the field.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';

describe('POST /v1/plan', () => {
  let server: TestServer;
  let workload: Record<string, unknown>;
  before(async () => {
    server = await startTestServer({ espeakWorkers: 1 });
    workload = parse(await readFile(new URL('../../examples/workload.yaml', import.meta.url), 'utf8')) as Record<string, unknown>;
  });
  after(() => server.close());

  it('returns a ranked plan with a recommendation', async () => {
    const res = await postJson(`${server.url}/v1/plan`, workload);
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { recommendation: Record<string, unknown> | null; options: Record<string, unknown>[] };
    assert.ok(body.options.length > 5);
    for (const field of ['instanceType', 'strategy', 'monthlyCostUsd', 'costPerAudioHourUsd', 'peakInstances', 'p95FirstAudioMs', 'sloMet', 'profileSource']) {
      assert.ok(field in (body.options[0] ?? {}), field);
    }
    assert.ok(body.recommendation);
    assert.equal(body.recommendation.sloMet, true);
    const cheapestMeeting = Math.min(...body.options.filter((o) => o.sloMet === true).map((o) => o.monthlyCostUsd as number));
    assert.equal(body.recommendation.monthlyCostUsd, cheapestMeeting);
    assert.equal(res.headers.get('x-plan-recommended'), 'true');
  });

  it('renders HTML with SVG charts', async () => {
    const res = await postJson(`${server.url}/v1/plan?format=html`, workload);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await res.text(), /<svg/);
  });

  it('names the bad field of an invalid workload', async () => {
    const res = await postJson(`${server.url}/v1/plan`, { ...workload, requestsPerDay: -5 });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; message: string; param: string } };
    assert.equal(body.error.code, 'invalid_value');
    assert.equal(body.error.param, 'requestsPerDay');
    assert.match(body.error.message, /requestsPerDay/);
    const bad = await postJson(`${server.url}/v1/plan?format=pdf`, workload);
    assert.equal(bad.status, 400);
  });
});
