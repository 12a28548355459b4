// docker-compose.yml and deploy/cosyvoice/Dockerfile cannot be built or started here (no GPU, and
// no network beyond npm and Debian apt), so these tests hold them to what the code reads: every
// variable they set is a real setting (or a listed foreign one), the compose environment passes
// the real config loader, and the paths the image lays out are the paths the built service and
// its CosyVoice worker look in. docs/deployment.md must name every COSYVOICE_* setting.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { SETTINGS, type SettingSpec } from '../../src/config/settings.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { COSYVOICE_WORKER_SCRIPT } from '../../src/engines/cosyvoice/engine.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const DEPLOYMENT_DOC = join(ROOT, 'docs', 'deployment.md');
const SERVICE = 'cosyfleet';
const PROTO = 'src/engines/remote/kserve/grpc_service.proto';

/** Variables the compose file or the image may set that are not cosyfleet settings, and why. */
const FOREIGN_ENV: Readonly<Record<string, string>> = {
  NVIDIA_VISIBLE_DEVICES: 'NVIDIA Container Toolkit: which GPUs the container sees',
  NVIDIA_DRIVER_CAPABILITIES: 'NVIDIA Container Toolkit: which driver libraries are mounted (compute, utility)',
  MODELSCOPE_CACHE: "where the cosyvoice package's text normalizer (wetext) keeps its ModelScope download",
  DEBIAN_FRONTEND: 'apt without prompts while the image builds',
  LANG: 'UTF-8 locale for Python and the logs',
  LC_ALL: 'UTF-8 locale for Python and the logs',
};

const SPECS = SETTINGS as readonly SettingSpec[];
const SETTING_ENV = new Set(SPECS.map((s) => s.env));

// ---- small readers for the two file formats ---------------------------------------------------

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, what: string): Obj {
  assert.ok(isObj(v), `${what} must be a mapping`);
  return v;
}

/** Stands for an escaped `$$` while the rest is interpolated (a private-use character). */
const DOLLAR = '\uE000';

/** Compose interpolation as `docker compose` does it for `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?err}` and `$$`. */
function interpolate(value: string, vars: Readonly<Record<string, string | undefined>>): string {
  const out = value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (match, name: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (match === '$$') return DOLLAR;
    const v = vars[name as string];
    const unset = v === undefined;
    const empty = unset || v === '';
    switch (op) {
      case undefined:
        return v ?? '';
      case ':-':
        return empty ? (arg ?? '') : (v as string);
      case '-':
        return unset ? (arg ?? '') : (v as string);
      case ':?':
      case '?':
        if (op === ':?' ? empty : unset) throw new Error(`compose would refuse to start: ${name} is required (${arg})`);
        return v as string;
      default:
        throw new Error(`unsupported interpolation ${match}`);
    }
  });
  assert.ok(!out.includes('$'), `unsupported interpolation in ${JSON.stringify(value)}`);
  return out.split(DOLLAR).join('$');
}

/** Names used as `${NAME...}` in a text. */
function interpolatedNames(text: string): Set<string> {
  return new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] as string));
}

/** Every string in a parsed YAML document (keys and values; comments are not part of it). */
function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(strings);
  if (isObj(node)) return Object.entries(node).flatMap(([k, v]) => [k, ...strings(v)]);
  return [];
}

/** Compose `environment` in map or list form, values as written (not interpolated). */
function composeEnvironment(service: Obj): Record<string, string> {
  const env = service['environment'];
  const out: Record<string, string> = {};
  if (Array.isArray(env)) {
    for (const item of env) {
      const [key, ...rest] = String(item).split('=');
      out[key as string] = rest.join('=');
    }
  } else if (isObj(env)) {
    for (const [key, value] of Object.entries(env)) out[key] = value === null || value === undefined ? '' : String(value);
  } else {
    assert.fail(`service ${SERVICE} has no environment`);
  }
  return out;
}

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
  type: string;
}

function composeMounts(service: Obj, vars: Readonly<Record<string, string | undefined>>): Mount[] {
  const volumes = service['volumes'];
  assert.ok(Array.isArray(volumes), `service ${SERVICE} has no volumes`);
  return volumes.map((v) => {
    if (typeof v === 'string') {
      const parts = interpolate(v, vars).split(':');
      const mode = parts.length >= 3 ? (parts[2] as string) : '';
      return { source: parts[0] as string, target: parts[1] as string, readOnly: mode.split(',').includes('ro'), type: (parts[0] as string).startsWith('.') || (parts[0] as string).startsWith('/') ? 'bind' : 'volume' };
    }
    const m = obj(v, 'a volume');
    return { source: interpolate(String(m['source'] ?? ''), vars), target: String(m['target']), readOnly: m['read_only'] === true, type: String(m['type']) };
  });
}

/** Compose durations: `45s`, `1m30s`, `10m`, `1h`, `500ms`. */
function durationMs(value: unknown): number {
  const text = String(value);
  const units: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = '';
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(us|ms|s|m|h)/g)) {
    total += Number(m[1]) * (units[m[2] as string] as number);
    consumed += m[0];
  }
  assert.equal(consumed, text, `cannot read duration ${JSON.stringify(text)}`);
  return total;
}

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions with continuation lines joined and comment lines dropped (as the builder does). */
function dockerInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line.trimStart().startsWith('#') || (line.trim() === '' && current === '')) continue;
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    current += line;
    const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(current);
    if (m) out.push({ op: (m[1] as string).toUpperCase(), args: (m[2] as string).trim() });
    current = '';
  }
  return out;
}

/** `KEY=value` pairs of an ENV instruction (or the legacy `ENV KEY value`). */
function envPairs(args: string): [string, string][] {
  const tokens = args.split(/\s+/).filter(Boolean);
  if (tokens.length >= 1 && !(tokens[0] as string).includes('=')) return [[tokens[0] as string, tokens.slice(1).join(' ')]];
  return tokens.map((t) => {
    const at = t.indexOf('=');
    assert.ok(at > 0, `cannot read ENV token ${t}`);
    return [t.slice(0, at), t.slice(at + 1).replace(/^"(.*)"$/, '$1')];
  });
}

interface Copy {
  from: string | null;
  sources: string[];
  /** Absolute destination in the image (WORKDIR applied). */
  dest: string;
}

interface Image {
  /** The final stage's instructions. */
  final: Instruction[];
  all: Instruction[];
  env: Record<string, string>;
  copies: Copy[];
  workdir: string;
  args: Record<string, string>;
}

function readImage(text: string): Image {
  const all = dockerInstructions(text);
  const lastFrom = all.map((i) => i.op).lastIndexOf('FROM');
  assert.ok(lastFrom >= 0, 'the Dockerfile has no FROM');
  const final = all.slice(lastFrom);
  const env: Record<string, string> = {};
  const copies: Copy[] = [];
  const args: Record<string, string> = {};
  for (const i of all) {
    if (i.op !== 'ARG') continue;
    const [name, value] = i.args.split('=');
    if (value !== undefined) args[name as string] = value;
  }
  let workdir = '/';
  for (const i of final) {
    if (i.op === 'ENV') for (const [k, v] of envPairs(i.args)) env[k] = v;
    if (i.op === 'WORKDIR') workdir = posix.resolve(workdir, i.args);
    if (i.op === 'COPY') {
      const words = i.args.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const paths = words.filter((w) => !w.startsWith('--'));
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length) ?? null;
      assert.ok(paths.length >= 2, `COPY needs a source and a destination: ${i.args}`);
      copies.push({ from, sources: paths.slice(0, -1), dest: posix.resolve(workdir, paths[paths.length - 1] as string) });
    }
  }
  return { final, all, env, copies, workdir, args };
}

const GLOB: Readonly<Record<string, string>> = { '**/': '(?:.*/)?', '**': '.*', '*': '[^/]*', '?': '[^/]' };

/** .dockerignore patterns as regular expressions over context-relative paths. */
function ignoreMatchers(text: string): RegExp[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((pattern) => {
      assert.ok(!pattern.startsWith('!'), 'negated .dockerignore patterns are not read by this test');
      const body = pattern
        .replace(/^\/+|\/+$/g, '')
        .split(/(\*\*\/|\*\*|\*|\?)/)
        .map((part) => GLOB[part] ?? part.replace(/[.+^${}()|[\]\\]/g, '\\$&'))
        .join('');
      return new RegExp(`^${body}$`);
    });
}

function ignoredBy(matchers: RegExp[], path: string): RegExp | undefined {
  const parts = path.replace(/\/+$/, '').split('/');
  for (let n = 1; n <= parts.length; n++) {
    const prefix = parts.slice(0, n).join('/');
    const hit = matchers.find((re) => re.test(prefix));
    if (hit) return hit;
  }
  return undefined;
}

function exec(i: Instruction): string[] {
  const parsed: unknown = JSON.parse(i.args);
  assert.ok(Array.isArray(parsed) && parsed.every((p) => typeof p === 'string'), `${i.op} must be in exec (JSON array) form`);
  return parsed;
}

function contains(dir: string, path: string): boolean {
  const rel = posix.relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !posix.isAbsolute(rel));
}

// ---- the tests ----------------------------------------------------------------------------------

describe('docker-compose.yml and deploy/cosyvoice/Dockerfile', () => {
  let composeText: string;
  let compose: Obj;
  let service: Obj;
  let composeEnv: Record<string, string>;
  let dockerfilePath: string;
  let image: Image;
  let doc: string;
  /** The compose environment as the container sees it with nothing set in the shell or .env. */
  let effectiveEnv: Record<string, string>;
  let config: Config;

  before(() => {
    composeText = readFileSync(COMPOSE_FILE, 'utf8');
    compose = obj(parse(composeText), 'docker-compose.yml');
    service = obj(obj(compose['services'], 'services')[SERVICE], `services.${SERVICE}`);
    composeEnv = composeEnvironment(service);
    const build = obj(service['build'], `services.${SERVICE}.build`);
    dockerfilePath = join(ROOT, String(build['context'] ?? '.'), String(build['dockerfile'] ?? 'Dockerfile'));
    image = readImage(existsSync(dockerfilePath) ? readFileSync(dockerfilePath, 'utf8') : '');
    doc = readFileSync(DEPLOYMENT_DOC, 'utf8');
    effectiveEnv = { ...image.env };
    for (const [key, value] of Object.entries(composeEnv)) effectiveEnv[key] = interpolate(value, {});
    config = loadConfig({ env: effectiveEnv, argv: [] });
  });

  it('builds from a Dockerfile that exists', () => {
    assert.ok(existsSync(dockerfilePath), `${relative(ROOT, dockerfilePath)} does not exist`);
    assert.ok(image.final.length > 0);
  });

  it('sets only cosyfleet settings or listed foreign variables, in the compose file and the image', () => {
    const unknown = [...Object.keys(composeEnv), ...Object.keys(image.env)].filter((k) => !SETTING_ENV.has(k) && !(k in FOREIGN_ENV));
    assert.deepEqual(unknown, [], 'not a setting in src/config/settings.ts; fix the name or list it in FOREIGN_ENV with its purpose');
  });

  it('lets each interpolated setting be overridden under its own name, and documents every other variable it reads', () => {
    for (const [key, value] of Object.entries(composeEnv)) {
      const names = interpolatedNames(value);
      if (names.size > 0 && SETTING_ENV.has(key)) assert.deepEqual([...names], [key], `${key} should read \${${key}:-…}, the name the README documents`);
    }
    const used = new Set(strings(compose).flatMap((t) => [...interpolatedNames(t)]));
    assert.ok(used.size > 0);
    const undocumented = [...used].filter((n) => !SETTING_ENV.has(n) && !doc.includes(n));
    assert.deepEqual(undocumented, [], 'compose variables that docs/deployment.md does not explain');
  });

  it('passes the real config loader as the cosyvoice engine, listening beyond loopback', () => {
    assert.equal(config.engine, 'cosyvoice');
    assert.equal(config.host, '0.0.0.0', 'inside a container the service must not bind loopback only');
  });

  it('keeps secrets out of the file: secret settings come only from the environment, empty by default', () => {
    for (const spec of SPECS.filter((s) => s.secret)) {
      const value = composeEnv[spec.env];
      if (value === undefined) continue;
      assert.match(value, new RegExp(`^\\$\\{${spec.env}(:?-)?\\}$`), `${spec.env} must be \${${spec.env}:-} in docker-compose.yml, never a literal`);
      assert.equal(interpolate(value, {}), '', `${spec.env} must default to empty`);
    }
    assert.ok(!/^\s*COSYFLEET_ADMIN_KEY:\s*[^\s$]/m.test(composeText), 'COSYFLEET_ADMIN_KEY has a literal value');
  });

  it('publishes the port the service listens on', () => {
    const ports = service['ports'];
    assert.ok(Array.isArray(ports) && ports.length > 0, 'no published port');
    const targets = ports.map((p) => (isObj(p) ? Number(p['target']) : Number((interpolate(String(p), {}).split(':').pop() as string).split('/')[0])));
    assert.ok(targets.includes(config.port), `published container ports ${targets.join(', ')} do not include PORT ${config.port}`);
  });

  it('checks health on /readyz at that port', () => {
    const health = obj(service['healthcheck'], 'healthcheck');
    const test = Array.isArray(health['test']) ? health['test'].join(' ') : String(health['test']);
    assert.match(test, /\/readyz\b/, 'the healthcheck must probe readiness (/readyz)');
    assert.ok(test.includes(`:${config.port}/readyz`), `the healthcheck must reach port ${config.port}`);
  });

  it('gives a first model load its full start timeout before the healthcheck counts', () => {
    const health = obj(service['healthcheck'], 'healthcheck');
    assert.ok(durationMs(health['start_period']) >= config.workerStartTimeoutMs, `start_period ${String(health['start_period'])} is shorter than WORKER_START_TIMEOUT_MS ${config.workerStartTimeoutMs}`);
  });

  it('stops more slowly than the service drains', () => {
    assert.ok(service['stop_grace_period'] !== undefined, 'no stop_grace_period: Docker would SIGKILL after 10 s');
    assert.ok(durationMs(service['stop_grace_period']) > config.shutdownTimeoutMs, `stop_grace_period ${String(service['stop_grace_period'])} must exceed SHUTDOWN_TIMEOUT_MS ${config.shutdownTimeoutMs}`);
  });

  it('restarts the service and reaps its workers', () => {
    assert.match(String(service['restart']), /^(always|unless-stopped|on-failure(:\d+)?)$/);
    assert.equal(service['init'], true);
  });

  it('mounts the model directory read-only and points COSYVOICE_MODEL_DIR inside it', () => {
    const mounts = composeMounts(service, {});
    const model = mounts.find((m) => contains(m.target, config.cosyvoiceModelDir));
    assert.ok(model, `COSYVOICE_MODEL_DIR ${config.cosyvoiceModelDir} is not inside any mount (${mounts.map((m) => m.target).join(', ')})`);
    assert.equal(model.readOnly, true, `the model mount ${model.target} must be read-only`);
    assert.equal(model.type, 'bind', 'the model comes from the host, not from a volume or the image');
  });

  it('keeps DATA_DIR on a volume', () => {
    const mounts = composeMounts(service, {});
    const data = mounts.find((m) => contains(m.target, config.dataDir));
    assert.ok(data, `DATA_DIR ${config.dataDir} is not on a mount: voices would vanish with the container`);
    assert.equal(data.readOnly, false, 'DATA_DIR must be writable');
  });

  it('reserves NVIDIA GPUs', () => {
    const devices = obj(obj(obj(service['deploy'], 'deploy')['resources'], 'deploy.resources')['reservations'], 'deploy.resources.reservations')['devices'];
    assert.ok(Array.isArray(devices), 'no device reservation');
    const gpu = devices.filter(isObj).find((d) => d['driver'] === 'nvidia' && Array.isArray(d['capabilities']) && d['capabilities'].includes('gpu'));
    assert.ok(gpu, 'no nvidia device with capabilities [gpu]');
    assert.ok(gpu['count'] !== undefined || gpu['device_ids'] !== undefined, 'say how many GPUs (count or device_ids)');
  });

  it('copies only paths that exist and that .dockerignore lets through', () => {
    const ignore = ignoreMatchers(existsSync(join(ROOT, '.dockerignore')) ? readFileSync(join(ROOT, '.dockerignore'), 'utf8') : '');
    const fromContext = image.all
      .filter((i) => i.op === 'COPY' && !/--from=/.test(i.args))
      .flatMap((i) => {
        const paths = i.args.split(/\s+/).filter((w) => !w.startsWith('--'));
        return paths.slice(0, -1);
      });
    assert.ok(fromContext.length > 0);
    for (const source of fromContext) {
      assert.ok(existsSync(join(ROOT, source)), `COPY ${source}: not in the repository`);
      const hit = ignoredBy(ignore, source);
      assert.equal(hit, undefined, `COPY ${source} is excluded by .dockerignore (${String(hit)})`);
    }
  });

  it('builds cosyfleet with npm ci and npm run build, and runs `dist/cli.js serve`', () => {
    const runs = image.all.filter((i) => i.op === 'RUN').map((i) => i.args);
    assert.ok(runs.some((r) => /\bnpm ci\b/.test(r)), 'no `npm ci`');
    assert.ok(runs.some((r) => /\bnpm run build\b/.test(r)), 'no `npm run build`');
    const dist = image.copies.find((c) => c.from !== null && c.sources.some((s) => /\/dist\/?$/.test(s)));
    assert.ok(dist, 'the final stage does not copy dist/ from the build stage');
    const entry = image.final.filter((i) => i.op === 'ENTRYPOINT').map(exec).pop() ?? [];
    const cmd = image.final.filter((i) => i.op === 'CMD').map(exec).pop() ?? [];
    const command = [...entry, ...cmd];
    const script = command.find((w) => w.endsWith('cli.js'));
    assert.ok(script, `the image does not run cli.js: ${command.join(' ')}`);
    assert.equal(posix.resolve(image.workdir, script), posix.join(dist.dest, 'cli.js'), 'cli.js is not where dist/ was copied');
    assert.equal(command[command.indexOf(script) + 1], 'serve');
  });

  it('puts the CosyVoice worker and the kserve proto where the built code looks for them', () => {
    const dist = image.copies.find((c) => c.from !== null && c.sources.some((s) => /\/dist\/?$/.test(s)));
    assert.ok(dist);
    const appRoot = posix.dirname(dist.dest);
    // The worker script, relative to the package root, as the engine computes it.
    const workerRel = relative(ROOT, COSYVOICE_WORKER_SCRIPT).split('\\').join('/');
    const workerDir = posix.dirname(workerRel);
    const worker = image.copies.find((c) => c.from === null && c.sources.some((s) => s.replace(/\/+$/, '') === workerDir));
    assert.ok(worker, `no COPY of ${workerDir}`);
    assert.equal(worker.dest, posix.join(appRoot, workerDir), `${workerDir} must land at ${posix.join(appRoot, workerDir)}`);
    const proto = image.copies.find((c) => c.from === null && c.sources.includes(PROTO));
    assert.ok(proto, `no COPY of ${PROTO} (tsc does not copy it into dist/)`);
    assert.equal(proto.dest, posix.join(appRoot, PROTO));
  });

  it('installs a pinned CosyVoice checkout and points the worker at it', () => {
    const ref = image.args['COSYVOICE_REF'];
    assert.match(ref ?? '', /^[0-9a-f]{40}$/, 'ARG COSYVOICE_REF must default to a full commit id');
    const runs = image.final.filter((i) => i.op === 'RUN').map((i) => i.args);
    const clone = runs.map((r) => /git clone --recursive \S+ (\S+)/.exec(r)).find((m) => m !== null);
    assert.ok(clone, 'no `git clone --recursive` of CosyVoice');
    const checkout = clone[1] as string;
    assert.ok(runs.some((r) => r.includes('git checkout') && r.includes('${COSYVOICE_REF}')), 'the clone is not checked out at COSYVOICE_REF');
    assert.ok(runs.some((r) => r.includes(`pip install`) && r.includes(`${checkout}/requirements.txt`)), 'the checkout\'s requirements.txt is not installed');
    const path = (effectiveEnv['COSYVOICE_PYTHONPATH'] ?? '').split(':');
    assert.ok(path.includes(checkout) && path.includes(`${checkout}/third_party/Matcha-TTS`), `COSYVOICE_PYTHONPATH must hold ${checkout} and its third_party/Matcha-TTS`);
    const venv = runs.map((r) => /python3 -m venv (\S+)/.exec(r)).find((m) => m !== null);
    assert.ok(venv, 'no virtual environment');
    assert.equal(config.cosyvoicePython, `${venv[1]}/bin/python`, 'COSYVOICE_PYTHON is not the environment the requirements went into');
  });

  it('docs/deployment.md names every COSYVOICE_* setting and the deployment files', () => {
    const missing = SPECS.map((s) => s.env).filter((env) => env.startsWith('COSYVOICE_') && !doc.includes(env));
    assert.deepEqual(missing, []);
    assert.ok(doc.includes('docker-compose.yml') && doc.includes('deploy/cosyvoice/Dockerfile'));
  });
});
