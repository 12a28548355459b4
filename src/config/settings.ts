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
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const ENGINE_NAMES = ['espeak'] as const;

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
  { key: 'logLevel', env: 'LOG_LEVEL', flag: '--log-level', type: 'enum', default: 'info', choices: LOG_LEVELS, description: 'pino log level.' },
] as const satisfies readonly SettingSpec[];
