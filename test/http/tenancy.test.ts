// Tenants against a real server on loopback (AUTH=keys): two tenants' keys on one service. What
// one tenant makes (a voice, a lexicon entry) is invisible to the other on every route — list,
// read, audio, change, delete, synthesis with it, the lexicon applied to its text — and a 404 is
// what the other sees, the same answer as for an id that never existed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, startTestServer, type TestServer } from '../helpers/server.js';
import { expectError, TRANSCRIPT, uploadVoice } from '../helpers/voices.js';

let server: TestServer;
let acme: Record<string, string>;
let globex: Record<string, string>;
let voiceId: string;
let entryId: string;

const ACME_KEY = 'acme-tenant-key-0123456789abcdef';
const GLOBEX_KEY = 'globex-tenant-key-0123456789abcdef';

const json = (headers: Record<string, string>) => ({ headers: { 'content-type': 'application/json', ...headers } });

before(async () => {
  server = await startTestServer({ auth: 'keys', apiKeys: `acme:${ACME_KEY},globex:${GLOBEX_KEY}` });
  acme = { authorization: `Bearer ${ACME_KEY}` };
  globex = { authorization: `Bearer ${GLOBEX_KEY}` };
  const audio = await postJson(`${server.url}/v1/tts`, { text: TRANSCRIPT, language: 'en', format: 'wav' }, json(acme));
  assert.equal(audio.status, 200);
  const created = await uploadVoice(server.url, { audio: { bytes: new Uint8Array(await audio.arrayBuffer()) }, headers: acme, fields: { name: 'Acme narrator' } });
  assert.equal(created.status, 201, await created.clone().text());
  voiceId = ((await created.json()) as { id: string }).id;
  const entry = await postJson(`${server.url}/v1/lexicon`, { term: 'Acmezor', pronunciation: '[AE1][K][M][IY0][Z][AO2][R]', language: 'en' }, json(acme));
  assert.equal(entry.status, 201, await entry.clone().text());
  entryId = ((await entry.json()) as { id: string }).id;
});
after(async () => server.close());

describe('tenant isolation', () => {
  it('voices: the owner sees and uses its voice; the other tenant gets 404 on every route', async () => {
    const mine = (await (await fetch(`${server.url}/v1/voices`, { headers: acme })).json()) as { data: { id: string }[] };
    assert.ok(mine.data.some((v) => v.id === voiceId));
    const theirs = (await (await fetch(`${server.url}/v1/voices`, { headers: globex })).json()) as { data: { id: string }[] };
    assert.ok(!theirs.data.some((v) => v.id === voiceId), 'not in the other tenant\'s list');
    await expectError(await fetch(`${server.url}/v1/voices/${voiceId}`, { headers: globex }), 404, 'voice_not_found');
    await expectError(await fetch(`${server.url}/v1/voices/${voiceId}/audio`, { headers: globex }), 404, 'voice_not_found');
    await expectError(await fetch(`${server.url}/v1/voices/${voiceId}`, { method: 'PATCH', body: JSON.stringify({ name: 'stolen' }), ...json(globex) }), 404, 'voice_not_found');
    await expectError(await fetch(`${server.url}/v1/voices/${voiceId}`, { method: 'DELETE', headers: globex }), 404, 'voice_not_found');
    const theirSynthesis = await postJson(`${server.url}/v1/tts`, { text: 'Hello there.', voice: voiceId, format: 'wav' }, json(globex));
    assert.equal(theirSynthesis.status, 400, 'the other tenant cannot speak with it');
    assert.equal(((await theirSynthesis.json()) as { error: { code: string } }).error.code, 'unknown_voice');
    // Still there, unchanged, for its owner.
    const own = await fetch(`${server.url}/v1/voices/${voiceId}`, { headers: acme });
    assert.equal(own.status, 200);
    assert.equal(((await own.json()) as { name: string }).name, 'Acme narrator');
    const ownSynthesis = await postJson(`${server.url}/v1/tts`, { text: 'Hello there.', voice: voiceId, format: 'wav' }, json(acme));
    assert.equal(ownSynthesis.status, 200, await ownSynthesis.clone().text());
    await ownSynthesis.arrayBuffer();
  });

  it('lexicon: entries apply to the owner\'s text only; the other tenant gets 404 on every route', async () => {
    const theirs = (await (await fetch(`${server.url}/v1/lexicon`, { headers: globex })).json()) as { data: unknown[] };
    assert.deepEqual(theirs.data, []);
    await expectError(await fetch(`${server.url}/v1/lexicon/${entryId}`, { headers: globex }), 404, 'lexicon_not_found');
    await expectError(await fetch(`${server.url}/v1/lexicon/${entryId}`, { method: 'PUT', body: JSON.stringify({ term: 'Acmezor', pronunciation: '[B][IY1]', language: 'en' }), ...json(globex) }), 404, 'lexicon_not_found');
    await expectError(await fetch(`${server.url}/v1/lexicon/${entryId}`, { method: 'DELETE', headers: globex }), 404, 'lexicon_not_found');
    const preview = async (headers: Record<string, string>) =>
      (await (await postJson(`${server.url}/v1/tts/preview-text`, { text: 'Acmezor is here.', language: 'en' }, json(headers))).json()) as { text: string; lexiconApplied: unknown[] };
    const own = await preview(acme);
    assert.equal(own.lexiconApplied.length, 1);
    assert.match(own.text, /\[AE1\]/);
    const other = await preview(globex);
    assert.equal(other.lexiconApplied.length, 0);
    assert.equal(other.text, 'Acmezor is here.');
    // The other tenant may make its own entry for the same term: no conflict across tenants.
    const same = await postJson(`${server.url}/v1/lexicon`, { term: 'Acmezor', pronunciation: '[B][IY1]', language: 'en' }, json(globex));
    assert.equal(same.status, 201, await same.clone().text());
    const ownAgain = await fetch(`${server.url}/v1/lexicon/${entryId}`, { headers: acme });
    assert.equal(ownAgain.status, 200);
  });
});
