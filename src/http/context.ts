// What the HTTP plugins receive from buildApp: explicit dependencies, no module singletons.
import type { Config } from '../config/config.js';
import type { Engine } from '../engines/engine.js';
import type { ResultCache } from '../outputs/result-cache.js';
import type { Principal } from '../accounts/principal.js';
import type { PlanServices } from '../services/synthesis.js';
import type { OutputService } from '../outputs/service.js';

export interface Lifecycle {
  /** Set when SIGTERM/SIGINT arrives: /readyz turns red, new synthesis is refused. */
  shuttingDown: boolean;
}

export interface AppContext {
  readonly config: Config;
  readonly engine: Engine;
  readonly lifecycle: Lifecycle;
  /** Voice library, lexicon and instruction hooks for synthesis planning, for one caller (its tenant's voices and lexicon). */
  readonly servicesFor: (principal: Principal) => PlanServices;
  /** Stored outputs (`"store": true`, /v1/outputs); absent: requests that ask to store are refused. */
  readonly outputs?: OutputService;
  /** The result cache (each tenant's mode: its policy, else RESULT_CACHE); absent: nothing is cached. */
  readonly cache?: ResultCache;
}
