// The README promises things on its first screen; these tests keep the promises true: the
// configuration table is the loader's table, and each curl example, replayed against a real
// server, produces the audio its output file name promises (judged by ffprobe).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configTableMarkdown } from '../../src/config/table.js';
import { ffprobeJson, decodeWithFfmpeg, tempDir } from '../../src/audio/test-helpers.js';
import { int16ToFloat32, rms } from '../../src/audio/pcm.js';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';

const README = new URL('../../README.md', import.meta.url);
const API_KEY = 'readme-example-key-0123456789abcdef';

interface CurlExample {
  output: string;
  path: string;
  body: unknown;
}

function curlExamples(markdown: string): CurlExample[] {
  const commands = markdown.replace(/\\\n\s*/g, ' ').split('\n').filter((l) => l.startsWith('curl '));
  return commands.map((cmd) => {
    const output = /-o (\S+)/.exec(cmd)?.[1];
    const path = /http:\/\/127\.0\.0\.1:8080(\/\S*)/.exec(cmd)?.[1];
    const body = /-d '([^']*)'/.exec(cmd)?.[1];
    assert.ok(output && path && body, `cannot parse README example: ${cmd}`);
    assert.match(cmd, /-H "Authorization: Bearer \$COSYFLEET_API_KEY"/, `${output}: the example sends the key`);
    return { output, path, body: JSON.parse(body) as unknown };
  });
}

const CODEC_BY_EXTENSION: Record<string, string> = { wav: 'pcm_s16le', mp3: 'mp3', flac: 'flac', opus: 'opus', ogg: 'opus' };

describe('README', () => {
  let markdown: string;
  let server: TestServer;
  before(async () => {
    markdown = await readFile(README, 'utf8');
    // The default configuration: AUTH=keys, with a key the examples read from $COSYFLEET_API_KEY.
    server = await startTestServer({ auth: 'keys', apiKeys: API_KEY });
  });
  after(() => server.close());

  it('gives the install-and-run and test commands on its first screen', () => {
    const firstScreen = markdown.split('\n').slice(0, 30).join('\n');
    assert.match(firstScreen, /```sh\nnpm ci && npm start\n```/);
    assert.match(firstScreen, /```sh\nnpm ci && npm test\n```/);
  });

  it('shows the configuration table the loader actually uses', () => {
    const table = /<!-- config-table:start -->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(markdown)?.[1];
    assert.equal(table, configTableMarkdown(), 'regenerate the README table from src/config/table.ts');
  });

  it('curl examples produce the audio they promise (Mandarin WAV, English MP3)', async () => {
    const examples = curlExamples(markdown);
    assert.ok(examples.length >= 2);
    const languages = new Set<string>();
    const dir = await tempDir('cosyfleet-readme-');
    try {
      for (const ex of examples) {
        const res = await postJson(`${server.url}${ex.path}`, ex.body, { headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` } });
        assert.equal(res.status, 200, `${ex.output}: ${res.status}`);
        languages.add(res.headers.get('x-audio-language') ?? '');
        const file = join(dir.path, ex.output);
        await writeFile(file, Buffer.from(await res.arrayBuffer()));
        const probe = await ffprobeJson(file);
        const extension = ex.output.split('.').pop() ?? '';
        assert.equal(probe.streams[0]?.codec_name, CODEC_BY_EXTENSION[extension], ex.output);
        const decoded = await decodeWithFfmpeg(file);
        const seconds = decoded.samples.length / decoded.sampleRate;
        assert.ok(seconds > 1, `${ex.output} holds speech (${seconds} s)`);
        assert.ok(rms(int16ToFloat32(decoded.samples)) > 0.02, `${ex.output} is not silent`);
      }
    } finally {
      await dir.remove();
    }
    assert.ok(languages.has('cmn') && languages.has('en'), [...languages].join(','));
  });
});

describe('docs/api.md', () => {
  it('its command line works as it says: npx cosyfleet in the checkout', async () => {
    const markdown = await readFile(README, 'utf8');
    assert.match(markdown, /`npx cosyfleet <command>`/);
    const { execFile } = await import('node:child_process');
    const out = await new Promise<string>((resolve, reject) =>
      execFile('npx', ['--no-install', 'cosyfleet', '--help'], { cwd: new URL('../..', import.meta.url), timeout: 60_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    assert.match(out, /Usage: cosyfleet <command>/);
    for (const command of ['serve', 'doctor', 'plan', 'config']) assert.match(out, new RegExp(`\\b${command}\\b`));
  });

  it('lists every code of the error catalog with its status and retryability', async () => {
    const { ERRORS } = await import('../../src/errors/catalog.js');
    const api = await readFile(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const table = /<!-- error-table:start -->\n([\s\S]*?)\n<!-- error-table:end -->/.exec(api)?.[1] ?? '';
    const rows = table.split('\n').slice(2);
    assert.equal(rows.length, Object.keys(ERRORS).length, 'one row per catalog code');
    for (const [code, spec] of Object.entries(ERRORS)) {
      const row = rows.find((r) => r.startsWith(`| \`${code}\` |`));
      assert.ok(row, `docs/api.md lacks ${code}`);
      assert.match(row, new RegExp(`^\\| \`${code}\` \\| ${spec.status} \\| ${spec.retryable ? 'yes' : 'no'} \\|`));
    }
  });
});
