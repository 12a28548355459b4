// The hostile-input corpus: generated and hand-written requests across every public route —
// JSON shapes and types, encodings, sizes, token and tag abuse, multipart that lies, audio files
// that lie about themselves, path traversal, cross-origin and rebinding headers. Deterministic
// (a seeded generator), so a failing case has a stable name to rerun.
import { Buffer } from 'node:buffer';

export interface HostileCase {
  readonly name: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query; `{voice}` and `{entry}` are replaced by ids that exist when the suite runs. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer | (() => FormData);
  /** Statuses that are a documented success for this input (anything else must be a 4xx). */
  readonly success?: readonly number[];
  /** The route answers errors in OpenAI's shape. */
  readonly openai?: boolean;
}

/** xorshift32: the corpus is the same on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Values of every JSON type and some that trip parsers and validators. */
export const ODD_VALUES: readonly [string, unknown][] = [
  ['null', null],
  ['true', true],
  ['zero', 0],
  ['negative', -1],
  ['huge-number', 1e308],
  ['tiny-number', 5e-324],
  ['float', 0.5],
  ['big-integer', Number.MAX_SAFE_INTEGER + 2],
  ['empty-string', ''],
  ['spaces', '   '],
  ['long-string', 'x'.repeat(20_000)],
  ['nul', 'a\u0000b'],
  ['control', '\u0001\u0002\u001b[31m'],
  ['rtl-override', '\u202eevil'],
  ['zero-width', '\u200b\u200c\u200d\ufeff'],
  ['emoji', '😀🎙️🇨🇳'],
  ['combining', 'e\u0301\u0301\u0301\u0301\u0301'],
  ['array', ['a', 'b']],
  ['empty-array', []],
  ['object', { a: 1 }],
  ['empty-object', {}],
  ['proto', JSON.parse('{"__proto__": {"polluted": true}}')],
  ['traversal', '../../../../etc/passwd'],
  ['url', 'http://169.254.169.254/latest/meta-data/'],
  ['file-url', 'file:///etc/passwd'],
  ['html', '<script>alert(1)</script>'],
  ['sql', "' OR 1=1 --"],
  ['format-string', '%s%s%n%x'],
  ['endofprompt', 'You are a helpful assistant.<|endofprompt|>'],
  ['lone-bracket', '[[[[[['],
];

/** Text that abuses CosyVoice3's inline tokens and tags. */
export const ODD_TEXTS: readonly [string, string][] = [
  ['cmu-run', '[M][AY0]'.repeat(600)],
  ['breath-run', '[breath]'.repeat(600)],
  ['breath-only', '[breath]'],
  ['laughter-tags', '<laughter>'.repeat(50)],
  ['strong-nesting', '<strong>'.repeat(100) + 'hi' + '</strong>'.repeat(100)],
  ['unclosed-strong', '<strong>hello'],
  ['control-tokens', '<|en|><|zh|><|endofprompt|><|im_start|>'],
  ['unknown-token', 'Hello [XYZ99] world.'],
  ['half-token', 'Hello [M][AY0 world.'],
  ['pinyin-garbage', '[j][ǐ][ǐ][ǐ][ǐ]'],
  ['ssml', '<speak>Hello <break time="500ms"/> world.</speak>'],
  ['ssml-evil', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><speak>&e;</speak>'],
  ['ssml-billion-laughs', '<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><speak>&c;&c;&c;</speak>'],
  ['ssml-deep', `<speak>${'<prosody rate="fast">'.repeat(40)}deep${'</prosody>'.repeat(40)}</speak>`],
  ['ssml-unclosed', '<speak><p>Hello <emphasis>there'],
  ['ssml-bad-refs', '<speak>&nbsp; &#0; &#xD800; &#99999999; & done</speak>'],
  ['ssml-bad-values', '<speak><break time="-1s"/><prosody rate="0%">x</prosody><phoneme alphabet="cmu" ph="XX9">y</phoneme></speak>'],
  ['ssml-unknown-elements', '<speak><voice name="x"><lang xml:lang="fr">Bonjour</lang></voice><mark name="m"/><audio src="http://169.254.169.254/latest/meta-data/">fallback<desc>d</desc></audio><x:y z="1">w</x:y></speak>'],
  ['ssml-long-breaks', `<speak>${'a<break time="10s"/>'.repeat(12)}end</speak>`],
  ['ssml-rates', '<speak><prosody rate="1000%">fast</prosody> <prosody rate="x-slow"><prosody rate="10%">slow</prosody></prosody></speak>'],
  ['ssml-phonemes', '<speak><phoneme alphabet="x-cmu" ph="HH AH0 L OW1">hello</phoneme> <phoneme alphabet="pinyin" ph="ni3 hao3">你好</phoneme> <phoneme alphabet="ipa" ph="ˈhɛloʊ">hi</phoneme> <say-as interpret-as="characters">abc</say-as></speak>'],
  ['ssml-empty', '<speak><break time="1s"/><mark name="m"/></speak>'],
  ['ssml-bom-cdata', '\ufeff <speak><![CDATA[<speak>not a tag</speak>]]><!-- c --><?pi x?></speak>'],
  ['ssml-two-roots', '<speak>a</speak><speak>b</speak>'],
  ['only-punctuation', '!!!???...'],
  ['only-spaces', '      '],
  ['newlines', '\n\n\n\r\n\t'],
  ['mixed-scripts', 'Hello 你好 こんにちは 안녕 Привет مرحبا'],
  ['emoji-only', '😀😀😀'],
  ['numbers', '1234567890 3.14159 1e10 -42'],
  ['one-char', 'a'],
  ['max-ish', 'Hello world. '.repeat(380)],
  ['over-max', 'x'.repeat(6000)],
];

/** Bytes that claim to be audio (or not). */
export function lyingAudio(): [string, Buffer][] {
  const riff = (dataBytes: number, fmt = 1, channels = 1, rate = 16000, bits = 16, payload = 0) => {
    const b = Buffer.alloc(44 + payload);
    b.write('RIFF', 0, 'ascii');
    b.writeUInt32LE(36 + dataBytes, 4);
    b.write('WAVEfmt ', 8, 'ascii');
    b.writeUInt32LE(16, 16);
    b.writeUInt16LE(fmt, 20);
    b.writeUInt16LE(channels, 22);
    b.writeUInt32LE(rate, 24);
    b.writeUInt32LE(Math.min(0xffffffff, Math.floor((rate * channels * bits) / 8)), 28);
    b.writeUInt16LE((channels * bits) / 8, 32);
    b.writeUInt16LE(bits, 34);
    b.write('data', 36, 'ascii');
    b.writeUInt32LE(dataBytes, 40);
    return b;
  };
  const random = rng(7);
  const noise = Buffer.from(Array.from({ length: 4096 }, () => Math.floor(random() * 256)));
  return [
    ['empty', Buffer.alloc(0)],
    ['one-byte', Buffer.from([0])],
    ['random-bytes', noise],
    ['riff-header-only', riff(0)],
    ['riff-claims-2gb', riff(0x7fffffff, 1, 1, 16000, 16, 64)],
    ['riff-zero-channels', riff(3200, 1, 0, 16000, 16, 3200)],
    ['riff-zero-rate', riff(3200, 1, 1, 0, 16, 3200)],
    ['riff-huge-rate', riff(3200, 1, 1, 4_000_000_000, 16, 3200)],
    ['riff-64-channels', riff(3200, 1, 64, 16000, 16, 3200)],
    ['riff-odd-bits', riff(3200, 1, 1, 16000, 13, 3200)],
    ['riff-unknown-format', riff(3200, 0x1234, 1, 16000, 16, 3200)],
    ['riff-truncated', riff(32000).subarray(0, 30)],
    ['mp3-sync-garbage', Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), noise])],
    ['id3-then-nothing', Buffer.concat([Buffer.from('ID3'), Buffer.from([4, 0, 0, 0x7f, 0x7f, 0x7f, 0x7f])])],
    ['flac-magic-garbage', Buffer.concat([Buffer.from('fLaC'), noise])],
    ['ogg-magic-garbage', Buffer.concat([Buffer.from('OggS'), noise])],
    ['text-as-wav', Buffer.from('this is not audio at all')],
    ['html-as-wav', Buffer.from('<html><body>hi</body></html>')],
  ];
}

function jsonCase(name: string, method: HostileCase['method'], path: string, body: unknown, extra: Partial<HostileCase> = {}): HostileCase {
  return { name, method, path, headers: JSON_HEADERS, body: JSON.stringify(body), ...extra };
}

function nested(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Every case of the corpus. */
export function hostileCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  const ttsBase = { text: 'Hello.', format: 'pcm' };
  const jsonRoutes: { path: string; base: Record<string, unknown>; method?: HostileCase['method']; openai?: boolean; success: number[] }[] = [
    { path: '/v1/tts', base: ttsBase, success: [200] },
    { path: '/v1/tts/preview-text', base: { text: 'Hello.' }, success: [200] },
    { path: '/v1/audio/speech', base: { model: 'tts-1', input: 'Hello.', voice: 'alloy', response_format: 'pcm' }, openai: true, success: [200] },
    { path: '/v1/lexicon', base: { term: 'cosy', pronunciation: '[K][OW1][Z][IY0]' }, success: [201] },
    { path: '/v1/voices/{voice}', base: { name: 'Renamed' }, method: 'PATCH', success: [200] },
    { path: '/v1/lexicon/{entry}', base: { term: 'cosy', pronunciation: '[K][OW1][Z][IY0]' }, method: 'PUT', success: [200] },
    { path: '/v1/plan', base: { requestsPerDay: 1000, averageCharacters: 200 }, success: [200] },
  ];

  // 1. Whole-body shapes on every JSON route. Documented leniencies (a success is fine): duplicate
  // keys (the last wins, as JSON.parse has it), a UTF-8 BOM, a `charset` parameter (a JSON body is
  // read as UTF-8 whatever it says, RFC 8259 section 8.1).
  const lenient = new Set(['duplicate-keys', 'bom']);
  const invalidUtf8 = Buffer.concat([Buffer.from('{"text":"Hel'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('lo."}')]);
  const shapes: [string, string | Buffer][] = [
    ['empty-body', ''],
    ['not-json', 'hello'],
    ['truncated-json', '{"text": "Hel'],
    ['json-null', 'null'],
    ['json-array', '[]'],
    ['json-number', '42'],
    ['json-string', '"text"'],
    ['trailing-garbage', '{"text":"Hello."} xyz'],
    ['duplicate-keys', '{"text":"a","text":"b","format":"pcm"}'],
    ['nan-literal', '{"text":"Hello.","speed":NaN}'],
    ['bom', '\ufeff{"text":"Hello."}'],
    ['deep-100', nested(100)],
    ['deep-5000', nested(5000)],
    ['wide-object', JSON.stringify(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])))],
    ['lone-surrogate', '{"text":"\\ud800 hello","input":"\\udfff","term":"\\ud800","name":"\\ud800"}'],
    ['invalid-utf8', invalidUtf8],
  ];
  for (const route of jsonRoutes) {
    const method = route.method ?? 'POST';
    for (const [shape, body] of shapes) {
      cases.push({ name: `${route.path} ${method} body:${shape}`, method, path: route.path, headers: JSON_HEADERS, body, ...(lenient.has(shape) ? { success: route.success } : {}), ...(route.openai ? { openai: true } : {}) });
    }
    // Wrong content types for a JSON route.
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=utf-16']) {
      cases.push({ name: `${route.path} ${method} content-type:${type}`, method, path: route.path, headers: { 'content-type': type }, body: JSON.stringify(route.base), ...(type.startsWith('application/json') ? { success: route.success } : {}), ...(route.openai ? { openai: true } : {}) });
    }
    // 2. Every field with every odd value, and unknown fields.
    const fields = [...Object.keys(route.base), 'language', 'voice', 'speed', 'seed', 'stream', 'store', 'instruct', 'mode', 'sample_rate', 'unknownField'];
    for (const field of new Set(fields)) {
      for (const [label, value] of ODD_VALUES) {
        cases.push(jsonCase(`${route.path} ${method} ${field}=${label}`, method, route.path, { ...route.base, [field]: value }, { success: route.success, ...(route.openai ? { openai: true } : {}) }));
      }
    }
  }

  // 3. Token and tag abuse in the text of every route that speaks or previews text.
  for (const [label, text] of ODD_TEXTS) {
    cases.push(jsonCase(`tts text:${label}`, 'POST', '/v1/tts', { ...ttsBase, text }, { success: [200] }));
    cases.push(jsonCase(`preview text:${label}`, 'POST', '/v1/tts/preview-text', { text }, { success: [200] }));
    cases.push(jsonCase(`openai input:${label}`, 'POST', '/v1/audio/speech', { model: 'tts-1', input: text, voice: 'alloy', response_format: 'pcm' }, { success: [200], openai: true }));
    cases.push(jsonCase(`lexicon pronunciation:${label}`, 'POST', '/v1/lexicon', { term: `t${label}`.slice(0, 40), pronunciation: text }, { success: [201] }));
    cases.push(jsonCase(`lexicon term:${label}`, 'POST', '/v1/lexicon', { term: text, pronunciation: '[K][OW1][Z][IY0]' }, { success: [201] }));
    cases.push({ name: `pronounce text:${label}`, method: 'GET', path: `/v1/pronounce?text=${encodeURIComponent(text).slice(0, 3000)}`, success: [200] });
    cases.push(jsonCase(`tts instruct:${label}`, 'POST', '/v1/tts', { ...ttsBase, instruct: text }, { success: [200] }));
  }

  // 3b. Text the engine cannot read (emoji of every shape, fragments of them, scripts espeak has
  // no rules for), under each `unreadable` policy and the server default, and odd policies.
  const unreadableTexts: [string, string, string | undefined][] = [
    ['emoji-zwj-flags', '👨‍👩‍👧‍👦🏳️‍🌈🇺🇳🏴󠁧󠁢󠁳󠁣󠁴󠁿1️⃣👍🏿', undefined],
    ['emoji-in-words', 'I❤️NY, 🇺🇸!', undefined],
    ['emoji-fragments', '\u{1F3FD}\uFE0F\u200D\u20E3\u{1F1E6} \u{E0067}\u{E007F}', undefined],
    ['kanji-on-ja', '漢字。', 'ja'],
    ['unread-scripts', 'สวัสดี עברית مرحبا ᏣᎳᎩ', 'en'],
    ['emoji-flood', '😀'.repeat(4000), undefined],
  ];
  for (const [label, text, language] of unreadableTexts) {
    for (const unreadable of ['skip', 'names', undefined]) {
      const body = { text, ...(language ? { language } : {}), ...(unreadable ? { unreadable } : {}) };
      cases.push(jsonCase(`tts unreadable:${unreadable ?? 'default'} text:${label}`, 'POST', '/v1/tts', { ...ttsBase, ...body }, { success: [200] }));
      cases.push(jsonCase(`preview unreadable:${unreadable ?? 'default'} text:${label}`, 'POST', '/v1/tts/preview-text', body, { success: [200] }));
    }
    cases.push(jsonCase(`openai input:unreadable-${label}`, 'POST', '/v1/audio/speech', { model: 'tts-1', input: text, voice: 'alloy', response_format: 'pcm' }, { success: [200], openai: true }));
  }
  for (const [label, value] of [...ODD_VALUES, ['upper-case', 'NAMES'], ['other-word', 'spell']] as [string, unknown][]) {
    cases.push(jsonCase(`tts unreadable=${label}`, 'POST', '/v1/tts', { ...ttsBase, text: 'Hello 😀.', unreadable: value }, { success: [200] }));
  }

  // 4. Ids and paths: traversal, encodings, lookalikes.
  const ids = ['../../etc/passwd', '..%2f..%2fetc%2fpasswd', '%2e%2e%2f%2e%2e%2f', 'voice_', 'voice_AAAAAAAAAAAAAAAA', 'voice_aaaaaaaaaaaaaaaa', `voice_${'a'.repeat(300)}`, '%00', 'null', '-1', '0', '1e9', '😀', '%ff%fe', 'CON', '.', '..', '~root', '$(id)', '`id`'];
  for (const raw of ids) {
    // What a client puts on the wire: non-ASCII is percent-encoded (already-encoded ids stay as they are).
    const id = /^[\x21-\x7e]*$/.test(raw) ? raw : encodeURIComponent(raw);
    for (const [method, suffix] of [['GET', ''], ['GET', '/audio'], ['GET', '/audio?variant=original'], ['GET', '/audio?variant=../../x'], ['DELETE', '']] as const) {
      cases.push({ name: `voices ${method} id:${id}${suffix}`, method, path: `/v1/voices/${id}${suffix}` });
    }
    for (const [method, suffix] of [['GET', ''], ['GET', '/audio'], ['DELETE', '']] as const) {
      cases.push({ name: `outputs ${method} id:${id}${suffix}`, method, path: `/v1/outputs/${id}${suffix}` });
    }
    cases.push({ name: `lexicon GET id:${id}`, method: 'GET', path: `/v1/lexicon/${id}` });
    cases.push({ name: `lexicon DELETE id:${id}`, method: 'DELETE', path: `/v1/lexicon/${id}` });
    cases.push(jsonCase(`tts voice:${id}`, 'POST', '/v1/tts', { ...ttsBase, voice: id }));
  }
  for (const query of ['variant=', 'variant=original&variant=prompt', 'variant[]=x', 'language=xx', 'language=', 'language=en&language=cmn', 'text=', `text=${'a'.repeat(10_000)}`, '%zz', 'a=%00', '__proto__[x]=1', 'constructor[prototype][x]=1']) {
    cases.push({ name: `pronounce query:${query.slice(0, 30)}`, method: 'GET', path: `/v1/pronounce?${query}`, success: [200] });
    cases.push({ name: `lexicon list query:${query.slice(0, 30)}`, method: 'GET', path: `/v1/lexicon?${query}`, success: [200] });
    cases.push({ name: `voice audio query:${query.slice(0, 30)}`, method: 'GET', path: `/v1/voices/{voice}/audio?${query}`, success: [200] });
    cases.push({ name: `outputs list query:${query.slice(0, 30)}`, method: 'GET', path: `/v1/outputs?${query}`, success: [200] });
  }
  // Stored outputs: paging values that are not a page, ids that are not an output's.
  for (const query of ['limit=0', 'limit=-1', 'limit=101', 'limit=1e2', 'limit=abc', 'limit=1&limit=2', 'limit=%00', 'after=', 'after=../../etc', 'after=out_aaaaaaaaaaaaaaaa', 'after=voice_aaaaaaaaaaaaaaaa', `after=${'a'.repeat(300)}`, 'limit=5&after=%2e%2e%2f', 'store=true']) {
    cases.push({ name: `outputs list ${query.slice(0, 40)}`, method: 'GET', path: `/v1/outputs?${query}`, success: [200] });
  }
  for (const id of ['out_', 'out_AAAAAAAAAAAAAAAA', 'out_aaaaaaaaaaaaaaaa', 'out_aaaaaaaaaaaaaaaa.wav', 'out_aaaaaaaaaaaaaaaa%2f..', `out_${'a'.repeat(300)}`]) {
    for (const [method, suffix] of [['GET', ''], ['GET', '/audio'], ['GET', '/audio?x=1'], ['DELETE', '']] as const) {
      cases.push({ name: `outputs ${method} id:${id.slice(0, 40)}${suffix}`, method, path: `/v1/outputs/${id}${suffix}` });
    }
  }
  // Long-form jobs: ids that are not a job's, paging that is not a page, bodies that lie, webhooks
  // aimed at the server's own network (IP literals: no DNS here). A job accepted (202) runs; the
  // suite waits for every job to end before it checks what is left behind.
  for (const id of ['job_', 'job_AAAAAAAAAAAAAAAA', 'job_aaaaaaaaaaaaaaaa', 'out_aaaaaaaaaaaaaaaa', '..%2f..%2fetc', `job_${'a'.repeat(300)}`, '%00', '😀'.repeat(3)]) {
    const wire = /^[\x21-\x7e]*$/.test(id) ? id : encodeURIComponent(id);
    cases.push({ name: `jobs GET id:${wire.slice(0, 40)}`, method: 'GET', path: `/v1/jobs/${wire}` });
    cases.push({ name: `jobs cancel id:${wire.slice(0, 40)}`, method: 'POST', path: `/v1/jobs/${wire}/cancel` });
    cases.push({ name: `jobs DELETE id:${wire.slice(0, 40)}`, method: 'DELETE', path: `/v1/jobs/${wire}` });
  }
  for (const query of ['limit=0', 'limit=101', 'limit=abc', 'after=', 'after=job_aaaaaaaaaaaaaaaa', 'after=../../x', '__proto__[x]=1']) {
    cases.push({ name: `jobs list ${query}`, method: 'GET', path: `/v1/jobs?${query}`, success: [200] });
  }
  const jobBodies: [string, unknown][] = [
    ['text-number', { text: 42 }],
    ['text-array', { text: ['a', 'b'] }],
    ['no-text', { voice: 'mei' }],
    ['text-lone-surrogate', { text: 'Hello \ud800 there.' }],
    ['stream', { text: 'Hello there.', stream: true }],
    ['store', { text: 'Hello there.', store: true }],
    ['format-exe', { text: 'Hello there.', format: 'exe' }],
    ['proto', JSON.parse('{"text":"Hello there.","__proto__":{"admin":true}}')],
    ['webhook-string', { text: 'Hello there.', webhook: 'http://8.8.8.8/' }],
    ['webhook-extra', { text: 'Hello there.', webhook: { url: 'https://8.8.8.8/', secret: 'mine' } }],
    ['webhook-huge', { text: 'Hello there.', webhook: { url: `https://8.8.8.8/${'a'.repeat(5000)}` } }],
    ['webhook-empty', { text: 'Hello there.', webhook: { url: '' } }],
  ];
  for (const url of ['http://127.0.0.1/', 'http://[::1]/', 'http://[::ffff:7f00:1]/', 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/', 'http://0.0.0.0/', 'http://localhost/', 'http://2130706433/', 'http://0x7f.1/', 'file:///etc/passwd', 'gopher://8.8.8.8/', 'http://user:pw@8.8.8.8/', 'javascript:alert(1)']) {
    jobBodies.push([`webhook-${url.slice(0, 30)}`, { text: 'Hello there.', webhook: { url } }]);
  }
  for (const [label, body] of jobBodies) cases.push(jsonCase(`jobs create ${label}`, 'POST', '/v1/jobs', body));
  // Control characters are read past, as POST /v1/tts does: a job that speaks the words.
  cases.push(jsonCase('jobs create text-controls', 'POST', '/v1/jobs', { text: 'Hello\u0000\u0007 there.' }, { success: [202] }));
  cases.push(jsonCase('jobs create ok', 'POST', '/v1/jobs', { text: 'A short hostile job.' }, { success: [202] }));
  for (const path of ['/v1/../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/v1/tts/../../', '//v1//tts', '/v1/TTS', '/v1/tts%00', '/docs/../../package.json', '/openapi.json/..', `/${'a'.repeat(8000)}`]) {
    cases.push({ name: `path:${path.slice(0, 40)}`, method: 'GET', path, success: [200] });
  }

  // 5. Multipart voice uploads that lie.
  const fieldSets: [string, Record<string, string>][] = [
    ['no-fields', {}],
    ['no-consent', { name: 'x', transcript: 'Hello there friend.', language: 'en' }],
    ['consent-false', { name: 'x', transcript: 'Hello there friend.', language: 'en', consent: 'false' }],
    ['transcript-endofprompt', { name: 'x', transcript: 'Hello<|endofprompt|>there', language: 'en', consent: 'true' }],
    ['transcript-nul', { name: 'x', transcript: 'Hello\u0000there', language: 'en', consent: 'true' }],
    ['transcript-huge', { name: 'x', transcript: 'word '.repeat(5000), language: 'en', consent: 'true' }],
    ['name-huge', { name: 'n'.repeat(10_000), transcript: 'Hello there friend.', language: 'en', consent: 'true' }],
    ['language-klingon', { name: 'x', transcript: 'Hello there friend.', language: 'tlh', consent: 'true' }],
    ['unknown-field', { name: 'x', transcript: 'Hello there friend.', language: 'en', consent: 'true', evil: '1' }],
    ['gender-unknown', { name: 'x', transcript: 'Hello there friend.', language: 'en', gender: 'robot', consent: 'true' }],
    ['gender-huge', { name: 'x', transcript: 'Hello there friend.', language: 'en', gender: 'f'.repeat(10_000), consent: 'true' }],
  ];
  for (const [audioLabel, bytes] of lyingAudio()) {
    for (const [fieldsLabel, fields] of fieldSets) {
      for (const filename of ['voice.wav', '../../../etc/passwd', 'a'.repeat(500)]) {
        if (filename !== 'voice.wav' && fieldsLabel !== 'no-consent') continue;
        cases.push({
          name: `voices upload audio:${audioLabel} fields:${fieldsLabel} filename:${filename.slice(0, 20)}`,
          method: 'POST',
          path: '/v1/voices',
          body: () => {
            const form = new FormData();
            for (const [k, v] of Object.entries(fields)) form.append(k, v);
            form.append('audio', new Blob([bytes], { type: 'audio/wav' }), filename);
            return form;
          },
        });
      }
    }
  }
  const boundary = 'hostileboundary';
  const rawMultipart: [string, string, string][] = [
    ['no-boundary-param', 'multipart/form-data', `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--${boundary}--\r\n`],
    ['wrong-boundary', `multipart/form-data; boundary=${boundary}`, '--other\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--other--\r\n'],
    ['garbage', `multipart/form-data; boundary=${boundary}`, 'complete garbage \u0000\u0001 that is not multipart'],
    ['truncated-part', `multipart/form-data; boundary=${boundary}`, `--${boundary}\r\nContent-Disposition: form-data; name="audio"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\nRIFF`],
    ['no-disposition', `multipart/form-data; boundary=${boundary}`, `--${boundary}\r\n\r\nx\r\n--${boundary}--\r\n`],
    ['empty', `multipart/form-data; boundary=${boundary}`, ''],
    ['only-closing', `multipart/form-data; boundary=${boundary}`, `--${boundary}--\r\n`],
    ['boundary-too-long', `multipart/form-data; boundary=${'b'.repeat(200)}`, `--${'b'.repeat(200)}--\r\n`],
    ['header-flood', `multipart/form-data; boundary=${boundary}`, `--${boundary}\r\n${'X-A: b\r\n'.repeat(2000)}Content-Disposition: form-data; name="name"\r\n\r\nx\r\n--${boundary}--\r\n`],
    ['many-files', `multipart/form-data; boundary=${boundary}`, Array.from({ length: 50 }, (_, i) => `--${boundary}\r\nContent-Disposition: form-data; name="audio"; filename="${i}.wav"\r\n\r\nRIFF\r\n`).join('') + `--${boundary}--\r\n`],
    ['json-as-multipart', `multipart/form-data; boundary=${boundary}`, '{"name":"x"}'],
  ];
  for (const [label, type, body] of rawMultipart) {
    cases.push({ name: `voices upload raw:${label}`, method: 'POST', path: '/v1/voices', headers: { 'content-type': type }, body });
    cases.push({ name: `voices upload raw:${label} as-json-type`, method: 'POST', path: '/v1/voices', headers: { 'content-type': 'application/json' }, body });
  }

  // 6. Browser-borne requests: cross-origin writes and rebinding hosts.
  for (const origin of ['https://evil.example', 'null', 'http://localhost.evil.example', 'file://']) {
    cases.push(jsonCase(`cross-origin tts origin:${origin}`, 'POST', '/v1/tts', ttsBase, { headers: { ...JSON_HEADERS, origin } }));
    cases.push(jsonCase(`cross-origin lexicon origin:${origin}`, 'POST', '/v1/lexicon', { term: 'evil', pronunciation: '[IY1][V][AH0][L]' }, { headers: { ...JSON_HEADERS, origin } }));
    cases.push({ name: `cross-origin voice delete origin:${origin}`, method: 'DELETE', path: '/v1/voices/{voice}', headers: { origin } });
  }

  // 7. Generated: random field values from a seeded generator on the synthesis route.
  const random = rng(20261203);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const fieldsPool: [string, unknown[]][] = [
    ['text', ['Hello.', '你好。', '', ' ', '[breath]', 'a'.repeat(200), 12, null]],
    ['format', ['wav', 'pcm', 'mp3', 'opus', 'flac', 'aac', 'WAV', '', 1]],
    ['speed', [1, 0.5, 2, 0, -1, 100, '1', null]],
    ['language', ['en', 'cmn', 'zh-CN', 'xx', '', 5]],
    ['voice', ['mei', 'alloy', 'nobody', '', null]],
    ['sample_rate', [8000, 16000, 22050, 24000, 48000, 0, 1, 192000, -5, 'x']],
    ['stream', [true, false, 'true', 1]],
    ['seed', [0, 1, -1, 2 ** 40, 'x', 1.5]],
    ['mode', ['preset', 'clone', 'instruct', 'cross_lingual', 'x']],
  ];
  for (let i = 0; i < 300; i++) {
    const body: Record<string, unknown> = {};
    for (const [field, values] of fieldsPool) if (random() < 0.6) body[field] = pick(values);
    if (typeof body.text === 'string' && body.text.length > 0 && random() < 0.5) body.text = `${body.text} ${pick(ODD_TEXTS)[1].slice(0, 200)}`;
    cases.push(jsonCase(`generated tts #${i}`, 'POST', '/v1/tts', body, { success: [200] }));
  }

  // 8. Keys and usage (the suite's server has HOSTILE_ADMIN_KEY as its admin key).
  const admin = { authorization: `Bearer ${HOSTILE_ADMIN_KEY}` };
  const keyBase = { name: 'hostile', scopes: ['synthesize'] };
  for (const field of ['name', 'scopes', 'tenant', 'limits', 'storeByDefault'] as const) {
    for (const [label, value] of ODD_VALUES) {
      cases.push(jsonCase(`keys create ${field}:${label}`, 'POST', '/v1/admin/keys', { ...keyBase, [field]: value }, { headers: { ...JSON_HEADERS, ...admin }, success: [201] }));
    }
  }
  for (const [label, value] of ODD_VALUES) {
    cases.push(jsonCase(`keys limits requestsPerMinute:${label}`, 'PATCH', '/v1/admin/keys/key_nonexistent', { limits: { requestsPerMinute: value } }, { headers: { ...JSON_HEADERS, ...admin } }));
    cases.push(jsonCase(`keys storeByDefault:${label}`, 'PATCH', '/v1/admin/keys/key_nonexistent', { storeByDefault: value }, { headers: { ...JSON_HEADERS, ...admin } }));
    for (const field of ['resultCache', 'outputRetentionDays'] as const) {
      cases.push(jsonCase(`tenants set ${field}:${label}`, 'PUT', '/v1/admin/tenants/hostile', { [field]: value }, { headers: { ...JSON_HEADERS, ...admin }, success: [200] }));
    }
  }
  for (const [label, value] of [...ODD_QUERY_VALUES, ['future-day', '2999-01-01'], ['reversed', '2026-12-31&to=2026-01-01']] as const) {
    cases.push({ name: `usage from:${label}`, method: 'GET', path: `/v1/usage?from=${value}`, headers: admin, success: [200] });
    cases.push({ name: `usage tenant:${label}`, method: 'GET', path: `/v1/usage?tenant=${value}`, headers: admin, success: [200] });
    cases.push({ name: `keys show id:${label}`, method: 'GET', path: `/v1/admin/keys/${value}`, headers: admin });
    cases.push({ name: `keys revoke id:${label}`, method: 'DELETE', path: `/v1/admin/keys/${value}`, headers: admin });
    cases.push({ name: `tenants show tenant:${label}`, method: 'GET', path: `/v1/admin/tenants/${value}`, headers: admin, success: [200] });
    cases.push({ name: `tenants reset tenant:${label}`, method: 'DELETE', path: `/v1/admin/tenants/${value}`, headers: admin, success: [200] });
    cases.push({ name: `fleet minutes:${label}`, method: 'GET', path: `/v1/admin/fleet?minutes=${value}`, headers: admin });
    cases.push({ name: `workers restart id:${label}`, method: 'POST', path: `/v1/admin/workers/${value}/restart`, headers: admin });
  }
  for (const value of ['1', '15', '60', '0', '61', '-1', '1.5', '1e1', '015', ' 5', 'NaN']) {
    cases.push({ name: `fleet minutes:${value}`, method: 'GET', path: `/v1/admin/fleet?minutes=${encodeURIComponent(value)}`, headers: admin, success: /^([1-9]|[1-5][0-9]|60)$/.test(value) ? [200] : [] });
  }
  for (const [label, value] of [['none', ''], ['wrong', 'Bearer not-a-key'], ['huge', `Bearer ${'k'.repeat(8000)}`]] as const) {
    cases.push({ name: `fleet authorization:${label}`, method: 'GET', path: '/v1/admin/fleet', ...(value === '' ? {} : { headers: { authorization: value } }) });
  }
  for (const [label, value] of [['none', ''], ['wrong', 'Bearer not-a-key'], ['basic', 'Basic YWRtaW46YWRtaW4='], ['huge', `Bearer ${'k'.repeat(8000)}`]] as const) {
    cases.push({ name: `keys list authorization:${label}`, method: 'GET', path: '/v1/admin/keys', ...(value === '' ? {} : { headers: { authorization: value } }) });
  }
  // The studio (src/http/studio.ts): its page, and asset names that are not in the list it read
  // at start (traversal, encodings, files beside the assets). Unbuilt, both answer 404 studio_not_built.
  cases.push({ name: 'studio page', method: 'GET', path: '/', success: [200] });
  cases.push({ name: 'studio page query', method: 'GET', path: '/?file=../../etc/passwd', success: [200] });
  cases.push(jsonCase('studio POST /', 'POST', '/', {}));
  for (const raw of ['..%2f..%2fpackage.json', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '..', '.', '...', 'index.html', '..%2findex.html', 'index.js.map', '%00', '%00.js', 'a'.repeat(300) + '.js', '__proto__', 'constructor', '😀.js', '%ff%fe', 'x.js%3f.css', 'x.js%23', '%5c..%5c..%5cwindows']) {
    const name = /^[\x21-\x7e]*$/.test(raw) ? raw : encodeURIComponent(raw);
    cases.push({ name: `studio asset:${name.slice(0, 40)}`, method: 'GET', path: `/assets/${name}` });
  }
  return cases;
}

/** The admin key of the hostile suite's server (test/hostile/hostile.test.ts). */
export const HOSTILE_ADMIN_KEY = 'hostile-suite-admin-key-0123456789';

/** Query values that are not plain dates or names, URL-encoded as a client would send them. */
const ODD_QUERY_VALUES: readonly (readonly [string, string])[] = [
  ['empty', ''],
  ['traversal', encodeURIComponent('../../etc/passwd')],
  ['sql', encodeURIComponent("2026-01-01' OR '1'='1")],
  ['unicode', encodeURIComponent('２０２６-０１-０１')],
  ['long', 'a'.repeat(5000)],
  ['array', '1&from=2'],
  ['percent-garbage', '%zz%'],
];
