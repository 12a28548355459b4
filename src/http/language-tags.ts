// Every `language` a JSON body or a query string carries is read as people write it (`zh-CN`,
// `en-US`, `Cantonese`, ...: src/text/language-tags.ts) and replaced by the engine code before
// the route's schema sees it, so each route keeps its plain enum. An unknown tag is a 400 that
// names the closest supported language (400 `invalid_value`, as any other bad value).
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors/app-error.js';
import { resolveLanguageTag, unknownLanguageMessage } from '../text/language-tags.js';

function normalize(container: unknown): void {
  if (container === null || typeof container !== 'object' || Array.isArray(container)) return;
  const holder = container as Record<string, unknown>;
  const value = holder.language;
  if (typeof value !== 'string') return;
  const code = resolveLanguageTag(value);
  if (code) {
    holder.language = code;
    return;
  }
  throw new AppError('invalid_value', unknownLanguageMessage(value), { param: 'language' });
}

export function registerLanguageTags(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    normalize(request.body);
    normalize(request.query);
  });
}
