// A loopback stand-in for EC2's instance metadata service that speaks IMDSv2's token protocol
// as EC2 does (the AWS account and the instance are the process boundary that cannot run here):
//   PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds (1..21600), else 400; a PUT
//   carrying X-Forwarded-For is refused (403), as EC2 refuses tokens to requests that went
//   through a proxy; the answer echoes the TTL granted (capped by `maxTtlS`);
//   every GET needs a token that was issued and has not expired (its own clock), else 401;
//   spot/instance-action and events/recommendations/rebalance are 404 until the test arms them;
//   autoscaling/target-lifecycle-state answers the state the test sets (404 when none).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';

export interface ImdsStandinOptions {
  /** Longest token lifetime granted (EC2: 21600 s). */
  maxTtlS?: number;
  /** The stand-in's clock for token expiry (tests that move time move this one). */
  now?: () => number;
  instanceType?: string;
  region?: string;
  /** The instance's aws:autoscaling:groupName tag (null: instance metadata tags off, 404). */
  autoScalingGroup?: string | null;
  /** The initial target lifecycle state (null: not in an Auto Scaling group, 404). */
  lifecycleState?: string | null;
}

export interface StandinRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

export class ImdsStandin extends EventEmitter {
  readonly requests: StandinRequest[] = [];
  /** Raw bodies served at a path instead of what the state says (malformed answers). */
  readonly raw = new Map<string, { status: number; body: string }>();
  lifecycleState: string | null;
  tokensIssued = 0;
  private spot: string | null = null;
  private rebalance: string | null = null;
  private readonly tokens = new Map<string, number>();
  private readonly server: Server;
  private readonly now: () => number;
  private address = '';

  constructor(private readonly options: ImdsStandinOptions = {}) {
    super();
    this.now = options.now ?? Date.now;
    this.lifecycleState = options.lifecycleState === undefined ? 'InService' : options.lifecycleState;
    this.server = createServer((req, res) => this.handle(req, res));
  }

  /** Listens on an ephemeral loopback port; resolves to the origin (IMDS_ENDPOINT). */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.address = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this.address;
  }

  get origin(): string {
    return this.address;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The spot interruption notice, as EC2 writes it about two minutes before `time`. */
  armSpot(action: 'terminate' | 'stop' | 'hibernate', time: Date): void {
    this.spot = JSON.stringify({ action, time: time.toISOString().replace(/\.\d{3}Z$/, 'Z') });
  }

  armRebalance(noticeTime: Date): void {
    this.rebalance = JSON.stringify({ noticeTime: noticeTime.toISOString().replace(/\.\d{3}Z$/, 'Z') });
  }

  /** No notice armed, nothing served raw, InService (between tests). */
  reset(): void {
    this.spot = null;
    this.rebalance = null;
    this.raw.clear();
    this.lifecycleState = 'InService';
  }

  /** Every token issued so far stops working (IMDS restarted, or they all expired). */
  expireTokens(): void {
    this.tokens.clear();
  }

  /** Reads of `path` with the given method and status (e.g. how many 401s a client met). */
  count(method: string, path: string, status?: number): number {
    return this.requests.filter((r) => r.method === method && r.path === path && (status === undefined || r.status === status)).length;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const answer = (status: number, body = '', headers: Record<string, string> = {}) => {
      this.requests.push({ method: req.method ?? '', path, status });
      res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(body);
      this.emit('request', { method: req.method, path, status });
    };
    if (path === '/latest/api/token') {
      if (req.method !== 'PUT') return answer(405);
      if (req.headers['x-forwarded-for'] !== undefined) return answer(403);
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21_600) return answer(400);
      const granted = Math.min(ttl, this.options.maxTtlS ?? 21_600);
      const token = `AQAEA${randomBytes(24).toString('base64url')}`;
      this.tokens.set(token, this.now() + granted * 1000);
      this.tokensIssued++;
      return answer(200, token, { 'x-aws-ec2-metadata-token-ttl-seconds': String(granted) });
    }
    if (req.method !== 'GET') return answer(405);
    const token = req.headers['x-aws-ec2-metadata-token'];
    const expires = typeof token === 'string' ? this.tokens.get(token) : undefined;
    if (expires === undefined || expires <= this.now()) return answer(401);
    const raw = this.raw.get(path);
    if (raw) return answer(raw.status, raw.body);
    const item = this.item(path);
    return item === null ? answer(404) : answer(200, item);
  }

  private item(path: string): string | null {
    switch (path) {
      case '/latest/meta-data/spot/instance-action':
        return this.spot;
      case '/latest/meta-data/events/recommendations/rebalance':
        return this.rebalance;
      case '/latest/meta-data/autoscaling/target-lifecycle-state':
        return this.lifecycleState;
      case '/latest/meta-data/instance-type':
        return this.options.instanceType ?? 'g6.xlarge';
      case '/latest/meta-data/placement/region':
        return this.options.region ?? 'us-east-1';
      case '/latest/meta-data/instance-id':
        return 'i-0123456789abcdef0';
      case '/latest/meta-data/tags/instance/aws:autoscaling:groupName':
        return this.options.autoScalingGroup === undefined ? 'cosyfleet-fleet-Asg' : this.options.autoScalingGroup;
      default:
        return null;
    }
  }
}
