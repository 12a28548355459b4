// A JSON body can spell text that is not Unicode (an unpaired surrogate, `"\ud800"`); it is
// refused at the door with the field named, on every route, instead of failing later in an
// encoder or the engine.
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

async function post(path: string, raw: string): Promise<{ status: number; error: { code: string; param: string | null } }> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
  return { status: res.status, error: ((await res.json()) as { error: { code: string; param: string | null } }).error };
}

it('unpaired surrogates in any field are a 400 naming the field; paired ones (emoji) are text', async () => {
  for (const [path, raw, param] of [
    ['/v1/tts', '{"text":"\\ud800 hello"}', 'text'],
    ['/v1/tts', '{"text":"hi","instruct":"\\udfff"}', 'instruct'],
    ['/v1/tts/preview-text', '{"text":"ok \\udc00"}', 'text'],
    ['/v1/lexicon', '{"term":"\\ud83d","pronunciation":"[K][OW1]"}', 'term'],
  ] as const) {
    const { status, error } = await post(path, raw);
    assert.equal(status, 400, path);
    assert.deepEqual([error.code, error.param], ['invalid_value', param]);
  }
  const emoji = await fetch(`${server.url}/v1/tts/preview-text`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"Hello \\ud83d\\ude00."}' });
  assert.equal(emoji.status, 200);
});
