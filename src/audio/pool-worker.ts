// Entry of an audio worker thread (src/audio/pool.ts): runs tasks in arrival order. A session's
// codec state lives here between its writes; tasks of one thread never overlap, so the codecs
// need no locking.
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { CodecSession } from './codec-session.js';
import { reply, toWire, type AudioTask } from './tasks.js';

const port = parentPort;
if (!port) throw new Error('pool-worker.ts runs only as a worker thread');
// Below the event loop in CPU priority: when audio work keeps every core busy, the thread that
// answers requests still gets the CPU first. On Linux a nice value belongs to a thread, and
// setPriority(pid 0) sets the calling thread's; elsewhere it may renice the whole process, so it
// is done only on Linux. Failing to (a sandbox without the permission) changes nothing else.
export const AUDIO_THREAD_NICE = 10;
if (process.platform === 'linux') {
  try {
    setPriority(0, AUDIO_THREAD_NICE);
  } catch {
    // keep the default priority
  }
}
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
