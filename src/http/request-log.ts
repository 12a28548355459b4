// What the service logs about each request: never the client's text. Fastify's request line
// carries the URL, and GET /v1/pronounce takes its text in the query string, so the query is
// left out (elsewhere query parameters are enums and flags; nothing an operator needs is lost).
import type { FastifyRequest } from 'fastify';

/** Pino serializers for the request logger (buildApp installs them over Fastify's). */
export const requestLogSerializers = {
  req(request: FastifyRequest) {
    const url = request.url ?? '';
    const query = url.indexOf('?');
    return {
      method: request.method,
      url: query < 0 ? url : `${url.slice(0, query)}?…`,
      host: request.host,
      remoteAddress: request.ip,
      remotePort: request.socket?.remotePort,
    };
  },
};
