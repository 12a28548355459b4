// `cosyfleet tenants` and `cosyfleet keys … --store-by-default` / `keys store` as real child
// processes on a data directory a real server then uses: a tenant policy set on the command line
// applies to the server's requests (result cache, output retention), a key made to store by
// default stores, and turning it off on the command line holds for the running server at once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { postJson, startTestServer } from '../helpers/server.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

function cli(args: string[], dataDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, DATA_DIR: dataDir } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface View {
  tenant: string;
  resultCache: string | null;
  outputRetentionDays: number | null;
  updatedAt: string | null;
  effective: { resultCache: string; outputRetentionDays: number };
}

describe('cosyfleet tenants', () => {
  it('set, show, list and reset on the database a server then reads; keys that store by default', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cosyfleet-tenants-cli-'));
    try {
      const set = await cli(['tenants', 'set', 'acme', '--result-cache', 'always', '--output-retention-days', '1', '--json'], dataDir);
      assert.equal(set.code, 0, set.stderr);
      const view = JSON.parse(set.stdout) as View;
      assert.deepEqual([view.tenant, view.resultCache, view.outputRetentionDays], ['acme', 'always', 1]);
      const text = await cli(['tenants', 'set', 'globex', '--output-retention-days', '0'], dataDir);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^globex {2}result cache seeded \(server default\); output retention kept until deleted \(server: 30 days\); updated /);
      const listed = await cli(['tenants', 'list', '--json'], dataDir);
      assert.equal(listed.code, 0, listed.stderr);
      const list = JSON.parse(listed.stdout) as { data: View[]; defaults: { resultCache: string; outputRetentionDays: number } };
      assert.deepEqual(list.data.map((v) => v.tenant), ['acme', 'globex']);
      assert.deepEqual(list.defaults, { resultCache: 'seeded', outputRetentionDays: 30 });
      assert.match((await cli(['tenants', 'list'], dataDir)).stdout, /Tenants without a policy: result cache seeded, output retention 30 days\./);
      const reset = await cli(['tenants', 'reset', 'globex', '--json'], dataDir);
      assert.equal((JSON.parse(reset.stdout) as View).updatedAt, null);
      const shown = await cli(['tenants', 'show', 'globex', '--json'], dataDir);
      assert.deepEqual((JSON.parse(shown.stdout) as View).effective, { resultCache: 'seeded', outputRetentionDays: 30 });

      const made = await cli(['keys', 'create', '--name', 'archive', '--tenant', 'acme', '--scope', 'synth', '--store-by-default', '--json'], dataDir);
      assert.equal(made.code, 0, made.stderr);
      const key = JSON.parse(made.stdout) as { id: string; key: string; storeByDefault: boolean };
      assert.equal(key.storeByDefault, true);
      assert.match((await cli(['keys', 'list'], dataDir)).stdout, /stores outputs by default/);

      const server = await startTestServer({ auth: 'keys', dataDir });
      try {
        const headers = { 'content-type': 'application/json', authorization: `Bearer ${key.key}` };
        const say = async () => {
          const res = await postJson(`${server.url}/v1/tts`, { text: 'Hello from the archive.', language: 'en', format: 'wav' }, { headers });
          assert.equal(res.status, 200);
          await res.arrayBuffer();
          return { output: res.headers.get('x-output-id'), cache: res.headers.get('x-cache') };
        };
        const first = await say();
        assert.equal(first.cache, 'miss', "acme's policy caches unseeded requests");
        assert.match(first.output ?? '', /^out_/, 'the key stores by default');
        const meta = (await (await fetch(`${server.url}/v1/outputs/${first.output}`, { headers })).json()) as { createdAt: string; expiresAt: string };
        assert.equal(Date.parse(meta.expiresAt) - Date.parse(meta.createdAt), 86_400_000, "acme's retention: one day");
        const off = await cli(['keys', 'store', key.id, 'off'], dataDir);
        assert.equal(off.code, 0, off.stderr);
        assert.match(off.stdout, /stores outputs when asked/);
        const second = await say();
        assert.equal(second.output, null, 'turned off on the command line: the running server stops storing at once');
        assert.equal(second.cache, 'hit');
      } finally {
        await server.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('bad input: exit 2 naming the problem', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cosyfleet-tenants-cli-'));
    try {
      for (const [args, problem] of [
        [['tenants', 'set', 'acme'], /needs --result-cache, --output-retention-days or both/],
        [['tenants', 'set', 'acme', '--result-cache', 'sometimes'], /--result-cache must be one of off, seeded, always or default/],
        [['tenants', 'set', 'acme', '--output-retention-days', '-1'], /--output-retention-days needs a value|--output-retention-days must be/],
        [['tenants', 'set', 'acme', '--output-retention-days', '36501'], /--output-retention-days must be a whole number of days from 0 to 36500/],
        [['tenants', 'set', '../etc', '--result-cache', 'off'], /a tenant is 1–64 lower-case letters/],
        [['tenants', 'show'], /tenants show needs a tenant name/],
        [['tenants', 'fly'], /unknown tenants command "fly"/],
        [['keys', 'store', 'key_x', 'maybe'], /keys store needs on or off/],
      ] as const) {
        const r = await cli([...args], dataDir);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, problem);
      }
      const missing = await cli(['keys', 'store', 'key_nope', 'on'], dataDir);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /No API key "key_nope"/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
