// The Fleet page's calls to the admin API, typed by schema.d.ts like the rest of the studio. They
// carry the admin key given on the Fleet page when there is one (AUTH=off with
// COSYFLEET_ADMIN_KEY: the studio has no key of its own), else the tab's key. A 401 or 403 here
// means "not an admin key", which the page says in place: it is not the tab's key failing, so the
// studio's key prompt is not involved.
import { ApiError, toApiError } from '../api/client.js';
import type { paths } from '../api/schema.js';

type Json<P extends keyof paths, M extends 'get' | 'post', S extends number> = paths[P][M] extends { responses: { [K in S]: { content: { 'application/json': infer T } } } } ? T : never;

export type Fleet = Json<'/v1/admin/fleet', 'get', 200>;
export type FleetWorker = Fleet['workers'][number];
export type FleetMinute = Fleet['minutes'][number];

export interface FleetApi {
  fleet(minutes: number, signal?: AbortSignal): Promise<Fleet>;
  /** Graceful replacement of one worker; resolves when it is done (`?wait=true`). */
  restartWorker(id: string): Promise<void>;
  /** Every worker replaced in turn; resolves when all are. */
  restartEngine(name: string): Promise<void>;
}

/** Whether an error means the key in use may not call the admin API. */
export function needsAdminKey(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 401 || err.status === 403);
}

/** The admin API is not there at all: AUTH=off without COSYFLEET_ADMIN_KEY. */
export function adminApiOff(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404 && err.code === 'not_found';
}

// The routes, checked against the document: a renamed route fails the type-check here.
const FLEET: keyof paths = '/v1/admin/fleet';
const RESTART_WORKER: keyof paths = '/v1/admin/workers/{id}/restart';
const RESTART_ENGINE: keyof paths = '/v1/admin/engines/{name}/restart';

export function createFleetApi(key: () => string | null): FleetApi {
  const call = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    const k = key();
    if (k) headers.set('authorization', `Bearer ${k}`);
    const res = await fetch(url, { ...init, headers, credentials: 'omit', cache: 'no-store' });
    if (!res.ok) throw await toApiError(res);
    return res;
  };
  return {
    fleet: async (minutes, signal) => (await (await call(`${FLEET}?minutes=${minutes}`, signal ? { signal } : {})).json()) as Fleet,
    restartWorker: async (id) => void (await call(`${RESTART_WORKER.replace('{id}', encodeURIComponent(id))}?wait=true`, { method: 'POST' })),
    restartEngine: async (name) => void (await call(`${RESTART_ENGINE.replace('{name}', encodeURIComponent(name))}?wait=true`, { method: 'POST' })),
  };
}
