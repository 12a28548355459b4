// The Python CosyVoice3 worker on its own, driven over the worker protocol by the supervisor's
// WorkerProcess (no service around it), with the stand-in package at each upstream ref it must
// survive (test/cosyvoice/standin, COSYVOICE_STANDIN_REF): cancelled segments that leave nothing
// behind, a quiet stderr, an offline start, and the four modes at every ref.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { COSYVOICE_WORKER_SCRIPT } from '../../src/engines/cosyvoice/engine.js';
import { COSYVOICE3_PROMPT_PREFIX } from '../../src/engines/remote/cosyvoice3.js';
import type { WireRequest, WireVoice } from '../../src/workers/protocol.js';
import { WorkerProcess } from '../../src/workers/worker-process.js';
import { waitFor } from '../helpers/wait.js';
import { StandInModel } from '../remote/fakes/model.js';
import { PROMPT_TEXT, makePrompt } from '../remote/helpers.js';
import { STANDIN_DIR, standIn, type JournalEntry, type StandIn } from './helpers.js';

let model: StandIn;
const speech = new StandInModel();
let prompt: Float32Array;

before(async () => {
  model = await standIn();
  await speech.start();
  prompt = await (await makePrompt(speech)).loadAudio();
});
after(async () => {
  await speech.close();
  await model.remove();
});

interface Started {
  worker: WorkerProcess;
  lines: string[];
}

async function startWorker(env: Record<string, string> = {}, concurrency = 1): Promise<Started> {
  const lines: string[] = [];
  const worker = new WorkerProcess(
    'test',
    0,
    {
      command: 'python3',
      args: ['-u', COSYVOICE_WORKER_SCRIPT],
      env: {
        ...process.env,
        PYTHONPATH: STANDIN_DIR,
        COSYVOICE_MODEL_DIR: model.modelDir,
        COSYFLEET_WORKER_ENGINE: 'cosyvoice',
        COSYFLEET_WORKER_CONCURRENCY: String(concurrency),
        COSYFLEET_SEGMENT_STALL_MS: '30000',
        COSYVOICE_STREAM: '1',
        ...env,
      },
    },
    { startTimeoutMs: 30_000, heartbeatMs: 100, heartbeatMisses: 50 },
    (_level, _fields, msg) => lines.push(msg),
  );
  await worker.start();
  return { worker, lines };
}

interface Outcome {
  samples: number;
  chunks: number[];
  error?: string;
}

function synth(worker: WorkerProcess, request: Partial<WireRequest>, onChunk?: (id: number, n: number) => void): { id: number; done: Promise<Outcome> } {
  const out: Outcome = { samples: 0, chunks: [] };
  let id = 0;
  const done = new Promise<Outcome>((resolve) => {
    id = worker.synth({ text: 'Hello.', mode: 'preset', voice: '英文男', language: 'en', speed: 1, ...request } as WireRequest, {
      chunk: (samples) => {
        out.samples += samples.length;
        out.chunks.push(samples.length);
        onChunk?.(id, samples.length);
      },
      done: () => resolve(out),
      error: (e) => resolve({ ...out, error: `${e.code}: ${e.message}` }),
    });
  });
  return { id, done };
}

const VOICE: WireVoice = { id: 'voice_test', version: 1, transcript: PROMPT_TEXT, language: 'en', sampleRate: 16000 };

async function journalSince(at: number): Promise<JournalEntry[]> {
  return (await model.journal()).slice(at);
}

describe('the cosyvoice worker over the protocol', () => {
  it('a thousand segments cancelled mid-stream leave no session in the model, and their LLM threads stop', { timeout: 180_000 }, async () => {
    const { worker } = await startWorker({}, 4);
    const from = (await model.journal()).length;
    try {
      // ~900 speech tokens: still generating long after the cancel, even on a busy machine.
      const text = 'A sentence long enough to keep the language model busy for many streamed chunks of audio, on purpose. '.repeat(6);
      let cancelled = 0;
      for (let round = 0; round < 250; round++) {
        const runs = Array.from({ length: 4 }, () => synth(worker, { text }, (id) => worker.cancel(id)));
        for (const r of runs) {
          const o = await r.done;
          assert.equal(o.error, 'cancelled: The request was cancelled.', JSON.stringify(o));
          cancelled++;
        }
      }
      assert.equal(cancelled, 1000);
      await waitFor(() => worker.sessions === 0, 'the worker to report no session left');
      // Every LLM thread ended, most long before their text was spoken (upstream's run on to max_len).
      let exits: JournalEntry[] = [];
      await waitFor(async () => (exits = (await journalSince(from)).filter((e) => e.event === 'llm_exit')).length === 1000, 'all thousand LLM threads to end');
      assert.ok(exits.filter((e) => e.finished === false).length > 500, `${exits.filter((e) => e.finished === false).length} stopped early`);
      // One more, run to its end: the model held nothing from the thousand before it.
      const at = (await model.journal()).length;
      const last = await synth(worker, { text: 'And a last one.' }).done;
      assert.equal(last.error, undefined);
      const start = (await journalSince(at)).find((e) => e.event === 'tts_start');
      assert.equal(start?.sessions_before, 0);
    } finally {
      await worker.stop(2000);
    }
  });

  it('keeps stderr useful: no package DEBUG/INFO lines, no progress bars', async () => {
    const { worker, lines } = await startWorker();
    try {
      for (let i = 0; i < 3; i++) assert.equal((await synth(worker, { text: `Sentence ${i} for the log.` }).done).error, undefined);
      const from = lines.filter((l) => l.startsWith('worker: '));
      assert.ok(!from.some((l) => /\b(DEBUG|INFO)\b/.test(l)), from.join('\n'));
      assert.ok(!from.some((l) => /it\/s\]|stand-in tqdm/.test(l)), from.join('\n'));
      // Its own failures still reach the log, with the traceback.
      assert.match((await synth(worker, { text: 'This asserts: llmassert.' }).done).error ?? '', /AssertionError/);
      await waitFor(() => lines.some((l) => /segment \d+ failed/.test(l)), 'the failure in the log');
    } finally {
      await worker.stop(2000);
    }
  });

  for (const ref of ['0c50894', '1822c5c']) {
    it(`starts offline without the normalizer's grammars (ref ${ref}): no download, a warning, text passed through`, async () => {
      const empty = join(model.modelDir, '..', `modelscope-empty-${ref}`);
      await mkdir(empty, { recursive: true });
      const at = (await model.journal()).length;
      const { worker } = await startWorker({ MODELSCOPE_CACHE: empty, COSYVOICE_STANDIN_REF: ref });
      try {
        await waitFor(() => worker.warnings.some((w) => w.code === 'text_normalizer_offline'), 'the offline warning');
        assert.match(worker.warnings[0]?.message ?? '', /pengzhendong\/wetext/);
        const out = await synth(worker, { text: 'I have 12 apples.' }).done;
        assert.equal(out.error, undefined);
        const entries = await journalSince(at);
        assert.deepEqual(entries.filter((e) => e.event === 'download'), [], 'nothing tried to download');
        assert.equal(entries.find((e) => e.event === 'inference_sft')?.text, `${COSYVOICE3_PROMPT_PREFIX}I have 12 apples.`);
      } finally {
        await worker.stop(2000);
        await rm(empty, { recursive: true, force: true });
      }
    });
  }

  for (const ref of ['0c50894', '1822c5c', 'ace7c47']) {
    it(`serves every mode at upstream ref ${ref} without corrupting the cached voice`, async () => {
      const { worker } = await startWorker({ COSYVOICE_STANDIN_REF: ref });
      try {
        await worker.prepareVoice(VOICE, prompt);
        const at = (await model.journal()).length;
        const requests: Partial<WireRequest>[] = [
          { text: 'A preset speaker.' },
          { text: 'A cloned voice.', mode: 'clone', voice: VOICE.id, prompt: VOICE },
          { text: 'Bonjour à tous.', mode: 'cross_lingual', voice: VOICE.id, language: 'fr', prompt: VOICE },
          { text: 'Speak gently.', mode: 'instruct', voice: VOICE.id, prompt: VOICE, instruction: { text: `You are a helpful assistant. 请用温柔的语气说。${'<|endofprompt|>'}` } },
          { text: 'Cloned again.', mode: 'clone', voice: VOICE.id, prompt: VOICE },
        ];
        for (const request of requests) {
          const out = await synth(worker, request).done;
          assert.equal(out.error, undefined, `${request.mode ?? 'preset'}: ${out.error}`);
          assert.ok(out.samples > 24000 * 0.3, `${request.mode ?? 'preset'}: ${out.samples} samples`);
        }
        const again = (await journalSince(at)).filter((e) => e.event === 'inference_zero_shot').at(-1);
        assert.equal(again?.llm_prompt_speech, true, 'the cached entry still has its prompt speech tokens');
        assert.equal(again?.prompt_text, `${COSYVOICE3_PROMPT_PREFIX}${PROMPT_TEXT}`);
      } finally {
        await worker.stop(2000);
      }
    });
  }

  it('a prompt over 30 s is refused in words before the package asserts', async () => {
    const { worker } = await startWorker();
    try {
      const long = new Float32Array(16000 * 31).map((_, i) => 0.2 * Math.sin(i / 10));
      await assert.rejects(worker.prepareVoice({ ...VOICE, id: 'voice_long' }, long), (e: Error) => /31\.0 s long; CosyVoice3 takes at most 30 s/.test(e.message));
      await worker.prepareVoice(VOICE, prompt);
    } finally {
      await worker.stop(2000);
    }
  });

  it('at HEAD, every segment streams its first audio after one hop of speech tokens (upstream never resets its growing hop)', async () => {
    const { worker } = await startWorker({ COSYVOICE_STANDIN_REF: 'ace7c47' });
    try {
      const text = 'A sentence long enough for several streamed chunks of audio, and then a few more words to say.';
      const firsts: number[] = [];
      for (let i = 0; i < 3; i++) {
        const out = await synth(worker, { text }).done;
        assert.equal(out.error, undefined);
        firsts.push(out.chunks[0] as number);
      }
      assert.deepEqual(firsts, [25 * 960, 25 * 960, 25 * 960]);
    } finally {
      await worker.stop(2000);
    }
  });
});
