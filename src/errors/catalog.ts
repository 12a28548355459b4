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
  unsupported_media_type: { status: 415, retryable: false, message: 'The request body must be application/json.' },
  body_too_large: { status: 413, retryable: false, message: 'The request body is larger than this server accepts.' },
  not_found: { status: 404, retryable: false, message: 'No such route.' },
  unknown_voice: { status: 400, retryable: false, message: 'The request names a voice this engine does not have.' },
  unsupported_mode: { status: 422, retryable: false, message: 'The engine does not support this synthesis mode.' },
  unsupported_language: { status: 422, retryable: false, message: 'The engine does not support this language.' },
  unsupported_sample_rate: { status: 422, retryable: false, message: 'The output format cannot carry this sample rate.' },
  engine_unavailable: { status: 503, retryable: true, message: 'The synthesis engine is not ready.' },
  engine_failed: { status: 502, retryable: true, message: 'The synthesis engine failed.' },
  cancelled: { status: 499, retryable: false, message: 'The request was cancelled.' },
  shutting_down: { status: 503, retryable: true, message: 'The server is shutting down.' },
  internal: { status: 500, retryable: true, message: 'Internal server error.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;
