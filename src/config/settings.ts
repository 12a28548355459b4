// The table of every setting cosyfleet reads. The loader, the validation messages and the
// README's configuration table all come from this one list.
import { availableParallelism } from 'node:os';

export type SettingType = 'int' | 'string' | 'enum' | 'bool' | 'list';

export interface SettingSpec {
  /** Key in the frozen config object and in a JSON config file. */
  key: string;
  env: string;
  /** Command-line flag (`--port 9000`). */
  flag: string;
  type: SettingType;
  default: string | number | boolean | string[] | (() => number);
  description: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** Strings: the shortest value accepted. */
  minLength?: number;
  /** Never printed: `cosyfleet config`, validation messages and logs show it redacted. */
  secret?: boolean;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const ENGINE_NAMES = ['espeak'] as const;
export const WORKER_MODES = ['thread', 'process'] as const;

export const SETTINGS = [
  { key: 'port', env: 'PORT', flag: '--port', type: 'int', default: 8080, min: 0, max: 65535, description: 'TCP port to listen on (0 picks a free port).' },
  { key: 'host', env: 'HOST', flag: '--host', type: 'string', default: '127.0.0.1', description: 'Address to bind. Loopback by default; set 0.0.0.0 deliberately behind a proxy.' },
  { key: 'dataDir', env: 'DATA_DIR', flag: '--data-dir', type: 'string', default: './data', description: 'Directory for the service\'s own files (voices, database, later issues).' },
  { key: 'engine', env: 'COSYFLEET_ENGINE', flag: '--engine', type: 'enum', default: 'espeak', choices: ENGINE_NAMES, description: 'Synthesis engine.' },
  { key: 'maxTextChars', env: 'MAX_TEXT_CHARS', flag: '--max-text-chars', type: 'int', default: 5000, min: 1, max: 1_000_000, description: 'Longest text accepted per request (characters). Long text is segmented, not refused, up to this.' },
  { key: 'maxSegmentChars', env: 'MAX_SEGMENT_CHARS', flag: '--max-segment-chars', type: 'int', default: 0, min: 0, max: 10_000, description: 'Per-segment limit sent to the engine (the deployment article\'s MAX_TEXT_LEN). 0 = the engine\'s own `maxSegmentChars`; otherwise the smaller of the two.' },
  { key: 'segmentGapMs', env: 'SEGMENT_GAP_MS', flag: '--segment-gap-ms', type: 'int', default: 120, min: 0, max: 2000, description: 'Silence inserted between synthesized segments.' },
  { key: 'maxBodyBytes', env: 'MAX_BODY_BYTES', flag: '--max-body-bytes', type: 'int', default: 1_048_576, min: 1024, max: 100 * 1_048_576, description: 'Largest JSON request body (bytes); larger bodies get 413.' },
  { key: 'maxUploadBytes', env: 'MAX_UPLOAD_BYTES', flag: '--max-upload-bytes', type: 'int', default: 10 * 1_048_576, min: 1024, max: 100 * 1_048_576, description: 'Largest audio file accepted by `POST /v1/voices` (bytes); larger uploads get 413.' },
  { key: 'espeakWorkers', env: 'ESPEAK_WORKERS', flag: '--espeak-workers', type: 'int', default: () => availableParallelism(), min: 1, max: 256, description: 'worker_threads in the espeak pool (default: CPU count).' },
  { key: 'corsOrigins', env: 'CORS_ORIGINS', flag: '--cors-origins', type: 'list', default: [], description: 'Comma-separated browser origins allowed by CORS (exact match). Empty = no cross-origin access.' },
  { key: 'shutdownTimeoutMs', env: 'SHUTDOWN_TIMEOUT_MS', flag: '--shutdown-timeout-ms', type: 'int', default: 10_000, min: 0, max: 600_000, description: 'On SIGTERM/SIGINT: how long in-flight requests may drain before the process is forced down.' },
  { key: 'lexiconMaxEntries', env: 'LEXICON_MAX_ENTRIES', flag: '--lexicon-max-entries', type: 'int', default: 10_000, min: 0, max: 1_000_000, description: 'Most pronunciation lexicon entries kept; creating one more answers 409 `lexicon_full`.' },
  { key: 'queueMax', env: 'QUEUE_MAX', flag: '--queue-max', type: 'int', default: 64, min: 1, max: 100_000, description: 'Most synthesis jobs waiting (not yet started) per engine; one more answers 429 `queue_full` with `Retry-After`.' },
  { key: 'queueDeadlineMs', env: 'QUEUE_DEADLINE_MS', flag: '--queue-deadline-ms', type: 'int', default: 30_000, min: 1, max: 3_600_000, description: 'Longest a job may wait in the queue before its synthesis starts (a request may ask for less with `X-Deadline-Ms`). A request whose estimated wait is longer gets 429 `overloaded`; a queued job past it fails with 503 `deadline_exceeded`.' },
  { key: 'batchMaxQueueDelayMs', env: 'BATCH_MAX_QUEUE_DELAY_MS', flag: '--batch-max-queue-delay-ms', type: 'int', default: 5, min: 0, max: 10_000, description: 'Engines that batch: how long the first waiting segment may wait for others to fill a batch (Triton\'s max_queue_delay).' },
  { key: 'workers', env: 'COSYFLEET_WORKERS', flag: '--workers', type: 'enum', default: 'thread', choices: WORKER_MODES, description: 'Where the engine runs: `thread` = worker threads in this process; `process` = supervised worker processes (docs/worker-protocol.md).' },
  { key: 'workerProcesses', env: 'WORKER_PROCESSES', flag: '--worker-processes', type: 'int', default: 2, min: 1, max: 256, description: 'Process mode: how many worker processes (one per GPU on a GPU host).' },
  { key: 'workerConcurrency', env: 'WORKER_CONCURRENCY', flag: '--worker-concurrency', type: 'int', default: 1, min: 1, max: 256, description: 'Process mode: segments one worker synthesizes at a time (espeak: threads per worker process).' },
  { key: 'workerGpus', env: 'WORKER_GPUS', flag: '--worker-gpus', type: 'list', default: [], description: 'Process mode: comma-separated `CUDA_VISIBLE_DEVICES` values, assigned to workers in turn (worker i gets entry i mod n). Empty = not set.' },
  { key: 'workerFp16', env: 'WORKER_FP16', flag: '--worker-fp16', type: 'bool', default: false, description: 'Process mode: ask GPU workers for half precision (passed as `COSYFLEET_FP16=1`; espeak ignores it).' },
  { key: 'workerStartTimeoutMs', env: 'WORKER_START_TIMEOUT_MS', flag: '--worker-start-timeout-ms', type: 'int', default: 120_000, min: 100, max: 3_600_000, description: 'Process mode: a worker that is not ready this long after spawning is killed and counts as a failed start.' },
  { key: 'workerHeartbeatMs', env: 'WORKER_HEARTBEAT_MS', flag: '--worker-heartbeat-ms', type: 'int', default: 2000, min: 10, max: 600_000, description: 'Process mode: heartbeat interval; a worker that misses 5 in a row is killed (reason `unresponsive`).' },
  { key: 'workerDrainTimeoutMs', env: 'WORKER_DRAIN_TIMEOUT_MS', flag: '--worker-drain-timeout-ms', type: 'int', default: 60_000, min: 0, max: 3_600_000, description: 'Process mode: how long a recycled worker may finish its in-flight segments before it is stopped.' },
  { key: 'workerRecycleJobs', env: 'WORKER_RECYCLE_JOBS', flag: '--worker-recycle-jobs', type: 'int', default: 0, min: 0, max: 100_000_000, description: 'Process mode: recycle a worker after this many segments (0 = never).' },
  { key: 'workerRecycleMinutes', env: 'WORKER_RECYCLE_MINUTES', flag: '--worker-recycle-minutes', type: 'int', default: 0, min: 0, max: 525_600, description: 'Process mode: recycle a worker after this many minutes (0 = never).' },
  { key: 'workerRecycleRssMb', env: 'WORKER_RECYCLE_RSS_MB', flag: '--worker-recycle-rss-mb', type: 'int', default: 0, min: 0, max: 10_000_000, description: 'Process mode: recycle a worker whose resident memory passes this (MiB; 0 = never).' },
  { key: 'workerRecycleGpuMb', env: 'WORKER_RECYCLE_GPU_MB', flag: '--worker-recycle-gpu-mb', type: 'int', default: 0, min: 0, max: 10_000_000, description: 'Process mode: recycle a worker whose GPU memory (nvidia-smi, when present) passes this (MiB; 0 = never).' },
  { key: 'workerRecycleRtfPercent', env: 'WORKER_RECYCLE_RTF_PERCENT', flag: '--worker-recycle-rtf-percent', type: 'int', default: 0, min: 0, max: 100_000, description: 'Process mode: recycle a worker whose real-time factor is this many percent worse than its own baseline (its first segments; 0 = never).' },
  { key: 'workerCrashRetries', env: 'WORKER_CRASH_RETRIES', flag: '--worker-crash-retries', type: 'int', default: 1, min: 0, max: 10, description: 'How often a segment whose worker died before it sent audio is retried on another worker.' },
  { key: 'workerBackoffMs', env: 'WORKER_BACKOFF_MS', flag: '--worker-backoff-ms', type: 'int', default: 500, min: 1, max: 600_000, description: 'Process mode: delay before restarting a worker after its first failed start; doubles with each consecutive one.' },
  { key: 'workerBackoffMaxMs', env: 'WORKER_BACKOFF_MAX_MS', flag: '--worker-backoff-max-ms', type: 'int', default: 60_000, min: 1, max: 3_600_000, description: 'Process mode: longest delay between restarts of a crash-looping worker.' },
  { key: 'adminKey', env: 'COSYFLEET_ADMIN_KEY', flag: '--admin-key', type: 'string', default: '', minLength: 16, secret: true, description: 'Bearer key for `/v1/admin/*` (at least 16 characters). Unset = the admin API is off (its routes answer 404). Never logged or printed.' },
  { key: 'logLevel', env: 'LOG_LEVEL', flag: '--log-level', type: 'enum', default: 'info', choices: LOG_LEVELS, description: 'pino log level.' },
] as const satisfies readonly SettingSpec[];
