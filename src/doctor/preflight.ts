// The doctor's view of what would stop or slow the CosyVoice3 worker at load, found by the
// worker's own preflight (workers/cosyvoice/preflight.py, run with COSYVOICE_PYTHON so it sees
// the CosyVoice environment): a read-only model directory that TensorRT or vLLM would write into,
// and text-normalizer grammars that the package would try to download at every load.
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config.js';
import type { CheckResult, RunResult } from './checks.js';

export const PREFLIGHT_SCRIPT = fileURLToPath(new URL('../../workers/cosyvoice/preflight.py', import.meta.url));

interface PreflightReport {
  modelDir: { level: 'fail' | 'warn'; message: string }[];
  normalizer: { ok: boolean; source: string | null; detail: string };
}

type Run = (command: string, args: readonly string[], timeoutMs: number) => Promise<RunResult>;

export async function checkPreflight(config: Config, run: Run): Promise<CheckResult[]> {
  const bit = (on: boolean) => (on ? '1' : '0');
  const out = await run(
    config.cosyvoicePython,
    [PREFLIGHT_SCRIPT, '--model-dir', config.cosyvoiceModelDir, '--load-trt', bit(config.cosyvoiceLoadTrt), '--load-vllm', bit(config.cosyvoiceLoadVllm), '--fp16', bit(config.workerFp16)],
    60_000,
  );
  let report: PreflightReport;
  try {
    report = JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '') as PreflightReport;
  } catch {
    const why = (out.stderr.trim().split('\n').at(-1) ?? '') || out.error || `exit ${out.code}`;
    const detail = `Could not run the worker's preflight (${PREFLIGHT_SCRIPT}) with ${config.cosyvoicePython}: ${why.slice(0, 300)}`;
    return [
      { id: 'model-writes', title: 'Model directory writes', status: 'warn', detail, fix: 'Fix the Python check above first.' },
      { id: 'text-normalizer', title: 'Text normalizer (offline)', status: 'warn', detail, fix: 'Fix the Python check above first.' },
    ];
  }
  return [modelWrites(report), normalizer(report)];
}

function modelWrites(report: PreflightReport): CheckResult {
  const id = 'model-writes';
  const title = 'Model directory writes';
  if (report.modelDir.some((p) => p.message.includes('does not exist'))) {
    return { id, title, status: 'warn', detail: 'Not checked: the model directory is missing (see "Model files").', fix: 'Download the model first.' };
  }
  const fail = report.modelDir.find((p) => p.level === 'fail');
  if (fail) {
    return {
      id,
      title,
      status: 'fail',
      detail: fail.message,
      fix: 'Mount the model directory read-write for one start (docker-compose.yml: read_only: false), let the worker build what it needs, then mount it read-only again; or turn COSYVOICE_LOAD_TRT / COSYVOICE_LOAD_VLLM off.',
    };
  }
  if (report.modelDir.length > 0) {
    return { id, title, status: 'warn', detail: `${report.modelDir.map((p) => p.message).join('; ')}.`, fix: 'Expect a long first start (WORKER_START_TIMEOUT_MS must cover it); later starts reuse the result.' };
  }
  return { id, title, status: 'ok', detail: 'The worker writes nothing into the model directory at start.' };
}

function normalizer(report: PreflightReport): CheckResult {
  const id = 'text-normalizer';
  const title = 'Text normalizer (offline)';
  const n = report.normalizer;
  if (n.ok) return { id, title, status: 'ok', detail: `${n.detail}.` };
  return {
    id,
    title,
    status: 'warn',
    detail: `${n.detail}. The worker never downloads: until they are there it passes text through unnormalized (Chinese numbers, dates and units read as written).`,
    fix: 'Run the fetch command above once with COSYVOICE_PYTHON (the Docker image does it at build time), with the same MODELSCOPE_CACHE the service will have.',
  };
}
