// Runs the app as a process: listen, then on SIGTERM/SIGINT stop accepting, let in-flight
// requests drain, and force the exit after SHUTDOWN_TIMEOUT_MS.
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/config.js';
import { buildApp } from './app.js';

export interface RunningServer {
  app: FastifyInstance;
  address: string;
  shutdown(reason: string): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const app = await buildApp(config);
  const address = await app.listen({ port: config.port, host: config.host });
  app.log.info({ engine: config.engine, address, docs: `${address}/docs` }, 'cosyfleet is listening');

  let closing: Promise<void> | null = null;
  const shutdown = (reason: string): Promise<void> => {
    closing ??= (async () => {
      app.log.info({ reason, timeoutMs: config.shutdownTimeoutMs }, 'shutting down: draining in-flight requests');
      app.lifecycle.shuttingDown = true;
      const force = setTimeout(() => {
        app.log.error('drain timed out; forcing exit');
        process.exit(1);
      }, config.shutdownTimeoutMs);
      force.unref();
      // Keep-alive sockets that finish their last response during the drain would hold close()
      // open until the force timeout; Node only closes the ones idle when close() starts.
      const reap = setInterval(() => app.server.closeIdleConnections(), 100);
      reap.unref();
      await app.close();
      clearInterval(reap);
      clearTimeout(force);
      app.log.info('shut down cleanly');
    })();
    return closing;
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void shutdown(signal).then(() => process.exit(0));
    });
  }
  return { app, address, shutdown };
}
