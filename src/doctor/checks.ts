// `cosyfleet doctor`: is this machine ready to run Fun-CosyVoice3 on its GPU, and can cosyfleet
// reach the remote server it is configured for? Each check says ok / warn / fail, what exactly is
// missing, and the command that fixes it. External programs (python, nvidia-smi) are found on the
// PATH of the environment given, so tests run the doctor against stub programs.
import { execFile } from 'node:child_process';
import pino from 'pino';
import type { Config } from '../config/config.js';
import { createEngine } from '../engines/registry.js';
import { inspectModelDir, REQUIRED_MODEL_FILES } from './model-files.js';
import { checkEmbedded } from './embedded.js';
import { checkPreflight } from './preflight.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  /** What was found, or exactly what is missing. */
  readonly detail: string;
  /** How to fix it (absent when ok). */
  readonly fix?: string;
}

export interface RunResult {
  /** null when the program could not run (see error). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** 'ENOENT' when the program is not on the PATH; other spawn errors or 'timeout'. */
  readonly error?: string;
}

export interface DoctorContext {
  readonly config: Config;
  /** Environment for child programs; its PATH decides which python3 and nvidia-smi run. */
  readonly env: NodeJS.ProcessEnv;
  /** Runs a program (replaceable in tests; the default uses execFile). */
  readonly run?: (command: string, args: readonly string[], timeoutMs: number) => Promise<RunResult>;
}

export interface DoctorReport {
  readonly ok: boolean;
  readonly engine: string;
  readonly checks: readonly CheckResult[];
}

const REMOTE_ENGINES = new Set(['cosyvoice-fastapi', 'triton', 'openai-speech']);
/** The Python the CosyVoice README sets up (`conda create -n cosyvoice -y python=3.10`). */
const PYTHON_WANTED = [3, 10] as const;
/** One CosyVoice3 worker: 3.3 GiB of fp32 weights, ~0.7 GiB CUDA context, the ONNX prompt models and activations. */
const GPU_MIN_FREE_MIB = 4096;
const GPU_COMFORT_FREE_MIB = 8192;

const SETUP = 'git clone --recursive https://github.com/FunAudioLLM/CosyVoice.git && cd CosyVoice && conda create -n cosyvoice -y python=3.10 && conda activate cosyvoice && pip install -r requirements.txt';
const PYTHONPATH_FIX = 'export PYTHONPATH=/path/to/CosyVoice:/path/to/CosyVoice/third_party/Matcha-TTS (the repository is not a pip package)';
const DOWNLOAD = (dir: string) =>
  `python3 -c "from modelscope import snapshot_download; snapshot_download('FunAudioLLM/Fun-CosyVoice3-0.5B-2512', local_dir='${dir}')" ` +
  `(or from Hugging Face: python3 -c "from huggingface_hub import snapshot_download; snapshot_download('FunAudioLLM/Fun-CosyVoice3-0.5B-2512', local_dir='${dir}')")`;

/** What the python probe prints: one JSON line (see PROBE). */
interface PythonFacts {
  cosyvoice?: string;
  cosyvoice_error?: string;
  automodel?: boolean;
  automodel_error?: string;
  torch?: string;
  torch_error?: string;
  torch_cuda?: string | null;
  cuda_available?: boolean;
  devices?: { name: string; bf16: boolean }[];
}

// Imports what the GPU worker imports, and reports instead of raising.
const PROBE = `
import json
out = {}
try:
    import cosyvoice
    out['cosyvoice'] = str(getattr(cosyvoice, '__file__', None) or list(getattr(cosyvoice, '__path__', ['?']))[0])
except Exception as e:
    out['cosyvoice_error'] = type(e).__name__ + ': ' + str(e)
if 'cosyvoice' in out:
    try:
        from cosyvoice.cli.cosyvoice import AutoModel
        out['automodel'] = True
    except Exception as e:
        out['automodel_error'] = type(e).__name__ + ': ' + str(e)
try:
    import torch
    out['torch'] = torch.__version__
    out['torch_cuda'] = torch.version.cuda
    out['cuda_available'] = bool(torch.cuda.is_available())
    if out['cuda_available']:
        out['devices'] = [{'name': torch.cuda.get_device_name(i), 'bf16': bool(torch.cuda.get_device_capability(i)[0] >= 8)} for i in range(torch.cuda.device_count())]
except Exception as e:
    out['torch_error'] = type(e).__name__ + ': ' + str(e)
print(json.dumps(out))
`;

export async function runDoctor(ctx: DoctorContext): Promise<DoctorReport> {
  const config = ctx.config;
  // The workers run with COSYVOICE_PYTHONPATH (a source checkout of CosyVoice); so does the probe.
  const env = config.cosyvoicePythonPath ? { ...ctx.env, PYTHONPATH: config.cosyvoicePythonPath } : ctx.env;
  const run = ctx.run ?? ((command, args, timeoutMs) => runProgram(command, args, timeoutMs, env));
  const remote = REMOTE_ENGINES.has(config.engine);
  const checks: CheckResult[] = [];

  const python = await checkPython(config.cosyvoicePython, run);
  checks.push(python.result);
  const facts = python.found ? await probePython(config.cosyvoicePython, run) : null;
  checks.push(checkPackage(facts, python.found), checkTorch(facts, python.found));
  checks.push(await checkModelDir(config.cosyvoiceModelDir));
  if (python.found) checks.push(...(await checkPreflight(config, run)));
  checks.push(await checkGpus(run));
  if (remote) checks.push(await checkRemote(config));
  if (config.engine === 'espeak') checks.unshift(await checkEmbedded(config));

  // With a remote engine the model runs elsewhere, and the embedded engine needs none of it: the
  // local GPU stack is then information, not a requirement.
  const final =
    config.engine === 'cosyvoice'
      ? checks
      : checks.map((c) => {
          if (c.id === 'remote-server' || c.id === 'embedded-engine' || c.status === 'ok') return c;
          const why = remote ? `not needed here: COSYFLEET_ENGINE=${config.engine} runs the model on the remote server` : `only matters for COSYFLEET_ENGINE=cosyvoice; this install runs ${config.engine}`;
          return { ...c, status: 'warn' as const, detail: `${c.detail} (${why})` };
        });
  return { ok: final.every((c) => c.status !== 'fail'), engine: config.engine, checks: final };
}

async function checkPython(python: string, run: NonNullable<DoctorContext['run']>): Promise<{ found: boolean; result: CheckResult }> {
  const title = 'Python';
  const out = await run(python, ['--version'], 15_000);
  if (out.error === 'ENOENT') {
    return {
      found: false,
      result: { id: 'python', title, status: 'fail', detail: `"${python}" (COSYVOICE_PYTHON) ${python.includes('/') ? 'does not exist' : 'is not on the PATH'}.`, fix: `Create the CosyVoice environment: ${SETUP}; then set COSYVOICE_PYTHON to its python (e.g. ~/miniconda3/envs/cosyvoice/bin/python).` },
    };
  }
  const text = `${out.stdout}${out.stderr}`.trim();
  const m = /Python (\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (out.code !== 0 || !m) {
    return { found: false, result: { id: 'python', title, status: 'fail', detail: `"${python} --version" failed: ${firstLine(text || out.error || `exit ${out.code}`)}`, fix: 'Point COSYVOICE_PYTHON at a working Python 3.10.' } };
  }
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const version = `${m[1]}.${m[2]}${m[3] ? `.${m[3]}` : ''}`;
  if (major !== 3 || minor < 8) {
    return { found: false, result: { id: 'python', title, status: 'fail', detail: `${python} is Python ${version}; CosyVoice needs Python 3 (the README uses 3.10).`, fix: `conda create -n cosyvoice -y python=3.10, then set COSYVOICE_PYTHON.` } };
  }
  if (minor !== PYTHON_WANTED[1]) {
    return {
      found: true,
      result: { id: 'python', title, status: 'warn', detail: `${python} is Python ${version}; the CosyVoice README pins 3.10, and some of its requirements (pynini, ttsfrd, onnxruntime-gpu builds) may have no wheels for ${major}.${minor}.`, fix: 'conda create -n cosyvoice -y python=3.10, then set COSYVOICE_PYTHON.' },
    };
  }
  return { found: true, result: { id: 'python', title, status: 'ok', detail: `${python} is Python ${version}.` } };
}

async function probePython(python: string, run: NonNullable<DoctorContext['run']>): Promise<PythonFacts | { failed: string }> {
  // Importing torch and the package takes a while on a cold cache.
  const out = await run(python, ['-c', PROBE], 180_000);
  const line = out.stdout.trim().split('\n').filter(Boolean).at(-1) ?? '';
  try {
    return JSON.parse(line) as PythonFacts;
  } catch {
    return { failed: firstLine(out.stderr.trim().split('\n').at(-1) ?? '') || out.error || `exit ${out.code}` };
  }
}

function checkPackage(facts: PythonFacts | { failed: string } | null, pythonFound: boolean): CheckResult {
  const id = 'cosyvoice-package';
  const title = 'cosyvoice package';
  if (!pythonFound || !facts) return { id, title, status: 'fail', detail: 'Not checked: no usable Python (see "Python").', fix: SETUP };
  if ('failed' in facts) return { id, title, status: 'fail', detail: `The Python probe failed: ${facts.failed}`, fix: SETUP };
  if (facts.cosyvoice_error) {
    return { id, title, status: 'fail', detail: `"import cosyvoice" failed: ${facts.cosyvoice_error}`, fix: `${SETUP}; ${PYTHONPATH_FIX}` };
  }
  if (!facts.automodel) {
    const err = facts.automodel_error ?? 'unknown error';
    const fix = /matcha/i.test(err)
      ? `Matcha-TTS is missing from the path: ${PYTHONPATH_FIX}; clone with --recursive (or git submodule update --init --recursive).`
      : /AutoModel/.test(err)
        ? 'This CosyVoice checkout predates CosyVoice3 (no AutoModel): git pull && git submodule update --init --recursive && pip install -r requirements.txt.'
        : `Install the missing requirement: pip install -r requirements.txt (in the CosyVoice checkout). ${PYTHONPATH_FIX}.`;
    return { id, title, status: 'fail', detail: `cosyvoice is at ${facts.cosyvoice}, but "from cosyvoice.cli.cosyvoice import AutoModel" failed: ${err}`, fix };
  }
  return { id, title, status: 'ok', detail: `cosyvoice imports from ${facts.cosyvoice}, with AutoModel.` };
}

function checkTorch(facts: PythonFacts | { failed: string } | null, pythonFound: boolean): CheckResult {
  const id = 'torch-cuda';
  const title = 'PyTorch with CUDA';
  const fix = 'Install a CUDA build of PyTorch matching the driver, e.g. pip install torch torchaudio --index-url https://download.pytorch.org/whl/cu121 (CosyVoice\'s requirements.txt pins the versions).';
  if (!pythonFound || !facts) return { id, title, status: 'fail', detail: 'Not checked: no usable Python (see "Python").', fix };
  if ('failed' in facts) return { id, title, status: 'fail', detail: `The Python probe failed: ${facts.failed}`, fix };
  if (facts.torch_error || !facts.torch) return { id, title, status: 'fail', detail: `"import torch" failed: ${facts.torch_error ?? 'not installed'}`, fix };
  if (!facts.torch_cuda) return { id, title, status: 'fail', detail: `torch ${facts.torch} is a CPU-only build.`, fix };
  if (!facts.cuda_available) {
    return { id, title, status: 'fail', detail: `torch ${facts.torch} (CUDA ${facts.torch_cuda}) sees no GPU: torch.cuda.is_available() is False.`, fix: 'Check the NVIDIA driver (nvidia-smi) supports CUDA ' + facts.torch_cuda + ', and that CUDA_VISIBLE_DEVICES does not hide the GPUs.' };
  }
  const devices = facts.devices ?? [];
  const noBf16 = devices.filter((d) => !d.bf16).map((d) => d.name);
  const list = devices.map((d) => `${d.name}${d.bf16 ? '' : ' (no bf16)'}`).join(', ');
  if (noBf16.length > 0) {
    return {
      id,
      title,
      status: 'warn',
      detail: `torch ${facts.torch} (CUDA ${facts.torch_cuda}) sees ${list}. ${noBf16.join(', ')} ${noBf16.length === 1 ? 'has' : 'have'} no bf16: the TensorRT-LLM recipe's bf16 LLM will not run there.`,
      fix: 'Run the model in fp32 (fp16=False), or fp16 with care: fp16 together with load_trt is where users report NaN or silent audio (docs/deployment.md).',
    };
  }
  return { id, title, status: 'ok', detail: `torch ${facts.torch} (CUDA ${facts.torch_cuda}) sees ${list || 'the GPU'}.` };
}

async function checkModelDir(dir: string): Promise<CheckResult> {
  const id = 'model-dir';
  const title = 'Model files';
  const fix = `Download the model: ${DOWNLOAD(dir)}; or set COSYVOICE_MODEL_DIR to where it is.`;
  const report = await inspectModelDir(dir);
  if (!report.exists) return { id, title, status: 'fail', detail: `${dir} (COSYVOICE_MODEL_DIR) does not exist.`, fix };
  const problems = [
    ...report.missing.map((f) => `${f.name}${f.kind === 'dir' ? '/' : ''} is missing (${f.role})`),
    ...report.broken.map((b) => `${b.file.name}${b.file.kind === 'dir' ? '/' : ''} ${b.why}`),
  ];
  if (problems.length > 0) {
    const lfs = report.broken.some((b) => b.why.includes('LFS'));
    return { id, title, status: 'fail', detail: `${dir}: ${problems.join('; ')}.`, fix: lfs ? `In ${dir}: git lfs install && git lfs pull. Or download again: ${DOWNLOAD(dir)}.` : fix };
  }
  const gib = (report.bytes / 1024 ** 3).toFixed(1);
  if (report.optionalMissing.length > 0) {
    return {
      id,
      title,
      status: 'warn',
      detail: `${dir} has every required file (${REQUIRED_MODEL_FILES.length}, ${gib} GiB); missing optional: ${report.optionalMissing.map((f) => `${f.name} (${f.role})`).join('; ')}.`,
      fix: `Only needed for those options; a fresh download has them: ${DOWNLOAD(dir)}.`,
    };
  }
  return { id, title, status: 'ok', detail: `${dir} has every required file (${gib} GiB).` };
}

/** `name, total MiB, free MiB` lines from nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv,noheader,nounits. */
export function parseGpuQuery(text: string): { name: string; totalMiB: number; freeMiB: number }[] {
  const out: { name: string; totalMiB: number; freeMiB: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(.+?)\s*,\s*(\d+)\s*,\s*(\d+)\s*$/.exec(line);
    if (m) out.push({ name: m[1] as string, totalMiB: Number(m[2]), freeMiB: Number(m[3]) });
  }
  return out;
}

async function checkGpus(run: NonNullable<DoctorContext['run']>): Promise<CheckResult> {
  const id = 'gpu';
  const title = 'NVIDIA GPU and free memory';
  const out = await run('nvidia-smi', ['--query-gpu=name,memory.total,memory.free', '--format=csv,noheader,nounits'], 30_000);
  if (out.error === 'ENOENT') {
    return { id, title, status: 'fail', detail: 'nvidia-smi is not on the PATH: no NVIDIA driver on this machine (or the container was started without GPU access).', fix: 'Install the NVIDIA driver (or run the container with --gpus all and the NVIDIA Container Toolkit); nvidia-smi must list the GPU.' };
  }
  if (out.code !== 0) {
    return { id, title, status: 'fail', detail: `nvidia-smi failed: ${firstLine(out.stderr || out.stdout || out.error || `exit ${out.code}`)}`, fix: 'Reinstall or reload the NVIDIA driver until nvidia-smi lists the GPU.' };
  }
  const gpus = parseGpuQuery(out.stdout);
  if (gpus.length === 0) return { id, title, status: 'fail', detail: 'nvidia-smi lists no GPU.', fix: 'Check that the GPU is attached and the driver loaded (nvidia-smi).' };
  const list = gpus.map((g, i) => `GPU ${i} ${g.name}: ${(g.freeMiB / 1024).toFixed(1)} of ${(g.totalMiB / 1024).toFixed(1)} GiB free`).join('; ');
  const best = Math.max(...gpus.map((g) => g.freeMiB));
  const noBf16 = gpus.filter((g) => /\b(T4|V100)\b/i.test(g.name)).map((g) => g.name);
  const bf16 = noBf16.length > 0 ? ` ${[...new Set(noBf16)].join(', ')}: no bf16 (use fp32, or fp16 with care).` : '';
  if (best < GPU_MIN_FREE_MIB) {
    return { id, title, status: 'fail', detail: `${list}. One CosyVoice3 worker needs about ${GPU_MIN_FREE_MIB / 1024} GiB free (3.3 GiB of fp32 weights, ~0.7 GiB CUDA context, the ONNX prompt models, activations).${bf16}`, fix: 'Free the GPU (nvidia-smi shows which processes hold it) or use a larger one.' };
  }
  if (best < GPU_COMFORT_FREE_MIB || noBf16.length > 0) {
    return { id, title, status: 'warn', detail: `${list}.${best < GPU_COMFORT_FREE_MIB ? ` Enough for one worker, little room for concurrent requests (under ${GPU_COMFORT_FREE_MIB / 1024} GiB free).` : ''}${bf16}`, fix: 'See docs/deployment.md for flags per GPU.' };
  }
  return { id, title, status: 'ok', detail: `${list}.` };
}

async function checkRemote(config: Config): Promise<CheckResult> {
  const id = 'remote-server';
  const title = `Remote server (${config.engine})`;
  let engine;
  try {
    engine = createEngine(config, pino({ level: 'silent' }));
    await engine.start();
    const health = engine.health();
    // Ready with a detail: the server works but cannot do everything (upstream's FastAPI server).
    if (health.ready && health.detail) return { id, title, status: 'warn', detail: `Reachable and ready, but: ${health.detail}`, fix: remoteFix(config.engine) };
    if (health.ready) return { id, title, status: 'ok', detail: `${engine.capabilities.description} Reachable and ready.` };
    return { id, title, status: 'fail', detail: health.detail ?? 'not ready', fix: remoteFix(config.engine) };
  } catch (err) {
    return { id, title, status: 'fail', detail: (err as Error).message, fix: remoteFix(config.engine) };
  } finally {
    await engine?.close();
  }
}

function remoteFix(engine: string): string {
  switch (engine) {
    case 'cosyvoice-fastapi':
      return (
        "Run cosyfleet's patched server in the CosyVoice environment (PYTHONPATH=/path/to/CosyVoice:/path/to/CosyVoice/third_party/Matcha-TTS python workers/cosyvoice/fastapi_server.py --port 50000 --host 0.0.0.0 --model_dir <model dir>, " +
        "or docker compose --profile fastapi up -d cosyvoice-fastapi) and check COSYVOICE_URL points at it. Upstream's runtime/python/fastapi/server.py serves only saved speakers with CosyVoice3 (FunAudioLLM/CosyVoice issue #1805)."
      );
    case 'triton':
      return 'Start Triton with the cosyvoice3 model (runtime/triton_trtllm: bash run_cosyvoice3.sh 0 3) and check TRITON_URL and TRITON_MODEL: that script serves gRPC on port 18001 (e.g. TRITON_URL=gpu-box:18001), and upstream\'s docker-compose.cosyvoice3.yml publishes 8000-8002, which reach nothing until it publishes 18001.';
    default:
      return 'Start the server (e.g. vllm serve FunAudioLLM/Fun-CosyVoice3-0.5B-2512 --omni --port 8091 --trust-remote-code) and check OPENAI_SPEECH_URL (e.g. http://gpu-box:8091/v1) and OPENAI_SPEECH_API_KEY.';
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.slice(0, 300) ?? '';
}

function runProgram(command: string, args: readonly string[], timeoutMs: number, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, [...args], { env, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean };
      if (typeof e.code === 'string') return resolve({ code: null, stdout, stderr, error: e.code });
      if (e.killed) return resolve({ code: null, stdout, stderr, error: 'timeout' });
      resolve({ code: typeof e.code === 'number' ? e.code : 1, stdout, stderr });
    });
  });
}
