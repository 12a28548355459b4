// The single catalog of error codes the service can answer with. Every error a client sees
// is built from an entry here, so codes, statuses and retryability stay consistent
// (the same idea as fastify's lib/errors.js).

export interface ErrorSpec {
  status: number;
  retryable: boolean;
  /** Default message; call sites may pass a more specific one. */
  message: string;
}

export const ERRORS = {
  invalid_request: { status: 400, retryable: false, message: 'The request is invalid.' },
  invalid_json: { status: 400, retryable: false, message: 'The request body is not valid JSON.' },
  unknown_field: { status: 400, retryable: false, message: 'The request has a field this endpoint does not accept.' },
  invalid_type: { status: 400, retryable: false, message: 'A field has the wrong type.' },
  missing_field: { status: 400, retryable: false, message: 'A required field is missing.' },
  invalid_value: { status: 400, retryable: false, message: 'A field has a value outside what is allowed.' },
  empty_text: { status: 400, retryable: false, message: 'The text is empty.' },
  text_too_long: { status: 400, retryable: false, message: 'The text is longer than this server accepts per request.' },
  invalid_token: { status: 400, retryable: false, message: 'The text holds an annotation token that is not valid.' },
  invalid_ssml: { status: 400, retryable: false, message: 'The text starts like SSML (<speak>) but is not well-formed or not valid SSML.' },
  invalid_pronunciation: { status: 400, retryable: false, message: 'A lexicon pronunciation must be CMU phoneme tokens only or pinyin tokens only.' },
  lexicon_not_found: { status: 404, retryable: false, message: 'No lexicon entry with this id.' },
  lexicon_conflict: { status: 409, retryable: false, message: 'A lexicon entry for this term and language already exists.' },
  lexicon_full: { status: 409, retryable: false, message: 'The lexicon holds the most entries this server keeps (LEXICON_MAX_ENTRIES).' },
  unsupported_media_type: { status: 415, retryable: false, message: 'The request body must be application/json.' },
  body_too_large: { status: 413, retryable: false, message: 'The request body is larger than this server accepts.' },
  invalid_multipart: { status: 400, retryable: false, message: 'The request body is not valid multipart/form-data.' },
  request_timeout: { status: 408, retryable: true, message: 'The request did not arrive in time (REQUEST_TIMEOUT_MS, HEADERS_TIMEOUT_MS); the connection is closed.' },
  too_many_connections: { status: 429, retryable: true, message: 'This client address has as many connections open as this server allows (MAX_CONNECTIONS_PER_ADDRESS); retry on one of them or after the Retry-After header\'s seconds.' },
  not_found: { status: 404, retryable: false, message: 'No such route.' },
  unknown_voice: { status: 400, retryable: false, message: 'The request names a voice this engine does not have.' },
  unknown_model: { status: 400, retryable: false, message: 'The request names a model this server does not serve.' },
  unsupported_mode: { status: 422, retryable: false, message: 'The engine does not support this synthesis mode.' },
  unsupported_language: { status: 422, retryable: false, message: 'The engine does not support this language.' },
  unsupported_sample_rate: { status: 422, retryable: false, message: 'The output format cannot carry this sample rate.' },
  nothing_to_speak: { status: 422, retryable: false, message: 'The text holds nothing the engine can speak (only sound events it cannot voice, control tokens, markup or punctuation).' },
  voice_not_found: { status: 404, retryable: false, message: 'No voice in the library with this id.' },
  output_not_found: { status: 404, retryable: false, message: 'No stored output with this id (or it has expired).' },
  consent_required: { status: 400, retryable: false, message: 'Uploading a voice needs consent="true": confirmation that the speaker agreed to have their voice cloned.' },
  audio_unreadable: { status: 422, retryable: false, message: 'The audio is not a readable WAV, MP3, FLAC or Ogg Opus file.' },
  audio_sample_rate_too_low: { status: 422, retryable: false, message: 'The audio sample rate is below 16000 Hz.' },
  audio_too_short: { status: 422, retryable: false, message: 'The audio holds less than 3 seconds of sound after trimming silence.' },
  audio_too_long: { status: 422, retryable: false, message: 'The audio holds more than 30 seconds of sound after trimming silence.' },
  audio_silent: { status: 422, retryable: false, message: 'The audio is silent.' },
  audio_clipped: { status: 422, retryable: false, message: 'The audio is heavily clipped.' },
  engine_unavailable: { status: 503, retryable: true, message: 'The synthesis engine is not ready.' },
  engine_failed: { status: 502, retryable: true, message: 'The synthesis engine failed.' },
  cancelled: { status: 499, retryable: false, message: 'The request was cancelled.' },
  shutting_down: { status: 503, retryable: true, message: 'The server is shutting down.' },
  rate_limited: { status: 429, retryable: true, message: 'This API key has made as many requests this minute as its limit allows; retry after the Retry-After header\'s seconds.' },
  concurrency_limited: { status: 429, retryable: true, message: 'This API key has as many requests in progress as its limit allows; retry when one has finished.' },
  quota_exceeded: { status: 429, retryable: true, message: 'This API key has used its characters or audio seconds for the day or month; the Retry-After header says when the quota renews.' },
  queue_full: { status: 429, retryable: true, message: 'The synthesis queue is full; retry after the Retry-After header\'s seconds.' },
  overloaded: { status: 429, retryable: true, message: 'The estimated wait exceeds the request\'s deadline; retry after the Retry-After header\'s seconds.' },
  deadline_exceeded: { status: 503, retryable: true, message: 'The request waited in the queue past its deadline before synthesis could start.' },
  unauthorized: { status: 401, retryable: false, message: 'This route needs an Authorization: Bearer header with the admin key.' },
  forbidden: { status: 403, retryable: false, message: 'The admin key is wrong.' },
  host_not_allowed: { status: 400, retryable: false, message: 'This service does not answer for this Host; add it to ALLOWED_HOSTS.' },
  origin_not_allowed: { status: 403, retryable: false, message: 'This request\'s Origin is not allowed to change or spend anything here; allow it in CORS_ORIGINS.' },
  writes_disabled: { status: 403, retryable: false, message: 'Voice and lexicon writes are off: the service listens beyond loopback and COSYFLEET_WRITE_KEY is not set.' },
  api_key_required: { status: 401, retryable: false, message: 'This route needs an API key: send it as Authorization: Bearer <key> or x-api-key. Create one with `cosyfleet keys create`, or run the service with AUTH=off for local use.' },
  invalid_api_key: { status: 401, retryable: false, message: 'The API key is not valid.' },
  api_key_revoked: { status: 401, retryable: false, message: 'The API key has been revoked.' },
  scope_missing: { status: 403, retryable: false, message: 'The API key does not have the scope this route needs.' },
  key_not_found: { status: 404, retryable: false, message: 'No API key with this id.' },
  write_key_required: { status: 401, retryable: false, message: 'Voice and lexicon writes need the write key (COSYFLEET_WRITE_KEY) as Authorization: Bearer or x-api-key.' },
  write_key_invalid: { status: 403, retryable: false, message: 'The write key is wrong.' },
  worker_not_found: { status: 404, retryable: false, message: 'No worker with this id.' },
  engine_not_restartable: { status: 409, retryable: false, message: 'This engine cannot be restarted in place.' },
  voice_transcript_conflict: { status: 409, retryable: false, message: 'The engine\'s server caches voices by transcript and already holds another voice with this transcript.' },
  planner_busy: { status: 429, retryable: true, message: 'The planner is busy; retry shortly.' },
  internal: { status: 500, retryable: true, message: 'Internal server error.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;
