// The studio plugin on its own (a Fastify instance with the service's error handling) over a
// folder laid out as `vite build` leaves dist/web: what is served, with which headers, and that
// nothing outside the list read at start is ever sent, whatever the path says.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerErrorHandling } from './errors.js';
import { STUDIO_CSP, studioRoutes } from './studio.js';

const INDEX = '<!doctype html><html lang="en"><head><script type="module" src="/assets/index-AbC123_x.js"></script></head><body><div id="app"></div></body></html>';
const SCRIPT = `console.log(${JSON.stringify('studio '.repeat(200))});`;

async function app(root: string): Promise<FastifyInstance> {
  const instance = Fastify();
  registerErrorHandling(instance);
  await instance.register(studioRoutes, { root });
  await instance.ready();
  return instance;
}

describe('studio plugin', () => {
  let dir: string;
  let built: FastifyInstance;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cosyfleet-studio-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), INDEX);
    await writeFile(join(dir, 'assets', 'index-AbC123_x.js'), SCRIPT);
    await writeFile(join(dir, 'assets', 'index-AbC123_x.css'), 'body{margin:0}');
    await writeFile(join(dir, 'assets', 'index-AbC123_x.js.map'), '{"version":3}');
    await writeFile(join(dir, 'secret.txt'), 'not for the web');
    await symlink('/etc/hostname', join(dir, 'assets', 'linked-AbC123_x.js'));
    built = await app(dir);
  });
  after(async () => {
    await built.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html at / with no-cache, the CSP and an ETag that revalidates', async () => {
    const res = await built.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, INDEX);
    assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.equal(res.headers['content-security-policy'], STUDIO_CSP);
    assert.match(STUDIO_CSP, /default-src 'self'/);
    assert.match(STUDIO_CSP, /script-src 'self';/);
    assert.match(STUDIO_CSP, /media-src 'self' blob:/);
    assert.doesNotMatch(STUDIO_CSP, /unsafe-inline|unsafe-eval|https?:|\*/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    const etag = String(res.headers.etag);
    assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
    const again = await built.inject({ method: 'GET', url: '/', headers: { 'if-none-match': etag } });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
    const head = await built.inject({ method: 'HEAD', url: '/' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
  });

  it('serves hashed assets as immutable, gzipped for clients that take gzip', async () => {
    const plain = await built.inject({ method: 'GET', url: '/assets/index-AbC123_x.js' });
    assert.equal(plain.statusCode, 200);
    assert.equal(plain.body, SCRIPT);
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(String(plain.headers['content-type']), /^text\/javascript/);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.headers.vary, 'accept-encoding');
    const zipped = await built.inject({ method: 'GET', url: '/assets/index-AbC123_x.js', headers: { 'accept-encoding': 'br, gzip;q=0.8' } });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(zipped.rawPayload).toString(), SCRIPT);
    assert.ok(zipped.rawPayload.length < SCRIPT.length);
    const refused = await built.inject({ method: 'GET', url: '/assets/index-AbC123_x.js', headers: { 'accept-encoding': 'gzip;q=0' } });
    assert.equal(refused.headers['content-encoding'], undefined);
    const css = await built.inject({ method: 'GET', url: '/assets/index-AbC123_x.css' });
    assert.match(String(css.headers['content-type']), /^text\/css/);
  });

  it('answers 404 for anything not in the list it read at start: maps, links, other files, traversal', async () => {
    await writeFile(join(dir, 'assets', 'later-AbC123_x.js'), 'written after start');
    const paths = [
      '/assets/index-AbC123_x.js.map',
      '/assets/linked-AbC123_x.js',
      '/assets/later-AbC123_x.js',
      '/assets/secret.txt',
      '/assets/..%2fsecret.txt',
      '/assets/..%2f..%2fpackage.json',
      '/assets/%2e%2e%2fsecret.txt',
      '/assets/../secret.txt',
      '/assets/.%2e/index.html',
      '/assets/__proto__',
      '/assets/constructor',
      '/assets/index-AbC123_x.js%00.css',
      '/assets/INDEX-ABC123_X.JS',
      '/index.html',
      '/secret.txt',
      '/assets/',
    ];
    for (const url of paths) {
      const res = await built.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      const body = res.json<{ error: { code: string } }>();
      assert.equal(body.error.code, 'not_found', url);
      assert.doesNotMatch(res.body, /not for the web|written after start|version":3/, url);
    }
  });

  it('answers 404 studio_not_built, naming the command, when the studio was never built', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'cosyfleet-studio-empty-'));
    const bare = await app(join(empty, 'web'));
    try {
      for (const url of ['/', '/assets/index-AbC123_x.js']) {
        const res = await bare.inject({ method: 'GET', url });
        assert.equal(res.statusCode, 404, url);
        const { error } = res.json<{ error: { code: string; message: string } }>();
        assert.equal(error.code, 'studio_not_built');
        assert.match(error.message, /npm run build/);
      }
    } finally {
      await bare.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
