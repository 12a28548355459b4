// Runs the app as a process: listen, then on SIGTERM/SIGINT stop accepting, let in-flight
// requests drain, and force the exit after SHUTDOWN_TIMEOUT_MS. A spot or scale-in notice
// (src/lifecycle/) ends the same way once its drain is over, its exit forced before the instance
// goes, so the host can complete the Auto Scaling lifecycle action after the exit.
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/config.js';
import { buildApp } from './app.js';
import type { DrainResult } from './lifecycle/drain.js';

export interface RunningServer {
  app: FastifyInstance;
  address: string;
  /** forceAfterMs: exit(1) if the drain takes longer (default SHUTDOWN_TIMEOUT_MS). */
  shutdown(reason: string, forceAfterMs?: number): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  // Bound below, once shutdown exists; a drain that ends before then (a notice already there at
  // start, nothing in flight) is kept and acted on at binding.
  let early: DrainResult | null = null;
  let drained = (result: DrainResult): void => {
    early = result;
  };
  const app = await buildApp(config, {
    onInstanceDrained: (result) => drained(result),
    // The one time the secret exists outside its holder: on the operator's terminal, not in the
    // log (which may be shipped elsewhere).
    firstKey: (secret, record) => {
      process.stderr.write(
        [
          '',
          'cosyfleet: no API key existed, so this first admin key was created. It is shown only now; keep it:',
          '',
          `  ${secret}`,
          '',
          `  (id ${record.id}; send it as "Authorization: Bearer <key>". Make narrower keys with`,
          '   `cosyfleet keys create --name app --scope synth`; for local use without keys, start with AUTH=off.)',
          '',
        ].join('\n'),
      );
    },
  });
  const address = await app.listen({ port: config.port, host: config.host });
  app.log.info({ engine: config.engine, address, docs: `${address}/docs` }, 'cosyfleet is listening');

  let closing: Promise<void> | null = null;
  // Keep-alive sockets whose response finishes during the drain would hold close() open until
  // the force timeout (Node closes only those idle when close() starts). End them gracefully
  // once their response is written: end() flushes, unlike closeIdleConnections()' destroy.
  app.server.on('request', (_req, res) => {
    res.once('finish', () => {
      if (closing) res.socket?.end();
    });
  });
  const shutdown = (reason: string, forceAfterMs = config.shutdownTimeoutMs): Promise<void> => {
    closing ??= (async () => {
      app.log.info({ reason, timeoutMs: forceAfterMs }, 'shutting down: draining in-flight requests');
      app.lifecycle.shuttingDown = true;
      const force = setTimeout(() => {
        app.log.error('drain timed out; forcing exit');
        process.exit(1);
      }, forceAfterMs);
      force.unref();
      await app.close();
      clearTimeout(force);
      app.log.info('shut down cleanly');
    })();
    return closing;
  };
  drained = (result) => {
    // What is still running gets the rest of SHUTDOWN_TIMEOUT_MS, but never past the moment the
    // instance goes: an exit the host sees beats a process killed mid-write.
    const left = result.endsAt === null ? config.shutdownTimeoutMs : Math.max(0, Math.min(config.shutdownTimeoutMs, result.endsAt - Date.now()));
    void shutdown(result.reason, left).then(() => process.exit(0));
  };
  if (early) drained(early);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void shutdown(signal).then(() => process.exit(0));
    });
  }
  return { app, address, shutdown };
}
