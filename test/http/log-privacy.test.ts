// What clients send to be spoken or looked up never reaches the info log: not through a query
// string (GET /v1/pronounce, a mistyped route), not quoted in an error message (bad JSON, a
// pronunciation holding prose), not from synthesis. Real server on loopback, its real logger
// writing JSON lines into memory.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';

interface LogLine {
  level: number;
  msg?: string;
  req?: { url?: string };
  code?: string;
  [key: string]: unknown;
}

const INFO = 30;
// A word that occurs nowhere in the service's own text (lowercase, as an instruction key is).
const SECRET = 'zorbulax';

describe('user text stays out of the info log', () => {
  let server: TestServer;
  const lines: LogLine[] = [];
  before(async () => {
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
    server = await startTestServer({}, { logger });
  });
  after(() => server.close());

  it('logs routes, codes and outcomes at info, and the client\'s words at most at debug', async () => {
    const url = server.url;
    // Bodies are read to the end, so no connection is left open.
    const status = async (res: Promise<Response>): Promise<number> => {
      const done = await res;
      await done.arrayBuffer();
      return done.status;
    };
    assert.equal(await status(fetch(`${url}/v1/pronounce?text=${SECRET}%20minute&language=en`)), 200);
    assert.equal(await status(fetch(`${url}/v1/pronounc?text=${SECRET}`)), 404);
    assert.equal(await status(postJson(`${url}/v1/tts/preview-text`, { text: `Hello ${SECRET}.` })), 200);
    assert.equal(await status(postJson(`${url}/v1/tts`, { text: `Hello ${SECRET}.` })), 200);
    // Refusals whose messages quote the request.
    assert.equal(await status(postJson(`${url}/v1/tts`, `{"text": ${SECRET}}`)), 400);
    assert.equal(await status(postJson(`${url}/v1/lexicon`, { term: 'x', pronunciation: `${SECRET} words` })), 400);
    assert.equal(await status(postJson(`${url}/v1/tts`, { text: 'Hello.', instruct: `${SECRET}:calm` })), 400);

    const leaks = lines.filter((l) => l.level >= INFO && JSON.stringify(l).includes(SECRET));
    assert.deepEqual(leaks, [], 'no info line holds the client\'s text');

    // What operators need is still there: each request's route and each refusal's code.
    const routes = lines.filter((l) => l.level >= INFO && l.req?.url).map((l) => l.req?.url);
    assert.ok(routes.includes('/v1/pronounce?…'), JSON.stringify(routes));
    assert.ok(routes.includes('/v1/tts'), JSON.stringify(routes));
    const codes = lines.filter((l) => l.level === INFO && l.code).map((l) => l.code);
    for (const code of ['invalid_json', 'invalid_pronunciation', 'invalid_value']) assert.ok(codes.includes(code), `${code} in ${JSON.stringify(codes)}`);
    // The full message (for a developer reproducing a refusal) is kept at debug.
    assert.ok(lines.some((l) => l.level < INFO && l.code === 'invalid_pronunciation' && l.msg?.includes(SECRET)));
  });
});
