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
export const ENGINE_NAMES = ['espeak', 'cosyvoice', 'cosyvoice-fastapi', 'triton', 'openai-speech'] as const;
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
  { key: 'workers', env: 'COSYFLEET_WORKERS', flag: '--workers', type: 'enum', default: 'thread', choices: WORKER_MODES, description: 'Where the engine runs: `thread` = worker threads in this process; `process` = supervised worker processes (docs/worker-protocol.md). The `cosyvoice` engine always runs in worker processes.' },
  { key: 'workerProcesses', env: 'WORKER_PROCESSES', flag: '--worker-processes', type: 'int', default: 2, min: 1, max: 256, description: 'Process mode: how many worker processes (one per GPU on a GPU host).' },
  { key: 'workerConcurrency', env: 'WORKER_CONCURRENCY', flag: '--worker-concurrency', type: 'int', default: 1, min: 1, max: 256, description: 'Process mode: segments one worker synthesizes at a time (espeak: threads per worker process).' },
  { key: 'workerGpus', env: 'WORKER_GPUS', flag: '--worker-gpus', type: 'list', default: [], description: 'Process mode: comma-separated `CUDA_VISIBLE_DEVICES` values, assigned to workers in turn (worker i gets entry i mod n). Empty = not set.' },
  { key: 'workerFp16', env: 'WORKER_FP16', flag: '--worker-fp16', type: 'bool', default: false, description: 'Process mode: ask GPU workers for half precision (passed as `COSYFLEET_FP16=1`; espeak ignores it). The `cosyvoice` engine passes it to `AutoModel(fp16=...)`; T4 and V100 have no bf16, and fp16 is where NaN/silent output comes from.' },
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
  { key: 'cosyvoiceUrl', env: 'COSYVOICE_URL', flag: '--cosyvoice-url', type: 'string', default: '', description: 'Engine `cosyvoice-fastapi`: base URL of the official CosyVoice FastAPI server (`runtime/python/fastapi/server.py`), e.g. `http://gpu-box:50000`. Required by that engine.' },
  { key: 'cosyvoiceSampleRate', env: 'COSYVOICE_SAMPLE_RATE', flag: '--cosyvoice-sample-rate', type: 'int', default: 24000, min: 8000, max: 48000, description: 'Engine `cosyvoice-fastapi`: rate of the raw int16 PCM the server streams, which is its model\'s rate (24000 for Fun-CosyVoice3 and CosyVoice2, 22050 for CosyVoice-300M).' },
  { key: 'cosyvoiceSpeakers', env: 'COSYVOICE_SPEAKERS', flag: '--cosyvoice-speakers', type: 'list', default: [], description: 'Engines `cosyvoice` and `cosyvoice-fastapi`: comma-separated speaker ids saved in the model\'s `spk2info.pt`, offered as preset voices (mode `preset`, `inference_sft`). The FastAPI server has no route that lists them; the `cosyvoice` engine also offers the speakers its workers report.' },
  { key: 'tritonUrl', env: 'TRITON_URL', flag: '--triton-url', type: 'string', default: '', description: 'Engine `triton`: gRPC address of the Triton server running the official `cosyvoice3` model: `host:port` (Triton\'s gRPC port is 8001) or `grpc://host:port`; `grpcs://host:port` for TLS. Required by that engine.' },
  { key: 'tritonModel', env: 'TRITON_MODEL', flag: '--triton-model', type: 'string', default: 'cosyvoice3', description: 'Engine `triton`: model name in the Triton model repository.' },
  { key: 'tritonSampleRate', env: 'TRITON_SAMPLE_RATE', flag: '--triton-sample-rate', type: 'int', default: 24000, min: 8000, max: 48000, description: 'Engine `triton`: rate of the model\'s `waveform` output.' },
  { key: 'openaiSpeechUrl', env: 'OPENAI_SPEECH_URL', flag: '--openai-speech-url', type: 'string', default: '', description: 'Engine `openai-speech`: base URL of an OpenAI-compatible speech server (vLLM-Omni, SGLang-Omni), e.g. `http://gpu-box:8091/v1` (`/v1` is added when the path lacks it). Required by that engine.' },
  { key: 'openaiSpeechModel', env: 'OPENAI_SPEECH_MODEL', flag: '--openai-speech-model', type: 'string', default: 'FunAudioLLM/Fun-CosyVoice3-0.5B-2512', description: 'Engine `openai-speech`: the `model` sent with every request.' },
  { key: 'openaiSpeechApiKey', env: 'OPENAI_SPEECH_API_KEY', flag: '--openai-speech-api-key', type: 'string', default: '', secret: true, description: 'Engine `openai-speech`: API key sent as `Authorization: Bearer`. Unset = no header. Never logged or printed.' },
  { key: 'openaiSpeechVoices', env: 'OPENAI_SPEECH_VOICES', flag: '--openai-speech-voices', type: 'list', default: [], description: 'Engine `openai-speech`: comma-separated voice names the server knows (e.g. voices uploaded to vLLM-Omni), offered as preset voices.' },
  { key: 'openaiSpeechSampleRate', env: 'OPENAI_SPEECH_SAMPLE_RATE', flag: '--openai-speech-sample-rate', type: 'int', default: 24000, min: 8000, max: 48000, description: 'Engine `openai-speech`: rate of the server\'s `pcm` output (24000 in OpenAI\'s API and for CosyVoice3).' },
  { key: 'openaiSpeechInstruct', env: 'OPENAI_SPEECH_INSTRUCT', flag: '--openai-speech-instruct', type: 'bool', default: false, description: 'Engine `openai-speech`: offer instruct mode, sending the instruction as `instructions`. Off by default because vLLM-Omni\'s CosyVoice3 adapter ignores `instructions`.' },
  { key: 'remoteVoicesDir', env: 'REMOTE_VOICES_DIR', flag: '--remote-voices-dir', type: 'string', default: '', description: 'Remote engines: directory of reference voices offered as presets and spoken by cloning: `<name>.wav` (or .mp3/.flac/.opus, 3-30 s of speech) with its transcript in `<name>.txt`. Unset = none.' },
  { key: 'remoteConcurrency', env: 'REMOTE_CONCURRENCY', flag: '--remote-concurrency', type: 'int', default: 4, min: 1, max: 1024, description: 'Remote engines: segments sent to the remote server at the same time (the engine\'s declared concurrency; the scheduler queues the rest). The official FastAPI server has no concurrency control of its own.' },
  { key: 'remoteConnectTimeoutMs', env: 'REMOTE_CONNECT_TIMEOUT_MS', flag: '--remote-connect-timeout-ms', type: 'int', default: 5000, min: 10, max: 600_000, description: 'Remote engines: longest wait for a connection to the remote server.' },
  { key: 'remoteTimeoutMs', env: 'REMOTE_TIMEOUT_MS', flag: '--remote-timeout-ms', type: 'int', default: 60_000, min: 10, max: 3_600_000, description: 'Remote engines: longest wait from sending a segment to its first audio; past it the segment fails with `engine_failed`. The FastAPI server sends nothing until a whole sentence is made.' },
  { key: 'remoteIdleTimeoutMs', env: 'REMOTE_IDLE_TIMEOUT_MS', flag: '--remote-idle-timeout-ms', type: 'int', default: 30_000, min: 10, max: 3_600_000, description: 'Remote engines: longest gap between two pieces of a segment\'s audio.' },
  { key: 'remoteRetries', env: 'REMOTE_RETRIES', flag: '--remote-retries', type: 'int', default: 1, min: 0, max: 10, description: 'Remote engines: retries of idempotent calls (a health probe; a segment that failed before any of its audio arrived), after a delay that doubles from `REMOTE_RETRY_BACKOFF_MS`.' },
  { key: 'remoteRetryBackoffMs', env: 'REMOTE_RETRY_BACKOFF_MS', flag: '--remote-retry-backoff-ms', type: 'int', default: 250, min: 0, max: 60_000, description: 'Remote engines: delay before the first retry.' },
  { key: 'remoteHealthIntervalMs', env: 'REMOTE_HEALTH_INTERVAL_MS', flag: '--remote-health-interval-ms', type: 'int', default: 5000, min: 50, max: 3_600_000, description: 'Remote engines: how often the remote server is probed; `/readyz` answers 503 while the probe fails.' },
  { key: 'cosyvoiceModelDir', env: 'COSYVOICE_MODEL_DIR', flag: '--cosyvoice-model-dir', type: 'string', default: 'pretrained_models/Fun-CosyVoice3-0.5B', description: 'Engine `cosyvoice`: directory holding the downloaded Fun-CosyVoice3-0.5B model (`cosyfleet doctor` checks its files). Never downloaded by cosyfleet.' },
  { key: 'cosyvoicePython', env: 'COSYVOICE_PYTHON', flag: '--cosyvoice-python', type: 'string', default: 'python3', description: 'Engine `cosyvoice`: Python executable of the environment with the official `cosyvoice` package; it runs `workers/cosyvoice/worker.py`, one process per GPU (`WORKER_PROCESSES`, `WORKER_GPUS`). `cosyfleet doctor` checks it.' },
  { key: 'cosyvoicePythonPath', env: 'COSYVOICE_PYTHONPATH', flag: '--cosyvoice-pythonpath', type: 'string', default: '', description: 'Engine `cosyvoice`: `PYTHONPATH` for the workers, e.g. `/opt/CosyVoice:/opt/CosyVoice/third_party/Matcha-TTS` for a source checkout of the official repository (as its README sets it). Empty = the worker inherits the service\'s.' },
  { key: 'cosyvoiceLoadVllm', env: 'COSYVOICE_LOAD_VLLM', flag: '--cosyvoice-load-vllm', type: 'bool', default: false, description: 'Engine `cosyvoice`: run the LLM stage on vLLM (`AutoModel(load_vllm=True)`; needs the `vllm/` export in the model directory). vLLM batches the LLM steps of concurrent segments, so raise `WORKER_CONCURRENCY` with it.' },
  { key: 'cosyvoiceLoadTrt', env: 'COSYVOICE_LOAD_TRT', flag: '--cosyvoice-load-trt', type: 'bool', default: false, description: 'Engine `cosyvoice`: run the flow decoder as a TensorRT engine (`load_trt=True`, one context per `WORKER_CONCURRENCY`). With `WORKER_FP16` the maintainers warn of quality issues and users report NaN/silent audio; cosyfleet retries such segments and reports `fp16_unsafe`.' },
  { key: 'cosyvoiceStream', env: 'COSYVOICE_STREAM', flag: '--cosyvoice-stream', type: 'bool', default: true, description: 'Engine `cosyvoice`: let the model stream each segment (`stream=True`: first audio after about one chunk of speech tokens). Segments with `speed` other than 1 always run without streaming, the only way the package honours speed.' },
  { key: 'cosyvoiceEmptyCache', env: 'COSYVOICE_EMPTY_CACHE', flag: '--cosyvoice-empty-cache', type: 'bool', default: false, description: 'Engine `cosyvoice`: call `torch.cuda.empty_cache()` after every segment. Returns cached blocks to the driver (lower `nvidia-smi` figures, less fragmentation) at some speed cost.' },
  { key: 'cosyvoiceBadAudioLimit', env: 'COSYVOICE_BAD_AUDIO_LIMIT', flag: '--cosyvoice-bad-audio-limit', type: 'int', default: 3, min: 1, max: 1_000_000, description: 'Engine `cosyvoice`: segments a worker may produce as NaN, empty or near-silent (each one is retried) before it reports `fp16_unsafe` (or `bad_audio` without fp16) in the admin API, the log and `cosyfleet_worker_warnings_total`.' },
  { key: 'adminKey', env: 'COSYFLEET_ADMIN_KEY', flag: '--admin-key', type: 'string', default: '', minLength: 16, secret: true, description: 'Bearer key for `/v1/admin/*` (at least 16 characters). Unset = the admin API is off (its routes answer 404). Never logged or printed.' },
  { key: 'logLevel', env: 'LOG_LEVEL', flag: '--log-level', type: 'enum', default: 'info', choices: LOG_LEVELS, description: 'pino log level.' },
] as const satisfies readonly SettingSpec[];
