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
    // examples/workload.yaml writes `zh`: planned, and reported, as Mandarin.
    assert.deepEqual((body as unknown as { workload: { languages: unknown[] } }).workload.languages, [
      { code: 'cmn', name: 'Mandarin Chinese', tag: 'zh', share: 0.6, charsPerSecond: 4.5 },
      { code: 'en', name: 'English', share: 0.4, charsPerSecond: 15 },
    ]);
  });

  it('refuses an unknown language tag naming the closest supported language, and two tags for one language', async () => {
    const unknown = await postJson(`${server.url}/v1/plan`, { ...workload, language: [{ code: 'jp', share: 1, charsPerSecond: 5 }] });
    assert.equal(unknown.status, 400);
    const body = (await unknown.json()) as { error: { code: string; message: string; param: string } };
    assert.equal(body.error.code, 'invalid_value');
    assert.equal(body.error.param, 'language[0].code');
    assert.match(body.error.message, /Language "jp" is not supported; the closest is "ja" \(Japanese\)/);
    const twice = await postJson(`${server.url}/v1/plan`, { ...workload, language: [{ code: 'zh', share: 0.5, charsPerSecond: 4.5 }, { code: 'cmn-Hans-CN', share: 0.5, charsPerSecond: 4.5 }] });
    const err = ((await twice.json()) as { error: { message: string; param: string } }).error;
    assert.equal(twice.status, 400);
    assert.equal(err.param, 'language[1].code');
    assert.match(err.message, /"cmn-Hans-CN" is cmn \(Mandarin Chinese\), which language\[0\] already lists as "zh"/);
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

  it('refuses numbers past what the model can mean with a 400 naming the field and the bound', async () => {
    // 1e12 requests a day used to be planned, for minutes.
    const res = await postJson(`${server.url}/v1/plan`, { ...workload, requestsPerDay: 1e12 });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; message: string; param: string } };
    assert.equal(body.error.code, 'invalid_value');
    assert.equal(body.error.param, 'requestsPerDay');
    assert.match(body.error.message, /requestsPerDay: must be at most 1000000000, got 1000000000000/);
    const slo = await postJson(`${server.url}/v1/plan`, { ...workload, slo: { p95FirstAudioMs: 1500, p95CompletionMs: 1e15 } });
    assert.equal(((await slo.json()) as { error: { param: string } }).error.param, 'slo.p95CompletionMs');
  });

  it('answers a body nested 5,000 levels deep with a 400 from the catalog, like every route', async () => {
    // Sent as text: JSON.stringify itself overflows the stack on such a value.
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    const inProfiles = JSON.stringify(workload).replace(/}$/, `,"profiles":${deep}}`);
    for (const [text, param] of [[deep, 'a'], [inProfiles, 'profiles.a'], [`{"name":${'['.repeat(5000)}${']'.repeat(5000)}}`, 'name']] as const) {
      const res = await postJson(`${server.url}/v1/plan`, text);
      assert.equal(res.status, 400, await res.clone().text());
      const body = (await res.json()) as { error: { code: string; message: string; param: string } };
      assert.equal(body.error.code, 'invalid_value');
      assert.equal(body.error.param, param);
    }
    // A body of many bad fields quotes only the first ten problems.
    const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`x${i}`, 1]));
    const res = await postJson(`${server.url}/v1/plan`, { ...workload, ...many });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /; and 4990 more$/);
  });
});
