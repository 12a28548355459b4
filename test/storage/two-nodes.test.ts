// Two real cosyfleet services (separate DATA_DIRs, as on two machines) on one real PostgreSQL
// (DATABASE_URL): what one node writes, the other acts on at once. A lexicon entry made through
// node A changes node B's text, even after B had compiled (and cached) the lexicon without it;
// a key made on A works on B, and once A revokes it B refuses it on the very next request;
// `cosyfleet keys` with DATABASE_URL works on the same database.
// Voice recordings still live in each node's DATA_DIR until the object store lands, so voices
// are not shared here (their metadata in PostgreSQL: test/storage/postgres-stores.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runKeysCommand } from '../../src/accounts/command.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { postJson, startTestServer, type TestServer } from '../helpers/server.js';

const ACME_KEY = 'acme-tenant-key-0123456789abcdef';
const ADMIN_KEY = 'admin-key-0123456789abcdef-two-nodes';
const acme = { authorization: `Bearer ${ACME_KEY}` };
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const json = (headers: Record<string, string>) => ({ headers: { 'content-type': 'application/json', ...headers } });

async function body<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

describe('two nodes on one PostgreSQL', () => {
  let postgres: TestPostgres;
  let nodeA: TestServer;
  let nodeB: TestServer;

  before(async () => {
    postgres = await startPostgres();
    const overrides = { databaseUrl: postgres.url, auth: 'keys', apiKeys: `acme:${ACME_KEY}`, adminKey: ADMIN_KEY };
    // Both start (and migrate the empty database) at once, as a fleet rolling out does.
    [nodeA, nodeB] = await Promise.all([startTestServer(overrides), startTestServer(overrides)]);
    assert.notEqual(nodeA.config.dataDir, nodeB.config.dataDir);
  });
  after(async () => {
    await Promise.all([nodeA?.close(), nodeB?.close()]);
    await postgres?.stop();
  });

  const preview = async (node: TestServer, text: string): Promise<string> =>
    (await body<{ text: string }>(await postJson(`${node.url}/v1/tts/preview-text`, { text, language: 'en' }, json(acme)), 200)).text;

  it("a lexicon entry made on node A changes node B's text at once, and so does its removal", async () => {
    assert.equal(await preview(nodeB, 'Deploy Qwzx today.'), 'Deploy Qwzx today.', 'B compiles its lexicon without the entry');
    const entry = await body<{ id: string }>(await postJson(`${nodeA.url}/v1/lexicon`, { term: 'Qwzx', pronunciation: '[K][W][IH1][Z]' }, json(acme)), 201);
    assert.equal(await preview(nodeB, 'Deploy Qwzx today.'), 'Deploy [K][W][IH1][Z] today.');
    const onB = await body<{ data: { id: string }[] }>(await fetch(`${nodeB.url}/v1/lexicon`, { headers: acme }), 200);
    assert.deepEqual(onB.data.map((e) => e.id), [entry.id]);
    // The duplicate rule spans the nodes.
    const dup = await body<{ error: { code: string } }>(await postJson(`${nodeB.url}/v1/lexicon`, { term: 'QWZX', pronunciation: '[K][W][IH1][Z]' }, json(acme)), 409);
    assert.equal(dup.error.code, 'lexicon_conflict');
    assert.equal((await fetch(`${nodeB.url}/v1/lexicon/${entry.id}`, { method: 'DELETE', headers: acme })).status, 204);
    assert.equal(await preview(nodeA, 'Deploy Qwzx today.'), 'Deploy Qwzx today.', 'removed on B: gone on A');
  });

  it('a key created on node A works on node B; revoked on A, B refuses it at once', async () => {
    const created = await body<{ id: string; key: string; tenant: string }>(
      await postJson(`${nodeA.url}/v1/admin/keys`, { name: 'fleet key', tenant: 'acme', scopes: ['synthesize'] }, json(admin)),
      201,
    );
    const fleetKey = { authorization: `Bearer ${created.key}` };
    const previewB = () => postJson(`${nodeB.url}/v1/tts/preview-text`, { text: 'Hello there.', language: 'en' }, json(fleetKey));
    assert.equal((await body<{ text: string }>(await previewB(), 200)).text, 'Hello there.');
    const listed = await body<{ data: { id: string }[] }>(await fetch(`${nodeB.url}/v1/admin/keys?tenant=acme`, { headers: admin }), 200);
    assert.ok(listed.data.some((k) => k.id === created.id), 'B lists the key A made');

    const revoked = await body<{ revokedAt: string | null }>(await fetch(`${nodeA.url}/v1/admin/keys/${created.id}`, { method: 'DELETE', headers: admin }), 200);
    assert.ok(revoked.revokedAt);
    const refused = await previewB();
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'api_key_revoked');
    const shown = await body<{ revokedAt: string | null }>(await fetch(`${nodeB.url}/v1/admin/keys/${created.id}`, { headers: admin }), 200);
    assert.equal(shown.revokedAt, revoked.revokedAt);
  });

  it('`cosyfleet keys` with DATABASE_URL makes and revokes keys every node honours', async () => {
    const run = async (argv: string[]): Promise<{ code: number; stdout: string }> => {
      let stdout = '';
      let stderr = '';
      const code = await runKeysCommand(argv, {
        env: { DATABASE_URL: postgres.url },
        stdout: { write: (t: string) => (stdout += t) },
        stderr: { write: (t: string) => (stderr += t) },
      });
      assert.equal(stderr, '');
      return { code, stdout };
    };
    const made = await run(['create', '--name', 'from the cli', '--tenant', 'acme', '--scope', 'synth', '--json']);
    assert.equal(made.code, 0);
    const { id, key } = JSON.parse(made.stdout) as { id: string; key: string };
    const cliKey = { authorization: `Bearer ${key}` };
    for (const node of [nodeA, nodeB]) {
      assert.equal((await postJson(`${node.url}/v1/tts/preview-text`, { text: 'Hello.', language: 'en' }, json(cliKey))).status, 200);
    }
    assert.equal((await run(['revoke', id])).code, 0);
    for (const node of [nodeA, nodeB]) {
      const refused = await postJson(`${node.url}/v1/tts/preview-text`, { text: 'Hello.', language: 'en' }, json(cliKey));
      assert.equal(refused.status, 401);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'api_key_revoked');
    }
  });
});
