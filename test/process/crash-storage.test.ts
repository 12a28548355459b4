// kill -9 while voices are being uploaded and deleted, then a restart on the same DATA_DIR: the
// restarted service reconciles storage with its database before it listens. Whatever moment the
// kill hit, afterwards no temporary file is left, every recording belongs to a voice, and every
// voice still has its recordings and speaks. Leftovers of a crash are also planted by hand, so the
// test cannot pass by luck of timing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postJson } from '../helpers/server.js';
import { blobFiles, TRANSCRIPT, voiceRows } from '../helpers/voices.js';
import { waitFor } from '../helpers/wait.js';
import { serveProcess } from '../helpers/serve-process.js';
import { newVoiceId } from '../../src/voices/ids.js';

// AUTH=off: this is about storage; keys are test/http/auth.test.ts's and serve.test.ts's.
const serve = (dataDir: string) => serveProcess({ DATA_DIR: dataDir, AUTH: 'off' });

async function upload(url: string, wav: Buffer): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries({ name: 'Crash test', transcript: TRANSCRIPT, language: 'en', consent: 'true' })) form.append(k, v);
  form.append('audio', new Blob([wav], { type: 'audio/wav' }), 'voice.wav');
  return fetch(`${url}/v1/voices`, { method: 'POST', body: form });
}

describe('storage after kill -9', () => {
  it('a restarted service removes what the crash left and keeps every voice whole', { timeout: 180_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cosyfleet-crash-'));
    try {
      const first = serve(dataDir);
      const url = await first.address;
      const speech = await postJson(`${url}/v1/tts`, { text: TRANSCRIPT, language: 'en', format: 'wav' });
      assert.equal(speech.status, 200);
      const wav = Buffer.from(await speech.arrayBuffer());
      // Uploads and deletes in flight, then kill -9 once several have finished.
      let done = 0;
      let issued = 0;
      let stop = false;
      // What the client saw: voices created (and not deleted) must all survive; others may or may not.
      const created = new Set<string>();
      const deleting = new Set<string>();
      const traffic = Array.from({ length: 3 }, async () => {
        while (!stop) {
          const mine = issued++;
          const res = await upload(url, wav).catch(() => null);
          if (!res) return;
          if (res.status === 201) {
            const id = ((await res.json()) as { id: string }).id;
            if (mine % 3 === 0) {
              deleting.add(id);
              await fetch(`${url}/v1/voices/${id}`, { method: 'DELETE' }).catch(() => null);
            } else created.add(id);
          } else await res.arrayBuffer().catch(() => null);
          done++;
        }
      });
      await waitFor(() => done >= 6, 'six uploads');
      first.child.kill('SIGKILL');
      stop = true;
      await Promise.all(traffic);
      await first.exited;

      // What a crash at the worst moments leaves, planted so the outcome does not depend on timing.
      const orphan = newVoiceId();
      await mkdir(join(dataDir, 'blobs', 'voices', orphan), { recursive: true });
      await writeFile(join(dataDir, 'blobs', 'voices', orphan, 'original'), 'an upload that never got its row');
      await writeFile(join(dataDir, 'blobs', 'voices', orphan, 'prompt.tmp-0123456789ab'), 'a put cut short');
      assert.ok(created.size >= 2, `${created.size} voices created before the kill`);

      const second = serve(dataDir);
      try {
        const again = await second.address;
        // Read through the restarted service: after a kill -9 the rows may still sit in SQLite's
        // write-ahead log, which only a writer recovers.
        const listed = (await (await fetch(`${again}/v1/voices`)).json()) as { data: { id: string; kind: string }[] };
        const rows = listed.data.filter((v) => v.kind === 'cloned').map((v) => v.id).sort();
        for (const id of created) assert.ok(rows.includes(id), `voice ${id}, created before the kill, was lost`);
        assert.deepEqual(voiceRows(dataDir).map((r) => r.id).sort(), rows, 'the database agrees with the listing');
        const files = await blobFiles(dataDir);
        assert.deepEqual(files.filter((f) => f.includes('.tmp-')), [], 'no temporary file left');
        assert.deepEqual(files, rows.flatMap((id) => [`voices/${id}/original`, `voices/${id}/prompt`]).sort(), 'exactly the recordings of the voices in the database');
        assert.ok(second.lines.some((l) => /storage reconciled/.test(l)), 'the reconciliation was logged');
        // Every surviving voice still speaks.
        for (const id of rows.slice(0, 3)) {
          const res = await postJson(`${again}/v1/tts`, { text: 'Still here.', voice: id, format: 'pcm' });
          assert.equal(res.status, 200, await res.clone().text());
        }
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
