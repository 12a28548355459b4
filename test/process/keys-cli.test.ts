// `cosyfleet keys` as a real child process on a data directory a real server then uses: a key
// made on the command line works over HTTP, its secret appears once and never in the list, its
// limits apply, and a revoke on the command line is refused by the running server.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { postJson, startTestServer } from '../helpers/server.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

function keys(args: string[], dataDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, 'keys', ...args], { env: { ...process.env, DATA_DIR: dataDir } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('cosyfleet keys', () => {
  it('create, list, limits and revoke on the database a running server reads', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cosyfleet-keys-cli-'));
    try {
      const made = await keys(['create', '--name', 'ivr app', '--tenant', 'acme', '--scope', 'synth', '--rpm', '1', '--json'], dataDir);
      assert.equal(made.code, 0, made.stderr);
      const record = JSON.parse(made.stdout) as { id: string; key: string; tenant: string; scopes: string[]; limits: { requestsPerMinute: number } };
      assert.equal(record.tenant, 'acme');
      assert.deepEqual(record.scopes, ['synthesize']);
      assert.equal(record.limits.requestsPerMinute, 1);
      const listed = await keys(['list', '--json'], dataDir);
      assert.equal(listed.code, 0);
      assert.ok(!listed.stdout.includes(record.key.slice(3)), 'the list never shows a secret');
      assert.match(listed.stdout, new RegExp(record.id));

      const server = await startTestServer({ auth: 'keys', dataDir });
      try {
        const headers = { 'content-type': 'application/json', authorization: `Bearer ${record.key}` };
        const ok = await postJson(`${server.url}/v1/tts`, { text: 'Hello.', format: 'wav' }, { headers });
        assert.equal(ok.status, 200);
        await ok.arrayBuffer();
        assert.equal((await postJson(`${server.url}/v1/tts`, { text: 'Hello.', format: 'wav' }, { headers })).status, 429, 'its limit of one request a minute applies');
        const lifted = await keys(['limits', record.id, '--rpm', '0'], dataDir);
        assert.equal(lifted.code, 0, lifted.stderr);
        const again = await postJson(`${server.url}/v1/tts`, { text: 'Hello.', format: 'wav' }, { headers });
        assert.equal(again.status, 200, 'the limit removed on the command line is gone for the server');
        await again.arrayBuffer();
        const revoked = await keys(['revoke', record.id], dataDir);
        assert.equal(revoked.code, 0, revoked.stderr);
        assert.match(revoked.stdout, /REVOKED/);
        const refused = await postJson(`${server.url}/v1/tts`, { text: 'Hello.', format: 'wav' }, { headers });
        assert.equal(refused.status, 401);
        assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'api_key_revoked');
      } finally {
        await server.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('bad input: exit 2 naming the problem', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cosyfleet-keys-cli-'));
    try {
      const scope = await keys(['create', '--name', 'x', '--scope', 'fly'], dataDir);
      assert.equal(scope.code, 2);
      assert.match(scope.stderr, /unknown scope "fly"/);
      const tenant = await keys(['create', '--name', 'x', '--scope', 'synth', '--tenant', '../etc'], dataDir);
      assert.equal(tenant.code, 2);
      assert.match(tenant.stderr, /--tenant/);
      const missing = await keys(['revoke', 'key_nope'], dataDir);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /No API key "key_nope"/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
