// Turns every error into the catalog's `{error:{code,message,param}}` body. Validation errors
// name the field; framework errors (bad JSON, oversized body, wrong content type) get their own
// codes; anything unexpected is logged with its stack and answered as a plain 500.
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, toError } from '../errors/app-error.js';
import { ERRORS } from '../errors/catalog.js';

interface AjvIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * Sets the error handler of the (encapsulated) plugin instance `app`: every thrown value becomes
 * an AppError, logged by severity, and answered in the shape `body` gives (the catalog's by
 * default; the OpenAI-compatible routes pass OpenAI's).
 */
export function handleErrors(app: FastifyInstance, body: (error: AppError) => unknown = (error) => error.toJSON()): void {
  app.setErrorHandler((raw, request, reply) => {
    const error = toAppError(raw);
    if (error.status >= 500) request.log.error({ err: raw }, 'request failed');
    else {
      // The message may quote the request (a token, a fragment of bad JSON, a pronunciation), so
      // info carries the catalog's fixed text and the message itself waits for debug.
      request.log.info({ code: error.code, param: error.param }, ERRORS[error.code].message);
      request.log.debug({ code: error.code }, error.message);
    }
    if (reply.sent || reply.raw.headersSent) {
      // A streamed response already went out; the transport layer ends it (see docs/api.md).
      reply.raw.destroy();
      return;
    }
    void reply.status(error.status).type('application/json').send(body(error));
  });
}

export function registerErrorHandling(app: FastifyInstance): void {
  handleErrors(app);

  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(new AppError('not_found', `No route ${request.method} ${request.url.split('?')[0]}.`).toJSON());
  });
}

/**
 * Fastify's `frameworkErrors` option: routing failures (malformed percent-encoding, a path
 * parameter longer than the router's limit) happen before any route and never reach
 * setErrorHandler; without this they answer in Fastify's own error shape.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const appError =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new AppError('not_found', 'No such resource: a path segment is longer than any id.')
      : new AppError('invalid_request', 'The URL is not valid (malformed percent-encoding).');
  request.log.info({ code: appError.code, fastifyCode: error.code }, appError.message);
  void reply.status(appError.status).header('x-request-id', request.id).type('application/json').send(appError.toJSON());
}

/** A catalog error as a complete HTTP/1.1 response that closes the connection, written on a raw socket. */
export function rawErrorResponse(error: AppError, headers: Record<string, string> = {}, status = error.status): string {
  const body = JSON.stringify(error.toJSON());
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * Fastify's `clientErrorHandler`: requests Node's HTTP parser rejects (raw non-ASCII bytes in
 * the URL, malformed headers) never become requests at all, and a request that does not arrive
 * within HEADERS_TIMEOUT_MS / REQUEST_TIMEOUT_MS is cut here too (src/http/transport.ts). Answer
 * in the catalog's shape on the raw socket, then close it, since the connection's framing can no
 * longer be trusted.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  // Node's own handler looks at the same field: once a response has begun nothing else can be
  // written on this connection.
  const response = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (!socket.writable || response?.headersSent === true) {
    socket.destroy();
    return;
  }
  let appError: AppError;
  let status: number | undefined;
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    // A response object exists once the headers are in: then it was the body that was too slow.
    appError = response
      ? new AppError('request_timeout', 'The request body did not arrive within this server\'s request timeout (REQUEST_TIMEOUT_MS); the connection is closed.')
      : new AppError('request_timeout', 'The request headers did not arrive within this server\'s headers timeout (HEADERS_TIMEOUT_MS); the connection is closed.');
  } else if (err.code === 'HPE_HEADER_OVERFLOW') {
    appError = new AppError('invalid_request', 'The request headers are larger than this server accepts.');
    status = 431;
  } else {
    appError = new AppError('invalid_request', 'The request is not valid HTTP (e.g. unencoded non-ASCII characters in the URL).');
  }
  // Closed once written: the server keeps half-open connections, and a client that never ends
  // its side (the slow ones this cuts) would otherwise hold this one.
  socket.end(rawErrorResponse(appError, {}, status), () => socket.destroy());
}

export function toAppError(raw: unknown): AppError {
  if (raw instanceof AppError) return raw;
  const err = toError(raw) as FastifyError & { validation?: AjvIssue[]; validationContext?: string };
  if (err.validation && err.validation.length > 0) return fromValidation(err.validation, err.validationContext ?? 'body');
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('invalid_json', `The request body is not valid JSON: ${err.message}`);
    case 'ECONNRESET':
      // Node's IncomingMessage, destroyed while its body was being read: the client went away or
      // the request timed out (408 written by clientErrorHandler). Nobody reads this answer.
      if (err.message === 'aborted') return new AppError('cancelled', 'The connection closed before the request body arrived.');
      break;
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('body_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type', 'The request body\'s Content-Type is not one this server reads: application/json (POST /v1/voices: multipart/form-data).');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('invalid_request', 'Content-Length does not match the body.');
    // @fastify/multipart (POST /v1/voices)
    case 'FST_REQ_FILE_TOO_LARGE':
      return new AppError('body_too_large', 'The uploaded file is larger than this server accepts (MAX_UPLOAD_BYTES).', { param: 'audio' });
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new AppError('body_too_large', `The form has more parts than this endpoint accepts (${err.message}).`);
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new AppError('unsupported_media_type', 'This endpoint takes multipart/form-data.');
    case 'FST_MP_PREMATURE_CLOSE':
      return new AppError('invalid_multipart', 'The connection closed before the multipart body ended.');
    case 'FST_PROTO_VIOLATION':
      return new AppError('invalid_multipart', 'A form field is named after an Object prototype property (such as __proto__).');
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return new AppError('invalid_multipart', 'A form field sent with Content-Type application/json is not valid JSON.');
  }
  // @fastify/busboy's parse errors carry no code, only these messages (its lib/types/multipart.js
  // and deps/dicer): the body does not follow its own boundary.
  if (err.message === 'Unexpected end of multipart data' || /^(Part|Preamble) terminated early due to unexpected end of multipart data$/.test(err.message)) {
    return new AppError('invalid_multipart', 'The multipart body ends before its closing boundary: it is truncated, or its parts do not use the boundary its Content-Type names.');
  }
  if (err.message === 'Multipart: Boundary not found') {
    return new AppError('invalid_multipart', 'The Content-Type has no boundary parameter (multipart/form-data; boundary=...).', { param: 'Content-Type' });
  }
  if (err instanceof SyntaxError) return new AppError('invalid_json', `The request body is not valid JSON: ${err.message}`);
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new AppError('invalid_request', err.message);
  }
  return new AppError('internal', undefined, { cause: err });
}

function fromValidation(issues: AjvIssue[], context: string): AppError {
  const issue = issues[0] as AjvIssue;
  const path = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const where = (field: string) => (context === 'body' ? field : `${context}.${field}`);
  switch (issue.keyword) {
    case 'additionalProperties': {
      const field = [path, String(issue.params.additionalProperty)].filter(Boolean).join('.');
      return new AppError('unknown_field', `Unknown field "${field}".`, { param: where(field) });
    }
    case 'required': {
      const field = [path, String(issue.params.missingProperty)].filter(Boolean).join('.');
      return new AppError('missing_field', `Field "${field}" is required.`, { param: where(field) });
    }
    case 'type':
      return path
        ? new AppError('invalid_type', `Field "${path}" must be ${article(String(issue.params.type))}.`, { param: where(path) })
        : new AppError('invalid_type', `The ${context} must be ${article(String(issue.params.type))}.`);
    case 'enum': {
      const allowed = (issue.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return new AppError('invalid_value', `Field "${path}" must be one of ${allowed}.`, { param: where(path) });
    }
    default:
      return new AppError('invalid_value', `Field "${path || context}" ${issue.message ?? 'is invalid'}.`, { param: path ? where(path) : null });
  }
}

function article(type: string): string {
  const t = type.replace(/,/g, ' or ');
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}
