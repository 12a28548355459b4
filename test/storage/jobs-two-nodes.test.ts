// A long-form job survives a kill -9 of its node: two cosyfleet nodes on one real PostgreSQL
// (graphile-worker as the queue) and one real S3-protocol server (s3rver, where the job's stored
// segments and its result live). Node A, a real child process (`cosyfleet serve`), takes the job;
// once it has stored a few segments it is killed with SIGKILL, holding graphile's lock. Node B
// sees A's heartbeat go stale (JOB_NODE_TIMEOUT_S), unlocks A's job, resumes it at its first
// segment without stored audio and finishes it: B synthesizes only what A had not stored, and the
// result (a stored output on S3) is read through either node's API.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startS3, S3RVER_CREDENTIALS, useS3rverCredentials, type TestS3 } from '../helpers/s3.js';
import { postJson, startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { ObservedEngine } from '../helpers/observed-engine.js';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import { assertProbes } from '../helpers/outputs.js';
import { serveProcess } from '../helpers/serve-process.js';

const KEY = 'acme-tenant-key-0123456789abcdef';
const acme = { authorization: `Bearer ${KEY}` };
const SENTENCE = 'The night train crossed the long bridge while the river slept below it.';
/** About 60 segments of one sentence each (MAX_SEGMENT_CHARS=90). */
const CHAPTER = Array.from({ length: 60 }, (_, i) => `${SENTENCE} This is sentence ${i + 1}.`).join(' ');

interface JobWire {
  id: string;
  status: string;
  attempts: number;
  progress: { segmentsDone: number; segmentsTotal: number };
  output: { id: string; url: string | null } | null;
}

describe('a long-form job on two nodes (PostgreSQL + S3)', () => {
  let postgres: TestPostgres;
  let s3: TestS3;
  let nodeA: ChildProcess | undefined;
  let nodeB: TestServer | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'cosyfleet-node-a-'));

  before(async () => {
    useS3rverCredentials();
    [postgres, s3] = await Promise.all([startPostgres(), startS3()]);
  });
  after(async () => {
    nodeA?.kill('SIGKILL');
    await nodeB?.close();
    await Promise.all([postgres?.stop(), s3?.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const shared = () => ({
    DATABASE_URL: postgres.url,
    OBJECT_STORE: 's3',
    S3_BUCKET: s3.bucket,
    S3_REGION: 'us-east-1',
    S3_ENDPOINT: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AUTH: 'keys',
    COSYFLEET_API_KEYS: `acme:${KEY}`,
    MAX_SEGMENT_CHARS: '90',
    JOB_NODE_TIMEOUT_S: '3',
    JOB_POLL_INTERVAL_MS: '200',
    INSTANCE_METADATA: 'off',
  });

  it('survives a kill -9 of its node and finishes on the other one', { timeout: 240_000 }, async () => {
    const nodeProcess = serveProcess({ ...shared(), DATA_DIR: dataDir, AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey });
    const { child, exited } = nodeProcess;
    nodeA = child;
    const urlA = await nodeProcess.address;

    const created = await postJson(`${urlA}/v1/jobs`, { text: CHAPTER, format: 'mp3' }, { headers: { 'content-type': 'application/json', ...acme } });
    assert.equal(created.status, 202, await created.clone().text());
    const job = (await created.json()) as JobWire;
    assert.ok(job.progress.segmentsTotal >= 50, `segments: ${job.progress.segmentsTotal}`);
    const read = async (url: string): Promise<JobWire> => (await (await fetch(`${url}/v1/jobs/${job.id}`, { headers: acme })).json()) as JobWire;
    await waitFor(async () => (await read(urlA)).progress.segmentsDone >= 3, 'node A to store three segments', 60_000);
    child.kill('SIGKILL');
    await exited;
    const stored = (await read(await startB())).progress.segmentsDone;
    assert.ok(stored >= 3 && stored < job.progress.segmentsTotal, `A stored ${stored} of ${job.progress.segmentsTotal} segments before it died`);

    let done: JobWire | undefined;
    const urlB = (nodeB as TestServer).url;
    await waitFor(async () => (done = await read(urlB)).status === 'succeeded', 'node B to finish the job', 180_000);
    const finished = done as JobWire;
    assert.equal(finished.progress.segmentsDone, finished.progress.segmentsTotal);
    assert.equal(finished.attempts, 2, 'started by A, resumed by B');
    // B made only the segments A had not stored (the one A was making when it died among them).
    assert.equal(engineB.segmentsFinished, finished.progress.segmentsTotal - stored);
    assert.ok(finished.output);
    const audio = await fetch(`${urlB}/v1/outputs/${finished.output.id}/audio`, { headers: acme, redirect: 'manual' });
    assert.equal(audio.status, 302, 'the result lives on S3');
    const object = await fetch(audio.headers.get('location') as string);
    assert.equal(object.status, 200);
    await assertProbes(Buffer.from(await object.arrayBuffer()), 'mp3');
  });

  const engineB = new ObservedEngine(new EspeakEngine({ workers: 1 }));
  async function startB(): Promise<string> {
    const env = shared();
    nodeB = await startTestServer(
      {
        databaseUrl: env.DATABASE_URL,
        objectStore: 's3',
        s3Bucket: env.S3_BUCKET,
        s3Region: env.S3_REGION,
        s3Endpoint: env.S3_ENDPOINT,
        s3ForcePathStyle: true,
        auth: 'keys',
        apiKeys: env.COSYFLEET_API_KEYS,
        maxSegmentChars: 90,
        jobNodeTimeoutS: 3,
        jobPollIntervalMs: 200,
      },
      { engine: engineB },
    );
    return nodeB.url;
  }
});
