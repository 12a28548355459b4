// Bodies over the limit get their 413 (issue 12, defect 7), against a real server on loopback.
// The strict client here writes its whole body before it reads anything, as many HTTP clients
// do: a server that answers and closes while the body is still coming resets the connection
// (the write fails with EPIPE/ECONNRESET) and the 413 is lost. Each case: Content-Length,
// chunked, and `Expect: 100-continue` (where the 413 must come instead of `100 Continue`), on a
// JSON route (MAX_BODY_BYTES) and on the voice upload (MAX_UPLOAD_BYTES, multipart); then the
// same through fetch.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawConnection, expectRawError, requestHead, type RawResponse } from '../helpers/raw-http.js';
import { blobFiles, voiceRows, type ErrorBody } from '../helpers/voices.js';

const LIMIT = 64 * 1024;
/** "A few MB": far more than the limit and than loopback's socket buffers hold. */
const BIG = 4 * 1_048_576;

interface Upload {
  path: string;
  contentType: string;
  body: Buffer;
}

function jsonUpload(): Upload {
  return { path: '/v1/tts', contentType: 'application/json', body: Buffer.from(JSON.stringify({ text: 'a'.repeat(BIG) })) };
}

async function formUpload(): Promise<Upload> {
  const form = new FormData();
  form.append('name', 'Too big');
  form.append('transcript', 'The quick brown fox jumps over the lazy dog.');
  form.append('consent', 'true');
  form.append('audio', new Blob([Buffer.alloc(BIG, 7)], { type: 'audio/wav' }), 'big.wav');
  const request = new Request('http://127.0.0.1/', { method: 'POST', body: form });
  return { path: '/v1/voices', contentType: request.headers.get('content-type') as string, body: Buffer.from(await request.arrayBuffer()) };
}

type Framing = 'content-length' | 'chunked';

/**
 * Sends the request the strict way: the whole body (after `100 Continue` when `expect`), and
 * only then reads. Returns every response in order and whether the body went out in full.
 */
async function strictClient(
  server: TestServer,
  upload: Upload,
  framing: Framing,
  expect = false,
  extraHeaders: Record<string, string> = {},
): Promise<{ responses: RawResponse[]; bodySent: boolean; writeError?: string }> {
  const connection = await RawConnection.open(Number(new URL(server.url).port));
  const headers: Record<string, string | number> = { 'Content-Type': upload.contentType, ...extraHeaders };
  if (framing === 'chunked') headers['Transfer-Encoding'] = 'chunked';
  else headers['Content-Length'] = upload.body.length;
  if (expect) headers.Expect = '100-continue';
  const responses: RawResponse[] = [];
  let bodySent = false;
  let writeError: string | undefined;
  try {
    await connection.write(requestHead('POST', upload.path, headers));
    if (expect) {
      const first = await connection.response();
      if (first) responses.push(first);
      if (first?.status !== 100) {
        await connection.closed;
        connection.destroy();
        return { responses, bodySent };
      }
    }
    if (framing === 'chunked') await connection.writeChunked(upload.body);
    else await connection.write(upload.body);
    bodySent = true;
  } catch (err) {
    writeError = (err as Error).message;
  }
  const final = await connection.response();
  if (final) responses.push(final);
  connection.destroy();
  return { responses, bodySent, ...(writeError ? { writeError } : {}) };
}

describe('a body over the limit gets its 413', () => {
  let server: TestServer;
  let json: Upload;
  let form: Upload;
  before(async () => {
    server = await startTestServer({ maxBodyBytes: LIMIT, maxUploadBytes: LIMIT });
    json = jsonUpload();
    form = await formUpload();
  });
  after(async () => {
    assert.deepEqual(await blobFiles(server.config.dataDir), [], 'no upload stored');
    assert.deepEqual(voiceRows(server.config.dataDir), []);
    await server.close();
  });

  for (const which of ['json', 'form'] as const) {
    const setting = which === 'json' ? 'MAX_BODY_BYTES' : 'MAX_UPLOAD_BYTES';
    for (const framing of ['content-length', 'chunked'] as const) {
      it(`${which === 'json' ? 'POST /v1/tts' : 'POST /v1/voices'} (${setting}), ${framing}: the client sends it all, then reads a JSON 413`, async () => {
        const upload = which === 'json' ? json : form;
        const { responses, bodySent, writeError } = await strictClient(server, upload, framing);
        assert.equal(writeError, undefined, 'the connection was not reset while the client was sending');
        assert.ok(bodySent);
        assert.equal(responses.length, 1);
        const error = expectRawError(responses[0] as RawResponse, 413, 'body_too_large');
        if (framing === 'content-length') assert.match(error.message, new RegExp(`${upload.body.length} bytes.*${setting}`));
        assert.equal(error.param, which === 'form' ? 'audio' : null);
      });
    }

    it(`${which === 'json' ? 'POST /v1/tts' : 'POST /v1/voices'}, Expect: 100-continue with a Content-Length over the limit: 413 instead of 100 Continue, and no body is asked for`, async () => {
      const { responses, bodySent } = await strictClient(server, which === 'json' ? json : form, 'content-length', true);
      assert.equal(bodySent, false);
      assert.equal(responses.length, 1, 'one response, not a bare 100 Continue');
      const response = responses[0] as RawResponse;
      expectRawError(response, 413, 'body_too_large');
      assert.equal(response.headers.connection, 'close');
    });

    it(`${which === 'json' ? 'POST /v1/tts' : 'POST /v1/voices'}, Expect: 100-continue, chunked: 100 Continue (the size is unknown), then the 413`, async () => {
      const { responses, bodySent, writeError } = await strictClient(server, which === 'json' ? json : form, 'chunked', true);
      assert.equal(writeError, undefined);
      assert.ok(bodySent);
      assert.deepEqual(responses.map((r) => r.status), [100, 413]);
      expectRawError(responses[1] as RawResponse, 413, 'body_too_large');
    });
  }

  it('any answer given before the body is read (403 for a cross-site Origin) waits for the body too', async () => {
    const { responses, writeError } = await strictClient(server, json, 'content-length', false, { Origin: 'https://elsewhere.example' });
    assert.equal(writeError, undefined);
    expectRawError(responses[0] as RawResponse, 403, 'origin_not_allowed');
  });

  it('Expect: 100-continue within the limit is still invited and served', async () => {
    const body = Buffer.from(JSON.stringify({ text: 'Hello.', format: 'wav' }));
    const { responses, bodySent } = await strictClient(server, { path: '/v1/tts', contentType: 'application/json', body }, 'content-length', true);
    assert.ok(bodySent);
    assert.deepEqual(responses.map((r) => r.status), [100, 200]);
  });

  describe('through fetch', () => {
    const stream = (bytes: Buffer) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 65_536) controller.enqueue(bytes.subarray(i, i + 65_536));
          controller.close();
        },
      });
    const check = async (res: Response, param?: string) => {
      const raw = await res.text();
      assert.equal(res.status, 413, raw);
      const body = JSON.parse(raw) as ErrorBody;
      assert.equal(body.error.code, 'body_too_large');
      if (param) assert.equal(body.error.param, param);
    };

    it('JSON with a Content-Length, and streamed (chunked)', async () => {
      await check(await fetch(`${server.url}/v1/tts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: json.body }));
      await check(await fetch(`${server.url}/v1/tts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream(json.body), duplex: 'half' } as RequestInit));
    });

    it('a FormData upload, and the same form streamed (chunked)', async () => {
      const data = new FormData();
      data.append('name', 'Too big');
      data.append('transcript', 'The quick brown fox jumps over the lazy dog.');
      data.append('consent', 'true');
      data.append('audio', new Blob([Buffer.alloc(BIG, 7)], { type: 'audio/wav' }), 'big.wav');
      await check(await fetch(`${server.url}/v1/voices`, { method: 'POST', body: data }));
      await check(await fetch(`${server.url}/v1/voices`, { method: 'POST', headers: { 'content-type': form.contentType }, body: stream(form.body), duplex: 'half' } as RequestInit), 'audio');
    });
  });

  it('keeps serving', async () => {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });
});

describe('a body with more left than MAX_DISCARD_BYTES', () => {
  it('is not read: its 413 comes with Connection: close to a client that reads while it sends', async () => {
    const server = await startTestServer({ maxBodyBytes: LIMIT, maxDiscardBytes: 1_048_576 });
    try {
      const res = await fetch(`${server.url}/v1/tts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: jsonUpload().body });
      assert.equal(res.status, 413);
      assert.equal(res.headers.get('connection'), 'close');
      assert.equal(((await res.json()) as ErrorBody).error.code, 'body_too_large');
    } finally {
      await server.close();
    }
  });
});
