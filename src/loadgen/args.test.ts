import assert from 'node:assert/strict';
import { test } from 'node:test';
import { API_KEY_ENV, parseBenchArgs } from './args.js';

const parse = (argv: string[], env: Record<string, string> = {}) => parseBenchArgs(argv, env);

test('defaults: closed loop on /v1/tts, pcm, 200 characters of English, table report', () => {
  const { args, problems } = parse(['--url', 'http://127.0.0.1:8080']);
  assert.deepEqual(problems, []);
  assert.equal(args?.mode, 'closed');
  assert.deepEqual(args?.target, { url: 'http://127.0.0.1:8080', route: 'tts', audioFormat: 'pcm' });
  assert.deepEqual(args?.texts, { kind: 'fixed', chars: 200, language: 'en' });
  assert.equal(args?.format, 'table');
});

test('the API key comes from --api-key, else the environment', () => {
  assert.equal(parse(['--url', 'http://h', '--api-key', 'flag'], { [API_KEY_ENV]: 'env' }).args?.target.apiKey, 'flag');
  assert.equal(parse(['--url', 'http://h'], { [API_KEY_ENV]: 'env' }).args?.target.apiKey, 'env');
  assert.equal(parse(['--url', 'http://h']).args?.target.apiKey, undefined);
});

test('every problem is reported at once', () => {
  const { args, problems } = parse(['--url', 'nope', '--route', 'grpc', '--audio-format', 'aac', '--concurrency', '1,x', '--max-concurrency', '4', '--warmup', '-1', '--format', 'pdf', '--records', '--bogus', '--model', 'm']);
  assert.equal(args, undefined);
  const text = problems.join('\n');
  for (const re of [/--url must be an http/, /--route must be tts, openai/, /--audio-format must be pcm, wav/, /--concurrency must be a comma-separated list/, /not both/, /--warmup must be a number from 0/, /--format must be table/, /--records goes with --format json/, /unknown option --bogus/, /--model applies to --route openai only/]) {
    assert.match(text, re);
  }
});

test('open-loop and closed-loop flags do not mix; --workload excludes --chars; a profile needs its names and the ramp', () => {
  assert.match(parse(['--url', 'http://h', '--rate', '2', '--concurrency', '1,2']).problems.join('\n'), /--concurrency is for the closed loop/);
  assert.match(parse(['--url', 'http://h', '--max-in-flight', '3']).problems.join('\n'), /--max-in-flight is for the open loop/);
  assert.match(parse(['--url', 'http://h', '--workload', 'w.yaml', '--chars', '9']).problems.join('\n'), /leave out --chars/);
  const p = parse(['--url', 'http://h', '--rate', '2', '--profile-out', 'p.json']).problems.join('\n');
  assert.match(p, /needs the closed-loop ramp/);
  assert.match(p, /needs --engine/);
  assert.match(p, /needs --gpu/);
  assert.match(parse(['--url', 'http://h', '--gpu', 'L4', '--local']).problems.join('\n'), /--gpu, --local: only with --profile-out/);
});

test('--flag and --host-note become typed key/value pairs', () => {
  const { args } = parse(['--url', 'http://h', '--profile-out', 'p.json', '--engine', 'e', '--gpu', 'L4', '--flag', 'workers=2', '--flag', 'vllm=true', '--flag', 'dtype=fp16', '--host-note', 'cpus=8', '--host-note', 'kernel=6.10']);
  assert.deepEqual(args?.profile?.flags, { workers: 2, vllm: true, dtype: 'fp16' });
  assert.deepEqual(args?.profile?.host, { cpus: 8, kernel: '6.10' });
  assert.match(parse(['--url', 'http://h', '--profile-out', 'p', '--engine', 'e', '--gpu', 'g', '--flag', 'novalue']).problems.join('\n'), /--flag takes key=value/);
});
