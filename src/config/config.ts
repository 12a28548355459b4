// One module reads the environment, command-line flags and an optional JSON config file,
// validates everything at boot with messages that name the bad setting, and returns a frozen
// object that is passed down explicitly (no module-level singletons).
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { remoteEngineProblems } from './remote.js';
import { envKeyProblems } from '../accounts/env-keys.js';
import { objectStoreProblems } from './object-store.js';
import { SETTINGS, type AUTH_MODES, type ENGINE_NAMES, type LOG_LEVELS, type OBJECT_STORES, type SettingSpec, type UNREADABLE_POLICIES, type WORKER_MODES } from './settings.js';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly engine: (typeof ENGINE_NAMES)[number];
  readonly maxTextChars: number;
  readonly maxSegmentChars: number;
  readonly segmentGapMs: number;
  readonly segmentLookahead: number;
  readonly unreadableText: (typeof UNREADABLE_POLICIES)[number];
  readonly maxBodyBytes: number;
  readonly maxUploadBytes: number;
  readonly maxDiscardBytes: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly streamStallTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly espeakWorkers: number;
  readonly audioThreads: number;
  readonly ffmpegPath: string;
  readonly corsOrigins: readonly string[];
  readonly allowedHosts: readonly string[];
  /** Proxies whose X-Forwarded-For is believed (Fastify's trustProxy); empty = none. */
  readonly trustProxy: readonly string[];
  readonly storageReconcileMinutes: number;
  readonly objectStore: (typeof OBJECT_STORES)[number];
  /** OBJECT_STORE=s3 only; '' when unset. */
  readonly s3Bucket: string;
  readonly s3Prefix: string;
  readonly s3Region: string;
  readonly s3Endpoint: string;
  readonly s3ForcePathStyle: boolean;
  readonly cloudfrontDomain: string;
  readonly outputUrlTtlS: number;
  /** 0 = stored outputs never expire. */
  readonly outputRetentionDays: number;
  readonly jobMaxTextChars: number;
  /** 0: this node runs no jobs. */
  readonly jobConcurrency: number;
  readonly jobMaxAttempts: number;
  readonly jobNodeTimeoutS: number;
  readonly jobPollIntervalMs: number;
  readonly jobRetentionDays: number;
  /** Tests and private networks only: job webhooks may call non-public addresses (src/jobs/webhook.ts). */
  readonly webhookAllowPrivate: boolean;
  readonly webhookTimeoutMs: number;
  readonly webhookRetryBaseMs: number;
  readonly webhookMaxAttempts: number;
  readonly writeKey: string;
  readonly shutdownTimeoutMs: number;
  readonly lexiconMaxEntries: number;
  readonly queueMax: number;
  readonly queueDeadlineMs: number;
  readonly batchMaxQueueDelayMs: number;
  readonly workers: (typeof WORKER_MODES)[number];
  readonly workerProcesses: number;
  readonly workerConcurrency: number;
  readonly workerGpus: readonly string[];
  readonly workerFp16: boolean;
  readonly workerStartTimeoutMs: number;
  readonly workerHeartbeatMs: number;
  readonly workerDrainTimeoutMs: number;
  readonly workerSegmentStallMs: number;
  readonly workerRecycleJobs: number;
  readonly workerRecycleMinutes: number;
  readonly workerRecycleRssMb: number;
  readonly workerRecycleGpuMb: number;
  readonly workerRecycleRtfPercent: number;
  readonly workerCrashRetries: number;
  readonly workerBackoffMs: number;
  readonly workerBackoffMaxMs: number;
  readonly cosyvoiceUrl: string;
  readonly cosyvoiceSampleRate: number;
  readonly cosyvoiceSpeakers: readonly string[];
  readonly tritonUrl: string;
  readonly tritonModel: string;
  readonly tritonSampleRate: number;
  readonly openaiSpeechUrl: string;
  readonly openaiSpeechModel: string;
  /** Secret: '' when unset. */
  readonly openaiSpeechApiKey: string;
  readonly openaiSpeechVoices: readonly string[];
  readonly openaiSpeechSampleRate: number;
  readonly openaiSpeechInstruct: boolean;
  readonly remoteVoicesDir: string;
  readonly remoteConcurrency: number;
  readonly remoteConnectTimeoutMs: number;
  readonly remoteTimeoutMs: number;
  readonly remoteIdleTimeoutMs: number;
  readonly remoteRetries: number;
  readonly remoteRetryBackoffMs: number;
  readonly remoteHealthIntervalMs: number;
  readonly cosyvoiceModelDir: string;
  readonly cosyvoicePython: string;
  readonly cosyvoicePythonPath: string;
  readonly cosyvoiceLoadVllm: boolean;
  readonly cosyvoiceLoadTrt: boolean;
  readonly cosyvoiceStream: boolean;
  readonly cosyvoiceBadAudioLimit: number;
  /** Secret: '' = SQLite in dataDir; a postgres:// URL = PostgreSQL (src/storage/stores.ts). */
  readonly databaseUrl: string;
  readonly auth: (typeof AUTH_MODES)[number];
  readonly resultCache: 'off' | 'seeded' | 'always';
  readonly resultCacheDays: number;
  readonly instanceType: string;
  readonly instanceRegion: string;
  /** A positive decimal, or '' (validated at boot). */
  readonly instancePriceUsdPerHour: string;
  readonly instanceMetadata: 'auto' | 'off';
  readonly imdsWatch: 'off' | 'auto' | 'on';
  /** An http:// origin (validated at boot). */
  readonly imdsEndpoint: string;
  readonly imdsPollMs: number;
  readonly imdsNoticeMarginS: number;
  readonly imdsRebalance: 'unready' | 'drain' | 'report';
  /** Secret: COSYFLEET_API_KEYS as given ('' when unset); parsed by src/accounts/env-keys.ts. */
  readonly apiKeys: string;
  /** Secret: '' when unset. JSON.stringify(config) shows it redacted. */
  readonly adminKey: string;
  readonly logLevel: (typeof LOG_LEVELS)[number];
}

/** What JSON (`cosyfleet config`, a logged config object) shows instead of a secret's value. */
export const REDACTED = '[redacted]';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  env?: NodeJS.ProcessEnv;
  /** Arguments after the sub-command, e.g. ['--port', '9000']. */
  argv?: readonly string[];
  /** Values that win over everything (tests, programmatic use). */
  overrides?: Partial<Record<keyof Config, unknown>>;
}

type Raw = { value: unknown; origin: string };

export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? {};
  const problems: string[] = [];
  const flags = parseFlags(sources.argv ?? [], problems);

  const configPath = (flags.get('--config') as string | undefined) ?? env.COSYFLEET_CONFIG;
  const file = configPath ? readConfigFile(configPath, problems) : {};
  const known = new Set<string>(SETTINGS.map((s) => s.key));
  for (const key of Object.keys(file)) {
    if (!known.has(key)) problems.push(`config file ${configPath}: unknown setting "${key}"`);
  }
  for (const flag of flags.keys()) {
    if (flag !== '--config' && !SETTINGS.some((s) => s.flag === flag)) problems.push(`unknown flag ${flag}`);
  }

  const out: Record<string, unknown> = {};
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    const raw = pick(spec, sources.overrides, flags, env, file, configPath);
    if (raw === undefined) {
      out[spec.key] = typeof spec.default === 'function' ? spec.default() : spec.default;
      continue;
    }
    const parsed = coerce(spec, raw);
    if (typeof parsed === 'string' && parsed.startsWith('\u0000')) problems.push(parsed.slice(1));
    else out[spec.key] = parsed;
  }
  // Remote engines need their server's address, checked at boot rather than at the first request.
  problems.push(...remoteEngineProblems(out));
  // The request timeout covers the headers too; a longer headers timeout could never fire.
  if ((out.headersTimeoutMs as number) > (out.requestTimeoutMs as number)) {
    problems.push(`HEADERS_TIMEOUT_MS=${String(out.headersTimeoutMs)}: must be at most REQUEST_TIMEOUT_MS (${String(out.requestTimeoutMs)})`);
  }
  problems.push(...envKeyProblems(out.apiKeys as string));
  const price = out.instancePriceUsdPerHour as string;
  if (price !== '' && !(/^\d+(\.\d+)?$/.test(price) && Number(price) > 0 && Number(price) < 10_000)) {
    problems.push(`COSYFLEET_INSTANCE_PRICE=${JSON.stringify(price)}: must be dollars per hour, a positive decimal such as 1.006`);
  }
  problems.push(...objectStoreProblems(out));
  if (!/^http:\/\/(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(out.imdsEndpoint as string)) {
    problems.push(`IMDS_ENDPOINT=${JSON.stringify(out.imdsEndpoint)}: must be an http:// origin without a path, such as http://169.254.169.254`);
  }
  problems.push(...trustProxyProblems(out.trustProxy as string[]));
  if (out.databaseUrl !== '' && !/^postgres(ql)?:\/\//.test(out.databaseUrl as string)) {
    problems.push('DATABASE_URL=(secret): must be empty (SQLite in DATA_DIR) or a postgres:// or postgresql:// URL');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  out.corsOrigins = Object.freeze([...(out.corsOrigins as string[])]);
  out.trustProxy = Object.freeze([...(out.trustProxy as string[])]);
  out.workerGpus = Object.freeze([...(out.workerGpus as string[])]);
  out.cosyvoiceSpeakers = Object.freeze([...(out.cosyvoiceSpeakers as string[])]);
  out.openaiSpeechVoices = Object.freeze([...(out.openaiSpeechVoices as string[])]);
  // Not enumerable, so the config's keys stay the settings; JSON.stringify (and pino) call it.
  Object.defineProperty(out, 'toJSON', { enumerable: false, value: () => redacted(out) });
  return Object.freeze(out) as unknown as Config;
}

/** TRUST_PROXY entries Fastify's proxy-addr would throw on at start: an address, a CIDR range, or a named range. */
function trustProxyProblems(entries: readonly string[]): string[] {
  const named = new Set(['loopback', 'linklocal', 'uniquelocal']);
  return entries
    .filter((entry) => {
      if (named.has(entry)) return false;
      const [address = '', bits, extra] = entry.split('/');
      const family = isIP(address);
      if (family === 0 || extra !== undefined) return true;
      return bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
    })
    .map((entry) => `TRUST_PROXY: "${entry}" is not an IP address, a CIDR range (10.0.0.0/8) or one of loopback, linklocal, uniquelocal`);
}

/** The config with every secret setting that is set replaced by REDACTED. */
export function redacted(config: object): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...config };
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    if (spec.secret && typeof copy[spec.key] === 'string' && copy[spec.key] !== '') copy[spec.key] = REDACTED;
  }
  return copy;
}

function pick(
  spec: SettingSpec,
  overrides: ConfigSources['overrides'],
  flags: Map<string, string | true>,
  env: NodeJS.ProcessEnv,
  file: Record<string, unknown>,
  configPath: string | undefined,
): Raw | undefined {
  const o = overrides as Record<string, unknown> | undefined;
  if (o && o[spec.key] !== undefined) return { value: o[spec.key], origin: spec.key };
  if (flags.has(spec.flag)) return { value: flags.get(spec.flag), origin: spec.flag };
  const e = env[spec.env];
  if (e !== undefined && e !== '') return { value: e, origin: spec.env };
  if (file[spec.key] !== undefined) return { value: file[spec.key], origin: `${spec.key} in ${configPath}` };
  return undefined;
}

/** Returns the coerced value, or a problem string prefixed with NUL. */
function coerce(spec: SettingSpec, { value, origin }: Raw): unknown {
  const bad = (why: string) => `\u0000${origin}=${spec.secret ? '(secret)' : JSON.stringify(value)}: ${why}`;
  switch (spec.type) {
    case 'int': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n)) return bad('must be a whole number');
      if (spec.min !== undefined && n < spec.min) return bad(`must be at least ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) return bad(`must be at most ${spec.max}`);
      return n;
    }
    case 'bool': {
      if (typeof value === 'boolean' || value === true) return value;
      if (typeof value === 'string' && /^(1|true|yes|on)$/i.test(value)) return true;
      if (typeof value === 'string' && /^(0|false|no|off)$/i.test(value)) return false;
      return bad('must be true or false');
    }
    case 'enum': {
      if (typeof value !== 'string' || !spec.choices?.includes(value)) return bad(`must be one of ${spec.choices?.join(', ')}`);
      return value;
    }
    case 'list': {
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
      if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter(Boolean);
      return bad('must be a comma-separated list');
    }
    case 'string': {
      if (typeof value !== 'string' || value.trim() === '') return bad('must be a non-empty string');
      if (spec.minLength !== undefined && value.length < spec.minLength) return bad(`must be at least ${spec.minLength} characters`);
      return value;
    }
  }
}

function parseFlags(argv: readonly string[], problems: string[]): Map<string, string | true> {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      problems.push(`unexpected argument "${arg}"`);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0) flags.set(arg.slice(0, eq), arg.slice(eq + 1));
    else if (i + 1 < argv.length && !(argv[i + 1] as string).startsWith('--')) flags.set(arg, argv[++i] as string);
    else flags.set(arg, true);
  }
  return flags;
}

function readConfigFile(path: string, problems: string[]): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(resolve(path), 'utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      problems.push(`config file ${path}: must hold a JSON object`);
      return {};
    }
    return parsed as Record<string, unknown>;
  } catch (err) {
    problems.push(`config file ${path}: ${(err as Error).message}`);
    return {};
  }
}
