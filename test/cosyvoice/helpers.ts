// Set-up for the `cosyvoice` engine tests. CI has no GPU and no Fun-CosyVoice3 weights, so the
// model is replaced at the process boundary: the real Python worker (workers/cosyvoice/worker.py)
// runs with test/cosyvoice/standin on its PYTHONPATH, where `cosyvoice` and `torch` are stand-ins
// with the official methods (see standin/README.md). Everything else is real: the supervisor, the
// child processes, the worker protocol, the HTTP service.
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config/config.js';

export const STANDIN_DIR = fileURLToPath(new URL('./standin', import.meta.url));
/** The preset speakers the stand-in model's spk2info holds. */
export const STANDIN_SPEAKERS = ['中文女', '英文男'];

export interface JournalEntry {
  event: string;
  pid: number;
  [field: string]: unknown;
}

export interface StandIn {
  readonly modelDir: string;
  /** Where the stand-in's ModelScope cache is (MODELSCOPE_CACHE), grammars of the text normalizer included. */
  readonly modelscopeCache: string;
  journal(): Promise<JournalEntry[]>;
  remove(): Promise<void>;
}

/**
 * A model directory the stand-in accepts, a journal and a state directory. The workers inherit
 * this process's environment, so the journal's path is set there (each test file runs in its
 * own process).
 */
export async function standIn(): Promise<StandIn> {
  const root = await mkdtemp(join(tmpdir(), 'cosyfleet-cosyvoice-'));
  const modelDir = join(root, 'Fun-CosyVoice3-0.5B');
  const state = join(root, 'state');
  await mkdir(modelDir);
  await mkdir(state);
  await writeFile(join(modelDir, 'cosyvoice3.yaml'), '# stand-in\n');
  await writeFile(join(modelDir, 'spk2info.json'), JSON.stringify({ [STANDIN_SPEAKERS[0] as string]: [0.3], [STANDIN_SPEAKERS[1] as string]: [0.7] }));
  const journal = join(root, 'journal.jsonl');
  // The text normalizer's grammars, where ModelScope keeps them (the Docker image fetches them at
  // build time); a test of the offline start points MODELSCOPE_CACHE elsewhere.
  const modelscope = join(root, 'modelscope', 'hub');
  await mkdir(join(modelscope, 'pengzhendong', 'wetext', 'zh', 'tn'), { recursive: true });
  await writeFile(join(modelscope, 'pengzhendong', 'wetext', 'zh', 'tn', 'tagger.fst'), 'stand-in grammar\n');
  process.env.COSYVOICE_STANDIN_JOURNAL = journal;
  process.env.COSYVOICE_STANDIN_STATE = state;
  process.env.MODELSCOPE_CACHE = modelscope;
  return {
    modelDir,
    modelscopeCache: modelscope,
    journal: async () =>
      (await readFile(journal, 'utf8').catch(() => ''))
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as JournalEntry),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** The text of a journal entry without CosyVoice3's system prompt (what is spoken). */
export function spoken(entry: JournalEntry): string {
  const text = String(entry.text ?? '');
  const at = text.indexOf('<|endofprompt|>');
  return at >= 0 ? text.slice(at + '<|endofprompt|>'.length) : text;
}

/** Config overrides for the cosyvoice engine over the stand-in, with fast heartbeats and backoff. */
export function cosyvoiceSettings(model: StandIn, more: Partial<Record<keyof Config, unknown>> = {}): Partial<Record<keyof Config, unknown>> {
  return {
    engine: 'cosyvoice',
    cosyvoicePython: 'python3',
    cosyvoicePythonPath: STANDIN_DIR,
    cosyvoiceModelDir: model.modelDir,
    workerProcesses: 1,
    workerConcurrency: 1,
    workerHeartbeatMs: 200,
    workerBackoffMs: 50,
    workerBackoffMaxMs: 2000,
    workerStartTimeoutMs: 30_000,
    workerDrainTimeoutMs: 10_000,
    ...more,
  };
}
