// Recorded AWS answers for the price refresh: a request handler for the real SDK clients that
// replies with HTTP bodies from fixtures/ (AWS itself is unreachable from here).
import { readFileSync } from 'node:fs';

export const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

export interface SeenRequest {
  hostname: string;
  target: string;
  body: string;
}

export function recordedHandler(seen: SeenRequest[]) {
  return {
    async handle(request: { hostname: string; headers: Record<string, string>; body?: unknown }) {
      const raw = request.body;
      const body = typeof raw === 'string' ? raw : raw instanceof Uint8Array ? new TextDecoder().decode(raw) : '';
      const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'] ?? '';
      seen.push({ hostname: request.hostname, target, body });
      let payload: Buffer;
      let type = 'application/x-amz-json-1.1';
      if (request.hostname.startsWith('api.pricing.')) {
        const input = JSON.parse(body) as { Filters: { Field: string; Value: string }[]; NextToken?: string };
        const type_ = input.Filters.find((f) => f.Field === 'instanceType')?.Value;
        payload =
          type_ === 'g5.xlarge'
            ? fixture(input.NextToken === 'page-2-token' ? 'pricing-getproducts-g5.xlarge-page2.json' : 'pricing-getproducts-g5.xlarge-page1.json')
            : type_ === 'g6.xlarge'
              ? fixture('pricing-getproducts-g6.xlarge.json')
              : Buffer.from('{"FormatVersion":"aws_v1","PriceList":[]}');
      } else {
        payload = fixture('ec2-describe-spot-price-history.xml');
        type = 'text/xml;charset=UTF-8';
      }
      return { response: { statusCode: 200, reason: 'OK', headers: { 'content-type': type, 'content-length': String(payload.length) }, body: new Uint8Array(payload) } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
}

