// `cosyfleet doctor` against stub programs: each test writes its own `python3` and `nvidia-smi`
// (shell scripts answering like the real ones, as far as the doctor asks) into a directory that is
// the whole PATH, and a model directory of placeholder files (sparse files of realistic size), so
// both a ready GPU box and each way of not being one are reproduced on a machine without a GPU.
// The real PATH of this machine is tried too: no nvidia-smi must be a clear failure, not a crash.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../../src/config/config.js';
import { runDoctor, parseGpuQuery, type DoctorReport } from '../../src/doctor/checks.js';
import { REQUIRED_MODEL_FILES, OPTIONAL_MODEL_FILES } from '../../src/doctor/model-files.js';
import { FakeFastApiServer } from '../remote/fakes/fastapi-server.js';
import { StandInModel } from '../remote/fakes/model.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

const GOOD_FACTS = { cosyvoice: '/opt/CosyVoice/cosyvoice/__init__.py', automodel: true, torch: '2.3.1+cu121', torch_cuda: '12.1', cuda_available: true, devices: [{ name: 'NVIDIA L4', bf16: true }] };

/** What workers/cosyvoice/preflight.py prints on a ready machine (the stub's default answer). */
const GOOD_PREFLIGHT = { modelDir: [], normalizer: { ok: true, source: 'modelscope-cache', detail: 'wetext grammars cached at /opt/modelscope/hub/pengzhendong/wetext' } };

interface Stubs {
  python?: { version?: string; facts?: object; probeStderr?: string; preflight?: object };
  nvidiaSmi?: { stdout?: string; fail?: string };
}

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'cosyfleet-doctor-'));
});
after(() => rm(root, { recursive: true, force: true }));
let counter = 0;

/** A directory holding exactly the stub programs asked for (it becomes the whole PATH). */
async function binDir(stubs: Stubs): Promise<string> {
  const dir = join(root, `bin-${++counter}`);
  await mkdir(dir);
  if (stubs.python) {
    const p = stubs.python;
    const probe = p.facts ? `printf '%s\\n' ${quote(JSON.stringify(p.facts))}\nexit 0` : `printf '%s\\n' ${quote(p.probeStderr ?? 'boom')} >&2\nexit 1`;
    const preflight = `printf '%s\\n' ${quote(JSON.stringify(p.preflight ?? GOOD_PREFLIGHT))}\nexit 0`;
    await script(dir, 'python3', `if [ "$1" = "--version" ]; then echo "Python ${p.version ?? '3.10.14'}"; exit 0; fi\nif [ "$1" = "-c" ]; then\n${probe}\nfi\ncase "$1" in *preflight.py) ${preflight};; esac\nexit 2`);
  }
  if (stubs.nvidiaSmi) {
    const n = stubs.nvidiaSmi;
    const expected = '--query-gpu=name,memory.total,memory.free --format=csv,noheader,nounits';
    const body = n.fail ? `printf '%s\\n' ${quote(n.fail)} >&2\nexit 9` : `printf '%s\\n' ${quote(n.stdout ?? 'NVIDIA L4, 23034, 22000')}\nexit 0`;
    await script(dir, 'nvidia-smi', `if [ "$*" != "${expected}" ]; then echo "unexpected arguments: $*" >&2; exit 3; fi\n${body}`);
  }
  return dir;
}

/** A single-quoted shell word (the stubs use only shell builtins: the PATH holds nothing else). */
function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

async function script(dir: string, name: string, body: string): Promise<void> {
  await writeFile(join(dir, name), `#!/bin/sh\n${body}\n`);
  await chmod(join(dir, name), 0o755);
}

/** A model directory with every file (weights as 2 MiB sparse files), minus / plus what is asked. */
async function modelDir(options: { omit?: string[]; lfsPointer?: string[] } = {}): Promise<string> {
  const dir = join(root, `model-${++counter}`);
  await mkdir(dir);
  for (const f of [...REQUIRED_MODEL_FILES, ...OPTIONAL_MODEL_FILES]) {
    if (options.omit?.includes(f.name)) continue;
    const path = join(dir, f.name);
    if (f.kind === 'dir') {
      await mkdir(path);
      await writeFile(join(path, 'tokenizer_config.json'), '{}');
    } else if (options.lfsPointer?.includes(f.name)) {
      await writeFile(path, 'version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 1300000000\n');
    } else {
      await writeFile(path, f.name.endsWith('.yaml') ? 'llm: !new:cosyvoice.llm.llm.CosyVoice3LM\n' : '');
      if (f.minBytes) await truncate(path, 2 * 1024 * 1024);
    }
  }
  return dir;
}

function configFor(overrides: Partial<Record<keyof Config, unknown>> = {}): Config {
  // The GPU engine, whose needs these checks are; the embedded engine's view has its own tests.
  return loadConfig({ env: {}, overrides: { logLevel: 'silent', engine: 'cosyvoice', ...overrides } });
}

const byId = (report: DoctorReport, id: string) => {
  const c = report.checks.find((x) => x.id === id);
  assert.ok(c, `check ${id} in ${report.checks.map((x) => x.id).join(', ')}`);
  return c;
};

describe('cosyfleet doctor', () => {
  it('all good: every check ok, and the report says so', async () => {
    const bin = await binDir({ python: { facts: GOOD_FACTS }, nvidiaSmi: {} });
    const report = await runDoctor({ config: configFor({ cosyvoiceModelDir: await modelDir() }), env: { PATH: bin } });
    assert.deepEqual(report.checks.map((c) => [c.id, c.status]), [
      ['python', 'ok'],
      ['cosyvoice-package', 'ok'],
      ['torch-cuda', 'ok'],
      ['model-dir', 'ok'],
      ['model-writes', 'ok'],
      ['text-normalizer', 'ok'],
      ['gpu', 'ok'],
    ]);
    assert.equal(report.ok, true);
    assert.match(byId(report, 'gpu').detail, /GPU 0 NVIDIA L4: 21\.5 of 22\.5 GiB free/);
    assert.match(byId(report, 'python').detail, /Python 3\.10\.14/);
  });

  it('nothing installed: each check fails and says exactly what is missing and how to fix it', async () => {
    const bin = await binDir({});
    const dir = await modelDir({ omit: ['llm.pt', 'CosyVoice-BlankEN'], lfsPointer: ['flow.pt'] });
    const report = await runDoctor({ config: configFor({ cosyvoiceModelDir: dir }), env: { PATH: bin } });
    assert.equal(report.ok, false);
    assert.ok(report.checks.every((c) => c.status === 'fail'), JSON.stringify(report.checks.map((c) => [c.id, c.status])));
    assert.match(byId(report, 'python').detail, /"python3" \(COSYVOICE_PYTHON\) is not on the PATH/);
    assert.match(byId(report, 'python').fix ?? '', /conda create -n cosyvoice -y python=3\.10/);
    const model = byId(report, 'model-dir');
    assert.match(model.detail, /llm\.pt is missing \(the LLM/);
    assert.match(model.detail, /CosyVoice-BlankEN\/ is missing/);
    assert.match(model.detail, /flow\.pt is a Git LFS pointer/);
    assert.match(model.fix ?? '', /git lfs pull/);
    assert.match(byId(report, 'gpu').detail, /nvidia-smi is not on the PATH/);
  });

  it('a missing model directory names the download command with that directory', async () => {
    const bin = await binDir({ python: { facts: GOOD_FACTS }, nvidiaSmi: {} });
    const report = await runDoctor({ config: configFor({ cosyvoiceModelDir: join(root, 'nowhere') }), env: { PATH: bin } });
    const model = byId(report, 'model-dir');
    assert.equal(model.status, 'fail');
    assert.match(model.fix ?? '', new RegExp(`snapshot_download\\('FunAudioLLM/Fun-CosyVoice3-0\\.5B-2512', local_dir='${join(root, 'nowhere').replace(/[.]/g, '\\.')}'\\)`));
  });

  it('tells apart the ways the Python side can be broken', async () => {
    const cases: { stubs: Stubs; id: string; status: string; detail: RegExp; fix?: RegExp }[] = [
      { stubs: { python: { version: '3.12.3', facts: GOOD_FACTS } }, id: 'python', status: 'warn', detail: /Python 3\.12\.3; the CosyVoice README pins 3\.10/ },
      { stubs: { python: { version: '2.7.18', facts: GOOD_FACTS } }, id: 'python', status: 'fail', detail: /Python 2\.7\.18/ },
      { stubs: { python: { facts: { cosyvoice_error: "ModuleNotFoundError: No module named 'cosyvoice'", torch: '2.3.1', torch_cuda: '12.1', cuda_available: true } } }, id: 'cosyvoice-package', status: 'fail', detail: /No module named 'cosyvoice'/, fix: /git clone --recursive .*PYTHONPATH/ },
      { stubs: { python: { facts: { ...GOOD_FACTS, automodel: undefined, automodel_error: "ModuleNotFoundError: No module named 'matcha'" } } }, id: 'cosyvoice-package', status: 'fail', detail: /No module named 'matcha'/, fix: /Matcha-TTS/ },
      { stubs: { python: { facts: { ...GOOD_FACTS, automodel: undefined, automodel_error: "ImportError: cannot import name 'AutoModel'" } } }, id: 'cosyvoice-package', status: 'fail', detail: /AutoModel/, fix: /predates CosyVoice3/ },
      { stubs: { python: { facts: { ...GOOD_FACTS, torch: '2.3.1+cpu', torch_cuda: null, cuda_available: false, devices: undefined } } }, id: 'torch-cuda', status: 'fail', detail: /CPU-only build/, fix: /download\.pytorch\.org\/whl\/cu121/ },
      { stubs: { python: { facts: { ...GOOD_FACTS, cuda_available: false, devices: undefined } } }, id: 'torch-cuda', status: 'fail', detail: /sees no GPU/ },
      { stubs: { python: { facts: { ...GOOD_FACTS, devices: [{ name: 'Tesla T4', bf16: false }] } } }, id: 'torch-cuda', status: 'warn', detail: /Tesla T4 has no bf16/, fix: /fp16 together with load_trt/ },
      { stubs: { python: { probeStderr: 'Segmentation fault' } }, id: 'cosyvoice-package', status: 'fail', detail: /The Python probe failed: Segmentation fault/ },
    ];
    for (const c of cases) {
      const report = await runDoctor({ config: configFor({ cosyvoiceModelDir: join(root, 'nowhere') }), env: { PATH: await binDir(c.stubs) } });
      const check = byId(report, c.id);
      assert.equal(check.status, c.status, `${c.id}: ${check.detail}`);
      assert.match(check.detail, c.detail);
      if (c.fix) assert.match(check.fix ?? '', c.fix);
    }
  });

  it('parses nvidia-smi and judges free GPU memory', async () => {
    assert.deepEqual(parseGpuQuery('NVIDIA H100 80GB HBM3, 81559, 80000\nTesla T4, 15360, 3000\n'), [
      { name: 'NVIDIA H100 80GB HBM3', totalMiB: 81559, freeMiB: 80000 },
      { name: 'Tesla T4', totalMiB: 15360, freeMiB: 3000 },
    ]);
    const cases: { smi: Stubs['nvidiaSmi']; status: string; detail: RegExp }[] = [
      { smi: { stdout: 'Tesla T4, 15360, 3000' }, status: 'fail', detail: /2\.9 of 15\.0 GiB free\. One CosyVoice3 worker needs about 4 GiB free.*Tesla T4: no bf16/ },
      { smi: { stdout: 'NVIDIA A10G, 23028, 6000' }, status: 'warn', detail: /little room for concurrent requests/ },
      { smi: { stdout: 'Tesla V100-SXM2-16GB, 16384, 16000' }, status: 'warn', detail: /V100-SXM2-16GB: no bf16/ },
      { smi: { stdout: 'NVIDIA A10G, 23028, 22000\nNVIDIA A10G, 23028, 21000' }, status: 'ok', detail: /GPU 0 NVIDIA A10G: 21\.5 of 22\.5 GiB free; GPU 1 NVIDIA A10G: 20\.5/ },
      { smi: { fail: 'NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver.' }, status: 'fail', detail: /nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate/ },
      { smi: { stdout: 'No devices were found' }, status: 'fail', detail: /lists no GPU/ },
    ];
    for (const c of cases) {
      const report = await runDoctor({ config: configFor({ cosyvoiceModelDir: join(root, 'nowhere') }), env: { PATH: await binDir({ nvidiaSmi: c.smi }) } });
      const gpu = byId(report, 'gpu');
      assert.equal(gpu.status, c.status, gpu.detail);
      assert.match(gpu.detail, c.detail);
    }
  });

  it('on this machine\'s real PATH, a missing nvidia-smi is a clear failure, not a crash', async () => {
    const report = await runDoctor({ config: configFor({ cosyvoiceModelDir: join(root, 'nowhere') }), env: process.env });
    const gpu = byId(report, 'gpu');
    const hasSmi = await new Promise<boolean>((resolve) => {
      const p = spawn('nvidia-smi', ['-L'], { stdio: 'ignore' });
      p.on('error', () => resolve(false));
      p.on('exit', () => resolve(true));
    });
    if (!hasSmi) {
      assert.equal(gpu.status, 'fail');
      assert.match(gpu.detail, /nvidia-smi is not on the PATH/);
    } else assert.ok(['ok', 'warn', 'fail'].includes(gpu.status));
  });

  describe('with a remote engine', () => {
    const model = new StandInModel();
    let fake: FakeFastApiServer;
    let upstream: FakeFastApiServer;
    before(async () => {
      await model.start();
      fake = new FakeFastApiServer(model, { flavour: 'patched' });
      await fake.start();
      upstream = new FakeFastApiServer(model, { flavour: 'upstream' });
      await upstream.start();
    });
    after(async () => {
      await fake.close();
      await upstream.close();
      await model.close();
    });

    it('checks the server answers; the local GPU stack is then only a warning', async () => {
      const report = await runDoctor({ config: configFor({ engine: 'cosyvoice-fastapi', cosyvoiceUrl: fake.url, cosyvoiceModelDir: join(root, 'nowhere') }), env: { PATH: await binDir({}) } });
      assert.equal(byId(report, 'remote-server').status, 'ok');
      assert.match(byId(report, 'remote-server').detail, /Reachable and ready/);
      assert.equal(byId(report, 'gpu').status, 'warn');
      assert.match(byId(report, 'gpu').detail, /not needed here: COSYFLEET_ENGINE=cosyvoice-fastapi/);
      assert.equal(report.ok, true);
    });

    it('fails when the configured server does not answer', async () => {
      const down = `http://127.0.0.1:${Number(new URL(fake.url).port) + 1}`;
      const report = await runDoctor({ config: configFor({ engine: 'cosyvoice-fastapi', cosyvoiceUrl: down, remoteRetries: 0, cosyvoiceModelDir: join(root, 'nowhere') }), env: { PATH: await binDir({}) } });
      const remote = byId(report, 'remote-server');
      assert.equal(remote.status, 'fail');
      assert.match(remote.detail, /ECONNREFUSED/);
      assert.match(remote.fix ?? '', /workers\/cosyvoice\/fastapi_server\.py --port 50000/);
      assert.equal(report.ok, false);
    });

    it("warns about upstream's FastAPI server: reachable, but its prompt routes fail on CosyVoice3 (#1805)", async () => {
      const report = await runDoctor({ config: configFor({ engine: 'cosyvoice-fastapi', cosyvoiceUrl: upstream.url, cosyvoiceModelDir: join(root, 'nowhere') }), env: { PATH: await binDir({}) } });
      const remote = byId(report, 'remote-server');
      assert.equal(remote.status, 'warn');
      assert.match(remote.detail, /Reachable and ready, but: .*runtime\/python\/fastapi\/server\.py.*FunAudioLLM\/CosyVoice issue #1805/);
      assert.match(remote.detail, /patched server \(workers\/cosyvoice\/fastapi_server\.py\)/);
      assert.match(remote.fix ?? '', /workers\/cosyvoice\/fastapi_server\.py --port 50000/);
      assert.equal(report.ok, true, 'a warning, not a failure: saved speakers still work');
    });
  });

  describe('the worker\'s preflight, run for real by this machine\'s python3 (with the stand-in package on its path)', () => {
    const standin = fileURLToPath(new URL('../cosyvoice/standin', import.meta.url));

    it('a read-only model directory that TensorRT would build into fails, naming the plan; the offline normalizer warns with the fetch command', async () => {
      const cache = join(root, `modelscope-${++counter}`);
      await mkdir(cache);
      // procfs refuses new files even to root, as a read-only mount does.
      const config = configFor({ cosyvoiceModelDir: '/proc', cosyvoiceLoadTrt: true, cosyvoicePythonPath: standin });
      const report = await runDoctor({ config, env: { PATH: process.env.PATH ?? '', MODELSCOPE_CACHE: cache, HOME: cache } });
      const writes = byId(report, 'model-writes');
      assert.equal(writes.status, 'fail', writes.detail);
      assert.match(writes.detail, /read-only, but COSYVOICE_LOAD_TRT=1 builds the TensorRT plan flow\.decoder\.estimator\.fp32\.mygpu\.plan/);
      assert.match(writes.fix ?? '', /read-write for one start/);
      const normalizer = byId(report, 'text-normalizer');
      assert.equal(normalizer.status, 'warn', normalizer.detail);
      assert.match(normalizer.detail, /pengzhendong\/wetext/);
      assert.match(normalizer.detail, /snapshot_download\('pengzhendong\/wetext'\)/);
    });

    it('with the grammars cached and nothing to build, both are ok', async () => {
      const cache = join(root, `modelscope-${++counter}`);
      await mkdir(join(cache, 'hub', 'pengzhendong', 'wetext', 'zh', 'tn'), { recursive: true });
      await writeFile(join(cache, 'hub', 'pengzhendong', 'wetext', 'zh', 'tn', 'tagger.fst'), 'fst');
      const config = configFor({ cosyvoiceModelDir: '/proc', cosyvoicePythonPath: standin });
      const report = await runDoctor({ config, env: { PATH: process.env.PATH ?? '', MODELSCOPE_CACHE: cache, HOME: cache } });
      assert.equal(byId(report, 'model-writes').status, 'ok');
      assert.equal(byId(report, 'text-normalizer').status, 'ok', byId(report, 'text-normalizer').detail);
    });
  });

  describe('with the embedded engine (espeak, the default)', () => {
    it('a healthy install passes: espeak speaks, and the GPU checks are marked as mattering only for cosyvoice', async () => {
      const report = await runDoctor({ config: configFor({ engine: 'espeak', cosyvoiceModelDir: join(root, 'nowhere') }), env: { PATH: await binDir({}) } });
      assert.equal(report.ok, true, JSON.stringify(report.checks.map((c) => [c.id, c.status])));
      const embedded = byId(report, 'embedded-engine');
      assert.equal(embedded.status, 'ok');
      assert.match(embedded.detail, /espeak-ng loads and speaks \(\d+\.\d s of test audio at 22050 Hz\)/);
      for (const id of ['python', 'model-dir', 'gpu']) {
        const c = byId(report, id);
        assert.equal(c.status, 'warn', id);
        assert.match(c.detail, /only matters for COSYFLEET_ENGINE=cosyvoice; this install runs espeak/);
      }
    });

    it('as a command on a fresh machine: exit 0', async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'doctor'], { env: { PATH: await binDir({}), LOG_LEVEL: 'silent', COSYVOICE_MODEL_DIR: join(root, 'nowhere') }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0, stdout);
      assert.match(stdout, /ok +Embedded engine \(espeak-ng\): espeak-ng loads and speaks/);
      assert.match(stdout, /, 0 failed/);
    });
  });

  describe('as a command', () => {
    async function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
      const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'doctor', ...args], { env: { ...env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      return { code, stdout, stderr };
    }

    it('--json on a ready machine: exit 0 and the checks as JSON', async () => {
      const bin = await binDir({ python: { facts: GOOD_FACTS }, nvidiaSmi: {} });
      const out = await cli(['--json', '--cosyvoice-model-dir', await modelDir()], { PATH: bin, COSYFLEET_ENGINE: 'cosyvoice' });
      assert.equal(out.code, 0, out.stderr);
      const report = JSON.parse(out.stdout) as DoctorReport;
      assert.equal(report.ok, true);
      assert.equal(report.checks.length, 7);
    });

    it('exit 1 and a readable report when something is missing', async () => {
      const out = await cli([], { PATH: await binDir({}), COSYVOICE_MODEL_DIR: join(root, 'nowhere'), COSYFLEET_ENGINE: 'cosyvoice' });
      assert.equal(out.code, 1, out.stderr);
      assert.match(out.stdout, /FAIL {2}Python: "python3" \(COSYVOICE_PYTHON\) is not on the PATH/);
      assert.match(out.stdout, / {8}fix: /);
      assert.match(out.stdout, /0 ok, 0 warning\(s\), 5 failed/);
    });
  });
});
