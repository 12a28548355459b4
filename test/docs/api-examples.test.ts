// docs/api.md promises that every `sh` block pastes into bash as it stands against `npm start`
// on the default configuration, and that every route has one (the README's curl blocks are held
// to the same). This runs each block with bash
// against a real server on loopback (only the origin http://127.0.0.1:8080 is replaced by the
// server's), records what the server answered, and fails when a block fails, when a request it
// makes is answered with anything but success, when a URL is not URL-encoded or not quoted where
// bash would read it, or when a route the service registers was reached by no example.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';

const DOCS = ['docs/api.md', 'README.md'] as const;
const ORIGIN = 'http://127.0.0.1:8080';
const ADMIN_KEY = 'docs-example-admin-key-0123456789';
const API_KEY = 'docs-example-api-key-0123456789';

/** Routes no example needs to reach, and why. */
const NOT_EXAMPLED: readonly { pattern: RegExp; why: string }[] = [
  { pattern: /^(GET|HEAD) \/docs\/.*/, why: 'the interactive reference\'s own assets (script, stylesheet, its copy of the OpenAPI document), loaded by the page at /docs' },
  { pattern: /^HEAD /, why: 'Fastify answers HEAD for every GET route by itself' },
  { pattern: /^OPTIONS /, why: 'CORS preflight, answered for every path' },
];

interface Block {
  /** `file:line` of the block's opening fence. */
  where: string;
  text: string;
}

interface Answered {
  method: string;
  url: string;
  status: number;
}

interface Route {
  method: string;
  path: string;
  matches: (path: string) => boolean;
}

function shellBlocks(file: string, markdown: string): Block[] {
  const blocks: Block[] = [];
  for (const m of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    if (!/\bcurl\b/.test(m[1] as string)) continue;
    blocks.push({ where: `${file}:${markdown.slice(0, m.index).split('\n').length}`, text: m[1] as string });
  }
  return blocks;
}

/** The routes the server registers, from Fastify's route tree (`printRoutes`). */
function registeredRoutes(server: TestServer): Route[] {
  const tree = server.app.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const routes: Route[] = [];
  for (const line of tree.split('\n').filter((l) => l.trim() !== '')) {
    const m = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    assert.ok(m, `cannot read the route tree line ${JSON.stringify(line)}`);
    const depth = (m[1] as string).length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + (m[2] as string);
    stack.push(path);
    for (const method of (m[3] ?? '').split(', ').filter(Boolean)) {
      const re = new RegExp(`^${path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[^/]+/g, '[^/]+').replace(/\*/g, '.*')}$`);
      routes.push({ method, path, matches: (p) => re.test(p) });
    }
  }
  return routes;
}

/** Runs a block in bash (errexit, pipefail) in `cwd`; resolves to its exit status and output. */
function bash(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd, env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, output: `${stdout.slice(-2000)}${stderr.slice(-2000)}` });
    });
  });
}

describe('curl examples in docs/api.md and the README', () => {
  let blocks: Block[];
  let server: TestServer;
  let dir: string;
  const answered: Answered[] = [];
  before(async () => {
    blocks = [];
    for (const file of DOCS) blocks.push(...shellBlocks(file, await readFile(new URL(`../../${file}`, import.meta.url), 'utf8')));
    // `npm start`'s default: AUTH=keys. The examples read the keys from the environment.
    server = await startTestServer({ auth: 'keys', adminKey: ADMIN_KEY, apiKeys: API_KEY });
    // Everything the server answers, as the client saw it (redirects and errors included).
    server.app.server.on('request', (req, res) => {
      res.once('close', () => answered.push({ method: req.method ?? '', url: req.url ?? '', status: res.statusCode }));
    });
    dir = await mkdtemp(join(tmpdir(), 'cosyfleet-api-examples-'));
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('address the default configuration with URLs bash passes as they are: URL-encoded, quoted when they hold ? or &', () => {
    assert.ok(blocks.filter((b) => b.where.startsWith('docs/api.md:')).length >= 10, `${blocks.length} example blocks`);
    const problems: string[] = [];
    for (const block of blocks) {
      const urls = [...block.text.matchAll(/(["']?)(https?:\/\/[^\s"']+)/g)];
      if (urls.length === 0) problems.push(`${block.where}: a curl example without a URL`);
      for (const [, quote, url = ''] of urls) {
        const where = `${block.where}: ${url}`;
        if (!url.startsWith(`${ORIGIN}/`)) problems.push(`${where}: examples address ${ORIGIN}, the default configuration`);
        // $VARIABLE expansions aside, only characters a URL may carry unencoded, and %XX escapes.
        const bare = url.replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, '');
        if (!/^(?:[A-Za-z0-9\-._~:/?#[\]@!&'()*+,;=]|%[0-9A-Fa-f]{2})*$/.test(bare)) problems.push(`${where}: not URL-encoded`);
        if (/[?&]/.test(url) && quote === '') problems.push(`${where}: bash reads ? as a glob and & as "run in the background": quote the URL`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('every block runs in bash, and every request it makes succeeds', async () => {
    const failures: string[] = [];
    for (const block of blocks) {
      const from = answered.length;
      const { code, output } = await bash(block.text.split(ORIGIN).join(server.url), dir, {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dir,
        COSYFLEET_ADMIN_KEY: ADMIN_KEY,
        COSYFLEET_API_KEY: API_KEY,
      });
      const requests = answered.slice(from);
      const curls = block.text.split('\n').filter((l) => /^\s*(?:[A-Z_]+=\$\()?curl\b/.test(l)).length;
      const bad = requests.filter((r) => r.status < 200 || r.status > 299);
      if (code !== 0) failures.push(`${block.where}: bash exited ${code}\n${output}`);
      else if (bad.length > 0) failures.push(`${block.where}: ${bad.map((r) => `${r.method} ${r.url} -> ${r.status}`).join(', ')}`);
      else if (requests.length < curls) failures.push(`${block.where}: ${curls} curl commands reached the server ${requests.length} times`);
    }
    assert.deepEqual(failures, []);
  });

  it('reach every route the service registers', () => {
    assert.ok(answered.length > 0, 'the blocks ran first');
    const routes = registeredRoutes(server);
    assert.ok(routes.some((r) => r.method === 'POST' && r.path === '/v1/tts'), 'the route tree was read');
    const missing = routes
      .filter((route) => !NOT_EXAMPLED.some((n) => n.pattern.test(`${route.method} ${route.path}`)))
      .filter((route) => !answered.some((a) => a.method === route.method && a.status >= 200 && a.status <= 299 && route.matches(a.url.split('?')[0] as string)))
      .map((route) => `${route.method} ${route.path}`);
    assert.deepEqual(missing, [], 'routes without a working example in docs/api.md');
  });
});
