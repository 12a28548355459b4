// What a browser can make the service do on someone's behalf, against a real server on loopback:
// a DNS-rebinding Host, a cross-site multipart upload (a CORS "simple request": no preflight),
// and voice/lexicon writes without a key on a service bound beyond loopback. Each refused write
// leaves nothing behind.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { blobFiles, speech, TRANSCRIPT } from '../helpers/voices.js';

const WRITE_KEY = 'site-guard-write-key-0123456789';
const ADMIN_KEY = 'site-guard-admin-key-0123456789';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function server(overrides: Record<string, unknown> = {}): Promise<TestServer> {
  const s = await startTestServer(overrides);
  servers.push(s);
  return s;
}

/** A GET with any Host header (fetch sets its own). */
function getWithHost(url: string, path: string, host: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: 'GET', headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function upload(url: string, wav: Buffer, headers: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries({ name: 'Guarded', transcript: TRANSCRIPT, language: 'en', consent: 'true' })) form.append(k, v);
  form.append('audio', new Blob([wav], { type: 'audio/wav' }), 'voice.wav');
  return fetch(`${url}/v1/voices`, { method: 'POST', body: form, headers });
}

async function code(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

async function voiceCount(url: string): Promise<number> {
  const listed = (await (await fetch(`${url}/v1/voices`)).json()) as { data: { kind: string }[] };
  return listed.data.filter((v) => v.kind === 'cloned').length;
}

describe('site guard', () => {
  it('serves IP literals, loopback names and ALLOWED_HOSTS, and refuses a rebinding Host on every route', async () => {
    const s = await server({ allowedHosts: ['tts.example.com', '.internal.example'] });
    const port = new URL(s.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `10.0.0.7:${port}`, 'tts.example.com', `TTS.Example.com:${port}`, 'gpu.internal.example']) {
      const res = await getWithHost(s.url, '/healthz', host);
      assert.equal(res.status, 200, `${host}: ${res.body}`);
    }
    for (const host of ['attacker.example', `attacker.example:${port}`, 'tts.example.com.evil.net', 'localhost.evil.net']) {
      for (const path of ['/healthz', '/v1/voices', '/v1/lexicon']) {
        const res = await getWithHost(s.url, path, host);
        assert.equal(res.status, 400, `${host}${path}`);
        const body = JSON.parse(res.body) as { error: { code: string; message: string; param: string } };
        assert.deepEqual([body.error.code, body.error.param], ['host_not_allowed', 'Host']);
        assert.match(body.error.message, /ALLOWED_HOSTS/);
      }
    }
  });

  it('refuses a cross-site multipart upload (no preflight needed) and keeps nothing; same-origin and allowed origins pass', async () => {
    const s = await server({ corsOrigins: ['https://studio.example'] });
    const wav = await speech(s.url, { format: 'wav' });
    for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${Number(new URL(s.url).port) + 1}`]) {
      const res = await upload(s.url, wav, { origin });
      assert.equal(res.status, 403, `${origin}: ${await res.clone().text()}`);
      assert.equal(await code(res), 'origin_not_allowed');
    }
    assert.equal(await voiceCount(s.url), 0);
    assert.deepEqual(await blobFiles(s.config.dataDir), [], 'no blob left behind');
    // POSTs that only spend (synthesis) are refused from a foreign origin too.
    const tts = await postJson(`${s.url}/v1/tts`, { text: 'Hi.' }, { headers: { 'content-type': 'application/json', origin: 'https://evil.example' } });
    assert.equal(tts.status, 403);
    // Reading is not changed (CORS decides what a page may read).
    assert.equal((await fetch(`${s.url}/v1/voices`, { headers: { origin: 'https://evil.example' } })).status, 200);
    assert.equal((await upload(s.url, wav, { origin: s.url })).status, 201, 'same origin');
    assert.equal((await upload(s.url, wav, { origin: 'https://studio.example' })).status, 201, 'CORS_ORIGINS');
    assert.equal((await upload(s.url, wav)).status, 201, 'no Origin: not a browser');
    assert.equal(await voiceCount(s.url), 3);
  });

  it('beyond loopback, voice and lexicon writes need a key; without one configured they are off; reads stay open', async () => {
    const open = await server({ host: '0.0.0.0' });
    const wav = await speech(open.url, { format: 'wav' });
    const refused = await upload(open.url, wav);
    assert.equal(refused.status, 403);
    assert.equal(await code(refused), 'writes_disabled');
    const lexicon = await postJson(`${open.url}/v1/lexicon`, { term: 'minute', pronunciation: '[M][AY0][N][UW1][T]' });
    assert.equal(lexicon.status, 403);
    assert.equal(await code(lexicon), 'writes_disabled');
    assert.equal((await fetch(`${open.url}/v1/voices`)).status, 200);
    assert.equal((await fetch(`${open.url}/v1/lexicon`)).status, 200);
    assert.deepEqual(await blobFiles(open.config.dataDir), []);

    const keyed = await server({ host: '0.0.0.0', writeKey: WRITE_KEY, adminKey: ADMIN_KEY });
    const none = await upload(keyed.url, wav);
    assert.equal(none.status, 401);
    assert.equal(await code(none), 'write_key_required');
    assert.match(none.headers.get('www-authenticate') ?? '', /Bearer/);
    const wrong = await upload(keyed.url, wav, { authorization: 'Bearer not-the-key-at-all-000' });
    assert.equal(wrong.status, 403);
    assert.equal(await code(wrong), 'write_key_invalid');
    assert.equal(await voiceCount(keyed.url), 0);
    assert.equal((await upload(keyed.url, wav, { authorization: `Bearer ${WRITE_KEY}` })).status, 201);
    assert.equal((await upload(keyed.url, wav, { 'x-api-key': WRITE_KEY })).status, 201);
    assert.equal((await upload(keyed.url, wav, { authorization: `Bearer ${ADMIN_KEY}` })).status, 201, 'the admin key also writes');
    const entry = await postJson(`${keyed.url}/v1/lexicon`, { term: 'minute', pronunciation: '[M][AY0][N][UW1][T]' }, { headers: { 'content-type': 'application/json', 'x-api-key': WRITE_KEY } });
    assert.equal(entry.status, 201, await entry.clone().text());
    // Synthesis needs no key.
    assert.equal((await postJson(`${keyed.url}/v1/tts`, { text: 'Hi.' })).status, 200);
  });

  it('on loopback without a write key, writes stay open for local use, even with an admin key set', async () => {
    const s = await server({ adminKey: ADMIN_KEY });
    assert.equal((await upload(s.url, await speech(s.url, { format: 'wav' }))).status, 201);
  });

  it('beyond loopback without a write key, the admin key writes and nothing else does', async () => {
    const s = await server({ host: '0.0.0.0', adminKey: ADMIN_KEY });
    const wav = await speech(s.url, { format: 'wav' });
    assert.equal((await upload(s.url, wav)).status, 401);
    assert.equal((await upload(s.url, wav, { authorization: `Bearer ${ADMIN_KEY}` })).status, 201);
  });
});
