// Malformed multipart on POST /v1/voices (issue 12, defect 8): each shape is a 4xx from the
// catalog with a message that says what is wrong, logged as a client error (never a 500 or an
// error-level line), and nothing is stored. Real server on loopback.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { blobFiles, expectError, voiceRows } from '../helpers/voices.js';

const B = 'cosyfleet-test-boundary';

/** A part of a form: its headers, then its content. */
function part(headers: string[], content: string): string {
  return `--${B}\r\n${headers.join('\r\n')}\r\n\r\n${content}\r\n`;
}
const field = (name: string, value: string) => part([`Content-Disposition: form-data; name="${name}"`], value);
const FIELDS = field('name', 'A voice') + field('transcript', 'The quick brown fox jumps over the lazy dog.') + field('consent', 'true');
const AUDIO_HEAD = [`Content-Disposition: form-data; name="audio"; filename="voice.wav"`, 'Content-Type: audio/wav'];

describe('malformed multipart uploads', () => {
  let server: TestServer;
  const logs: { level: number; msg: string; code?: string }[] = [];
  before(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as { level: number; msg: string }) });
    server = await startTestServer({}, { logger });
  });
  after(async () => {
    await server.close();
  });
  afterEach(async () => {
    assert.deepEqual(logs.filter((l) => l.level >= 50), [], 'no error-level log line');
    assert.deepEqual(await blobFiles(server.config.dataDir), []);
    assert.deepEqual(voiceRows(server.config.dataDir), []);
  });

  const post = (contentType: string, body: string) =>
    fetch(`${server.url}/v1/voices`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const multipart = (body: string, params = `boundary=${B}`) => post(`multipart/form-data; ${params}`, body);

  it('no boundary parameter', async () => {
    const error = await expectError(await post('multipart/form-data', FIELDS), 400, 'invalid_multipart', 'Content-Type');
    assert.match(error.message, /no boundary parameter/);
  });

  it('an empty or over-long boundary', async () => {
    const empty = await expectError(await multipart(FIELDS, 'boundary=""'), 400, 'invalid_multipart', 'Content-Type');
    assert.match(empty.message, /boundary must be 1-70 characters/);
    await expectError(await multipart(FIELDS, `boundary=${'x'.repeat(71)}`), 400, 'invalid_multipart', 'Content-Type');
  });

  it('wrong Content-Type parameters: a bare name, an unterminated quote, the boundary twice', async () => {
    assert.match((await expectError(await multipart(FIELDS, 'boundary'), 400, 'invalid_multipart', 'Content-Type')).message, /parameters are malformed/);
    assert.match((await expectError(await multipart(FIELDS, `boundary="${B}`), 400, 'invalid_multipart', 'Content-Type')).message, /parameters are malformed/);
    assert.match((await expectError(await multipart(FIELDS, `boundary=${B}; boundary=other`), 400, 'invalid_multipart', 'Content-Type')).message, /boundary twice/);
  });

  it('a body that is not multipart at all (garbage)', async () => {
    const error = await expectError(await multipart('this is not a form\r\n\u0000\u00ff garbage'), 400, 'invalid_multipart', null);
    assert.match(error.message, /ends before its closing boundary/);
  });

  it('parts delimited by another boundary than the Content-Type names', async () => {
    await expectError(await multipart(FIELDS.replaceAll(B, 'some-other-boundary') + '--some-other-boundary--\r\n'), 400, 'invalid_multipart', null);
  });

  it('a truncated field part, a truncated file part, truncated part headers', async () => {
    await expectError(await multipart(`${FIELDS}--${B}\r\nContent-Disposition: form-data; name="language"\r\n\r\nen`), 400, 'invalid_multipart', null);
    await expectError(await multipart(`${FIELDS}--${B}\r\n${AUDIO_HEAD.join('\r\n')}\r\n\r\nRIFF\u0000\u0000\u0000\u0000WAVEfmt `), 400, 'invalid_multipart', null);
    await expectError(await multipart(`${FIELDS}--${B}\r\nContent-Disposition: form-da`), 400, 'invalid_multipart', null);
  });

  it('a field named after an Object prototype property', async () => {
    await expectError(await multipart(`${FIELDS}${field('__proto__', 'x')}--${B}--\r\n`), 400, 'invalid_multipart');
  });

  it('a field declared as JSON that is not', async () => {
    const json = part(['Content-Disposition: form-data; name="name"', 'Content-Type: application/json'], '{not json');
    await expectError(await multipart(`${json}--${B}--\r\n`), 400, 'invalid_multipart');
  });

  it('another multipart type than form-data', async () => {
    const error = await expectError(await post(`multipart/mixed; boundary=${B}`, `${FIELDS}--${B}--\r\n`), 415, 'unsupported_media_type');
    assert.match(error.message, /multipart\/form-data/);
  });

  it('logged each as a client error at info, with its code', () => {
    const codes = logs.filter((l) => l.level === 30 && l.code !== undefined).map((l) => l.code);
    assert.ok(codes.filter((c) => c === 'invalid_multipart').length >= 12, JSON.stringify(codes));
  });
});
