// EC2's instance metadata service, version 2: a session token from PUT /latest/api/token (its
// lifetime asked for in a header), then reads that carry it. One client holds one token and
// asks for a new one shortly before it expires, or at once when a read answers 401 (the token
// expired early, or IMDS restarted). The address is the operator's setting (IMDS_ENDPOINT),
// never a user's.

/** EC2's fixed link-local address (IMDS_ENDPOINT's default). */
export const IMDS_ENDPOINT = 'http://169.254.169.254';

const TOKEN_PATH = '/latest/api/token';
const TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';

export interface ImdsClientOptions {
  readonly endpoint?: string;
  /** Each HTTP exchange's limit (a metadata service answers in milliseconds, or not at all). */
  readonly timeoutMs?: number;
  /** The token's lifetime asked for (IMDS allows 1 to 21600 s). */
  readonly tokenTtlS?: number;
  /** Clock for the token's expiry (tests). */
  readonly now?: () => number;
}

export interface ImdsResponse {
  readonly status: number;
  readonly body: string;
}

/** The metadata service did not answer, or refused the token request. */
export class ImdsUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImdsUnavailable';
  }
}

export class ImdsClient {
  readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly ttlS: number;
  private readonly now: () => number;
  private token: { value: string; renewAt: number } | null = null;
  private pending: Promise<string> | null = null;
  /** Tokens fetched so far (metrics, tests). */
  tokensFetched = 0;

  constructor(options: ImdsClientOptions = {}) {
    this.endpoint = (options.endpoint ?? IMDS_ENDPOINT).replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.ttlS = options.tokenTtlS ?? 21_600;
    this.now = options.now ?? Date.now;
  }

  /**
   * GET a metadata path with the session token. Any HTTP answer comes back (404 means "no such
   * item": no notice); a 401 is retried once with a new token. Throws ImdsUnavailable when the
   * service does not answer.
   */
  async get(path: string, signal?: AbortSignal): Promise<ImdsResponse> {
    const first = await this.read(path, await this.currentToken(signal), signal);
    if (first.status !== 401) return first;
    this.token = null;
    return this.read(path, await this.currentToken(signal), signal);
  }

  private async read(path: string, token: string, signal?: AbortSignal): Promise<ImdsResponse> {
    const res = await this.exchange(path, { headers: { [TOKEN_HEADER]: token } }, signal);
    return { status: res.status, body: await res.text() };
  }

  private currentToken(signal?: AbortSignal): Promise<string> {
    if (this.token && this.now() < this.token.renewAt) return Promise.resolve(this.token.value);
    // Concurrent reads share one token request.
    this.pending ??= this.fetchToken(signal).finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async fetchToken(signal?: AbortSignal): Promise<string> {
    const asked = this.now();
    const res = await this.exchange(TOKEN_PATH, { method: 'PUT', headers: { [TTL_HEADER]: String(this.ttlS) } }, signal);
    const value = (await res.text()).trim();
    if (!res.ok || value === '') throw new ImdsUnavailable(`IMDS token request answered ${res.status}`);
    // Renew at 80% of the lifetime the service granted (it may grant less than asked), counted
    // from when we asked, so a read never carries a token about to lapse.
    const granted = Number(res.headers.get(TTL_HEADER));
    const ttlS = Number.isFinite(granted) && granted > 0 ? Math.min(granted, this.ttlS) : this.ttlS;
    this.token = { value, renewAt: asked + ttlS * 800 };
    this.tokensFetched++;
    return value;
  }

  private async exchange(path: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      return await fetch(`${this.endpoint}${path}`, { ...init, redirect: 'manual', signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (err) {
      throw new ImdsUnavailable(`IMDS did not answer ${path}`, { cause: err });
    }
  }
}
