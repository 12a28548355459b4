// Errors of the OpenAI-compatible routes in OpenAI's shape, {"error":{"message","type","param",
// "code"}}, so the official clients raise their typed errors (BadRequestError, ...) with our
// message. The catalog stays the source of codes and statuses; only the body's shape and the
// parameter names differ from the native API.
import type { FastifyInstance } from 'fastify';
import type { AppError } from '../errors/app-error.js';
import type { SynthesisWarning } from '../engines/engine.js';
import { handleErrors } from './errors.js';

export interface OpenAIErrorBody {
  error: { message: string; type: 'invalid_request_error' | 'server_error'; param: string | null; code: string };
}

/** Native request fields (TtsInput) -> the OpenAI request fields they came from. */
const PARAM_NAMES: Readonly<Record<string, string>> = {
  text: 'input',
  format: 'response_format',
  sample_rate: 'response_format',
  instruct: 'instructions',
  mode: 'instructions',
};
/** Catalog codes that OpenAI clients know under another name. */
const CODE_NAMES: Readonly<Record<string, string>> = { unknown_model: 'model_not_found' };

export function openAIParam(param: string | null | undefined): string | null {
  if (param === null || param === undefined) return null;
  return PARAM_NAMES[param] ?? param;
}

export function toOpenAIError(error: AppError): OpenAIErrorBody {
  return {
    error: {
      message: error.message,
      type: error.status >= 500 ? 'server_error' : 'invalid_request_error',
      param: openAIParam(error.param),
      code: CODE_NAMES[error.code] ?? error.code,
    },
  };
}

/** Warnings with their `param` renamed to the OpenAI request field. */
export function toOpenAIWarnings(warnings: readonly SynthesisWarning[]): SynthesisWarning[] {
  return warnings.map((w) => (w.param === undefined ? w : { ...w, param: openAIParam(w.param) ?? w.param }));
}

/** Sets the error handler of the (encapsulated) plugin instance `app`; other routes keep theirs. */
export function registerOpenAIErrorHandling(app: FastifyInstance): void {
  handleErrors(app, toOpenAIError);
}
