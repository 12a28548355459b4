// Starts a worker_thread on a sibling module, whether cosyfleet runs built (.js) or from
// source through tsx (.ts: tests, `npm run dev`). Node 20 gives workers neither the main
// thread's module hooks nor a way to load a .ts entry with --import tsx, so from source a tiny
// eval bootstrap registers tsx inside the worker first.
import { Worker } from 'node:worker_threads';

/**
 * `fromModule` is the caller's import.meta.url; `path` the worker module relative to it,
 * without extension (`./worker`, `../planner/plan-worker`).
 */
export function spawnModuleWorker(fromModule: string, path: string, workerData: unknown): Worker {
  const fromSource = fromModule.endsWith('.ts');
  const url = new URL(`${path}${fromSource ? '.ts' : '.js'}`, fromModule);
  if (!fromSource) return new Worker(url, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
