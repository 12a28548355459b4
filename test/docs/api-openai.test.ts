// docs/api.md's Instructions and OpenAI sections state data the code owns: the trained
// instruction table, the OpenAI voice map, and a curl example. These keep them true.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TRAINED_INSTRUCTIONS } from '../../src/text/instructions.js';
import { OPENAI_VOICE_PRESETS } from '../../src/http/openai-speech.js';
import { decodeWithFfmpeg, ffprobeJson, tempDir } from '../../src/audio/test-helpers.js';
import { startTestServer, postJson } from '../helpers/server.js';

const API = new URL('../../docs/api.md', import.meta.url);

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`## ${heading}\n`);
  assert.ok(start >= 0, `docs/api.md has a "${heading}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

describe('docs/api.md: instructions and OpenAI-compatible API', () => {
  it('the instruction table is the catalog', async () => {
    const api = await readFile(API, 'utf8');
    const table = /<!-- instructions-table:start -->\n([\s\S]*?)\n<!-- instructions-table:end -->/.exec(api)?.[1] ?? '';
    const rows = table.split('\n').slice(2);
    assert.deepEqual(
      rows,
      TRAINED_INSTRUCTIONS.map((i) => `| \`${i.key}\` | ${i.label.en} | ${i.label.zh} | ${i.text} |`),
    );
  });

  it('the voice map is the one the route uses', async () => {
    const text = section(await readFile(API, 'utf8'), 'OpenAI-compatible API');
    const table = /\n(\| OpenAI voice \|[^]*?)\n\n/.exec(text)?.[1] ?? '';
    const documented: Record<string, string> = {};
    for (const m of table.matchAll(/\| `([a-z]+)` \| `([a-z]+)` \|/g)) documented[m[1]!] = m[2]!;
    assert.deepEqual(documented, { ...OPENAI_VOICE_PRESETS });
  });

  it('the curl example produces the MP3 it promises', async () => {
    const text = section(await readFile(API, 'utf8'), 'OpenAI-compatible API');
    const cmd = /curl [\s\S]*?-o (\S+)/.exec(text.replace(/\\\n\s*/g, ' '));
    assert.ok(cmd, 'a curl example');
    const path = /http:\/\/127\.0\.0\.1:8080(\/\S*)/.exec(cmd[0])?.[1];
    const body = /-d '([^']*)'/.exec(cmd[0])?.[1];
    assert.ok(path && body);
    const server = await startTestServer();
    const dir = await tempDir('cosyfleet-apidoc-');
    try {
      const res = await postJson(`${server.url}${path}`, JSON.parse(body) as unknown);
      assert.equal(res.status, 200);
      const file = join(dir.path, cmd[1]!);
      await writeFile(file, Buffer.from(await res.arrayBuffer()));
      assert.equal((await ffprobeJson(file)).streams[0]?.codec_name, 'mp3');
      const decoded = await decodeWithFfmpeg(file);
      assert.ok(decoded.samples.length / decoded.sampleRate > 0.5);
    } finally {
      await dir.remove();
      await server.close();
    }
  });
});
