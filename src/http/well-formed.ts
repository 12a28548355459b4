// Text that is not Unicode is refused at the door: a JSON body may spell an unpaired UTF-16
// surrogate (`"\ud800"`), which JavaScript keeps, but UTF-8 cannot encode, so it would fail
// later and less clearly (in an encoder, the Python worker, the database). Every string in a
// JSON body or query — keys included — must be well-formed; the error names the field.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors/app-error.js';

/** Deeper structures are the schemas' business (and refused as too deeply nested elsewhere). */
const MAX_DEPTH = 32;
/** With the `u` flag a surrogate matches only when unpaired (a pair is one code point). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function check(value: unknown, path: string, depth: number): void {
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) throw new AppError('invalid_value', `${path || 'the body'} holds an unpaired UTF-16 surrogate: not Unicode text.`, { param: path || null });
    return;
  }
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => check(item, `${path}[${i}]`, depth + 1));
    return;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (LONE_SURROGATE.test(key)) throw new AppError('invalid_value', 'A field name holds an unpaired UTF-16 surrogate: not Unicode text.', { param: null });
    check(item, path ? `${path}.${key}` : key, depth + 1);
  }
}

export function registerWellFormedText(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    check(request.body, '', 0);
    check(request.query, '', 0);
  });
}
