// Entry of an audio worker thread (src/audio/pool.ts): runs tasks in arrival order. A session's
// codec state lives here between its writes; tasks of one thread never overlap, so the codecs
// need no locking.
import { parentPort } from 'node:worker_threads';
import type { CodecSession } from './codec-session.js';
import { reply, toWire, type AudioTask } from './tasks.js';

const port = parentPort;
if (!port) throw new Error('pool-worker.ts runs only as a worker thread');
const sessions = new Map<number, CodecSession>();
let chain: Promise<void> = Promise.resolve();

port.on('message', (msg: { id: number; task: AudioTask }) => {
  // Strictly one after another: a session's write must not start before its open has finished.
  chain = chain.then(async () => {
    const { reply: answer, transfer } = await reply(msg.id, msg.task, sessions);
    try {
      port.postMessage(answer, transfer);
    } catch (err) {
      // A value that cannot cross (never expected): the caller still gets an answer.
      port.postMessage({ id: msg.id, ok: false, error: toWire(err), threadId: answer.threadId });
    }
  });
});
