// A renderer for the subset of Go's text/template and Helm's functions (Sprig and Helm's own) that
// deploy/kubernetes/cosyfleet uses, so the chart can be rendered and checked where no `helm`
// binary can be installed (CI here reaches only npm and apt). It follows Go's semantics where
// they decide the output: trim markers, truthiness, `and`/`or` returning an operand, a field of a
// missing map giving nothing but a field of nil failing, numbers from values being float64
// (printed with %v, so 1000000 becomes 1e+06), `toYaml` with sorted keys and no trailing newline.
// What the chart does not use is refused with an error, never approximated.
import { createHash } from 'node:crypto';
import YAML from 'yaml';

export class TemplateError extends Error {
  constructor(template: string, message: string) {
    super(`${template}: ${message}`);
    this.name = 'TemplateError';
  }
}

/** A template integer (a literal, `int`, `len`): Go prints and compares it apart from float64. */
export class GoInt {
  constructor(readonly value: number) {}
}

type Value = unknown;

// ---------- lexing: text and {{ actions }} with their trim markers ----------

interface Token {
  kind: 'text' | 'action';
  text: string;
  line: number;
}

function lex(name: string, src: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let trimNext = false;
  const lineAt = (i: number) => src.slice(0, i).split('\n').length;
  while (pos < src.length) {
    const open = src.indexOf('{{', pos);
    let text = open === -1 ? src.slice(pos) : src.slice(pos, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    trimNext = false;
    if (open === -1) {
      if (text) tokens.push({ kind: 'text', text, line: lineAt(pos) });
      break;
    }
    // `{{- ` trims the text before it; the dash needs a space after it (`{{-3}}` is minus three).
    const leftTrim = /^\{\{-[ \t\r\n]/.test(src.slice(open, open + 4));
    if (leftTrim) text = text.replace(/\s+$/, '');
    if (text) tokens.push({ kind: 'text', text, line: lineAt(pos) });
    let start = open + (leftTrim ? 3 : 2);
    const close = findClose(src, start);
    if (close === -1) throw new TemplateError(name, `line ${lineAt(open)}: unclosed action`);
    let end = close;
    if (/[ \t\r\n]-$/.test(src.slice(close - 2, close))) {
      trimNext = true;
      end = close - 1;
    }
    const body = src.slice(start, end).trim();
    start = close + 2;
    if (!body.startsWith('/*')) tokens.push({ kind: 'action', text: body, line: lineAt(open) });
    else if (!body.endsWith('*/')) throw new TemplateError(name, `line ${lineAt(open)}: unclosed comment`);
    pos = start;
  }
  return tokens;
}

/** The `}}` closing an action, skipping any inside string literals. */
function findClose(src: string, from: number): number {
  let i = from;
  while (i < src.length) {
    const c = src[i];
    if (c === '"') {
      i++;
      while (i < src.length && src[i] !== '"') i += src[i] === '\\' ? 2 : 1;
    } else if (c === '`') {
      i = src.indexOf('`', i + 1);
      if (i === -1) return -1;
    } else if (c === '}' && src[i + 1] === '}') return i;
    i++;
  }
  return -1;
}

// ---------- expressions ----------

type Operand =
  | { t: 'field'; base: 'dot' | { var: string }; path: string[] }
  | { t: 'lit'; value: Value }
  | { t: 'ident'; name: string }
  | { t: 'pipe'; pipe: Pipeline };

interface Command {
  args: Operand[];
}

interface Pipeline {
  decl?: { vars: string[]; assign: boolean };
  cmds: Command[];
}

function parsePipeline(name: string, src: string): Pipeline {
  const words = tokenizeExpr(name, src);
  let i = 0;
  const pipe = (): Pipeline => {
    const p: Pipeline = { cmds: [] };
    // `$x := …`, `$i, $v := …` (range only), `$x = …`.
    const declMatch = (): boolean => {
      let j = i;
      const vars: string[] = [];
      while (words[j]?.startsWith('$')) {
        vars.push(words[j] as string);
        if (words[j + 1] === ',') j += 2;
        else {
          j++;
          break;
        }
      }
      if (vars.length > 0 && (words[j] === ':=' || words[j] === '=')) {
        p.decl = { vars, assign: words[j] === '=' };
        i = j + 1;
        return true;
      }
      return false;
    };
    declMatch();
    let cmd: Command = { args: [] };
    while (i < words.length && words[i] !== ')') {
      const w = words[i++] as string;
      if (w === '|') {
        if (cmd.args.length === 0) throw new TemplateError(name, `missing command before | in ${src}`);
        p.cmds.push(cmd);
        cmd = { args: [] };
      } else if (w === '(') {
        const inner = pipe();
        if (words[i++] !== ')') throw new TemplateError(name, `unclosed ( in ${src}`);
        cmd.args.push({ t: 'pipe', pipe: inner });
      } else cmd.args.push(operand(name, w));
    }
    if (cmd.args.length === 0) throw new TemplateError(name, `empty command in ${src}`);
    p.cmds.push(cmd);
    return p;
  };
  const p = pipe();
  if (i < words.length) throw new TemplateError(name, `unexpected ${words[i]} in ${src}`);
  return p;
}

function tokenizeExpr(name: string, src: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new TemplateError(name, `unterminated string in ${src}`);
      out.push(src.slice(i, j + 1));
      i = j + 1;
    } else if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j === -1) throw new TemplateError(name, `unterminated raw string in ${src}`);
      out.push(src.slice(i, j + 1));
      i = j + 1;
    } else if (c === '(' || c === ')' || c === '|' || c === ',') {
      out.push(c);
      i++;
    } else if (src.startsWith(':=', i)) {
      out.push(':=');
      i += 2;
    } else if (c === '=') {
      out.push('=');
      i++;
    } else {
      const m = /^[^\s()|,=]+/.exec(src.slice(i)) as RegExpExecArray;
      out.push(m[0]);
      i += m[0].length;
    }
  }
  return out;
}

function operand(name: string, w: string): Operand {
  if (w.startsWith('"')) return { t: 'lit', value: JSON.parse(w) as string };
  if (w.startsWith('`')) return { t: 'lit', value: w.slice(1, -1) };
  if (w === 'true' || w === 'false') return { t: 'lit', value: w === 'true' };
  if (w === 'nil') return { t: 'lit', value: null };
  if (/^[-+]?\d+$/.test(w)) return { t: 'lit', value: new GoInt(Number(w)) };
  if (/^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(w)) return { t: 'lit', value: Number(w) };
  if (w === '.') return { t: 'field', base: 'dot', path: [] };
  if (w.startsWith('.')) return { t: 'field', base: 'dot', path: w.slice(1).split('.') };
  if (w.startsWith('$')) {
    const [v, ...path] = w.split('.');
    return { t: 'field', base: { var: v as string }, path };
  }
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(w)) return { t: 'ident', name: w };
  throw new TemplateError(name, `cannot parse ${w}`);
}

// ---------- the tree ----------

type Node =
  | { k: 'text'; text: string }
  | { k: 'out'; pipe: Pipeline; line: number }
  | { k: 'if' | 'with'; branches: { pipe: Pipeline; body: Node[] }[]; else: Node[] | null; line: number }
  | { k: 'range'; pipe: Pipeline; body: Node[]; else: Node[] | null; line: number }
  | { k: 'template'; tname: string; pipe: Pipeline | null; line: number };

function parse(name: string, src: string, defines: Map<string, Node[]>): Node[] {
  const tokens = lex(name, src);
  let i = 0;
  const keyword = (t: Token) => /^(\w+)\b\s*(.*)$/s.exec(t.text) ?? ['', '', ''];
  // Parses until one of the stop keywords; returns the nodes and the stopping token.
  const list = (stops: string[]): { nodes: Node[]; stop: Token | null } => {
    const nodes: Node[] = [];
    while (i < tokens.length) {
      const t = tokens[i++] as Token;
      if (t.kind === 'text') {
        nodes.push({ k: 'text', text: t.text });
        continue;
      }
      const [, kw, rest] = keyword(t) as [string, string, string];
      const at = (msg: string) => new TemplateError(name, `line ${t.line}: ${msg}`);
      if (stops.includes(kw)) return { nodes, stop: t };
      if (kw === 'end' || kw === 'else') throw at(`unexpected {{${kw}}}`);
      if (kw === 'if' || kw === 'with') {
        const branches = [{ pipe: parsePipeline(name, rest), body: [] as Node[] }];
        let elseBody: Node[] | null = null;
        for (;;) {
          const r = list(['else', 'end']);
          (branches[branches.length - 1] as { body: Node[] }).body = r.nodes;
          if (!r.stop) throw at(`unclosed {{${kw}}}`);
          const [, skw, srest] = keyword(r.stop) as [string, string, string];
          if (skw === 'end') break;
          const chained = new RegExp(`^${kw}\\b\\s*(.*)$`, 's').exec(srest);
          if (chained) {
            branches.push({ pipe: parsePipeline(name, chained[1] as string), body: [] });
            continue;
          }
          if (srest.trim()) throw at(`unexpected {{else ${srest}}}`);
          const e = list(['end']);
          if (!e.stop) throw at(`unclosed {{${kw}}}`);
          elseBody = e.nodes;
          break;
        }
        nodes.push({ k: kw, branches, else: elseBody, line: t.line });
      } else if (kw === 'range') {
        const pipe = parsePipeline(name, rest);
        const r = list(['else', 'end']);
        if (!r.stop) throw at('unclosed {{range}}');
        let elseBody: Node[] | null = null;
        if (keyword(r.stop)[1] === 'else') {
          const e = list(['end']);
          if (!e.stop) throw at('unclosed {{range}}');
          elseBody = e.nodes;
        }
        nodes.push({ k: 'range', pipe, body: r.nodes, else: elseBody, line: t.line });
      } else if (kw === 'define') {
        const m = /^("(?:[^"\\]|\\.)*"|`[^`]*`)\s*$/.exec(rest);
        if (!m) throw at('define needs a quoted name');
        const body = list(['end']);
        if (!body.stop) throw at('unclosed {{define}}');
        defines.set((operand(name, m[1] as string) as { value: string }).value, body.nodes);
      } else if (kw === 'template') {
        const m = /^("(?:[^"\\]|\\.)*"|`[^`]*`)\s*(.*)$/s.exec(rest);
        if (!m) throw at('template needs a quoted name');
        const tname = (operand(name, m[1] as string) as { value: string }).value;
        nodes.push({ k: 'template', tname, pipe: (m[2] as string).trim() ? parsePipeline(name, m[2] as string) : null, line: t.line });
      } else if (['block', 'break', 'continue'].includes(kw)) {
        throw at(`{{${kw}}} is not supported by this renderer`);
      } else nodes.push({ k: 'out', pipe: parsePipeline(name, t.text), line: t.line });
    }
    return { nodes, stop: null };
  };
  const r = list([]);
  return r.nodes;
}

// ---------- evaluation ----------

interface Scope {
  dot: Value;
  vars: Map<string, Value>[];
}

function lookupVar(scope: Scope, v: string, fail: (m: string) => never): Value {
  for (let i = scope.vars.length - 1; i >= 0; i--) {
    const frame = scope.vars[i] as Map<string, Value>;
    if (frame.has(v)) return frame.get(v);
  }
  return fail(`undefined variable ${v}`);
}

function setVar(scope: Scope, v: string, value: Value, assign: boolean, fail: (m: string) => never): void {
  if (assign) {
    for (let i = scope.vars.length - 1; i >= 0; i--) {
      const frame = scope.vars[i] as Map<string, Value>;
      if (frame.has(v)) {
        frame.set(v, value);
        return;
      }
    }
    fail(`undefined variable ${v}`);
  }
  (scope.vars[scope.vars.length - 1] as Map<string, Value>).set(v, value);
}

const isMap = (v: Value): v is Record<string, Value> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoInt);

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false. */
export function truth(v: Value): boolean {
  if (v === null || v === undefined || v === false || v === '' || v === 0) return false;
  if (v instanceof GoInt) return v.value !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** What `{{ x }}` prints: Go's %v, with Helm's "<no value>" → "" for missing keys. */
export function printValue(v: Value): string {
  if (v === null || v === undefined) return '';
  if (v instanceof GoInt) return String(v.value);
  if (typeof v === 'number') return formatFloat(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(printValue).join(' ')}]`;
  if (isMap(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${printValue(v[k])}`).join(' ')}]`;
  return String(v);
}

/** Go's %v of a float64 (strconv.FormatFloat(f, 'g', -1, 64)): the exponent form below 1e-4 and from 1e+06. */
export function formatFloat(f: number): string {
  if (!Number.isFinite(f)) return Number.isNaN(f) ? 'NaN' : f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mant, expText] = f.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(f);
}

function num(v: Value, fn: string, fail: (m: string) => never): number {
  if (v instanceof GoInt) return v.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  if (v === null || v === undefined) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return fail(`${fn}: cannot convert ${printValue(v)} to a number`);
}

/** Go template's eq/ne: basic kinds compare by value; an int against a float64 is an error. */
function basicEqual(a: Value, b: Value, fail: (m: string) => never): boolean {
  const kind = (v: Value) => (v instanceof GoInt ? 'int' : v === null || v === undefined ? 'nil' : typeof v);
  const ka = kind(a);
  const kb = kind(b);
  if (ka === 'nil' || kb === 'nil') return ka === kb;
  if (ka !== kb) return fail(`incompatible types for comparison: ${ka} and ${kb}`);
  if (ka === 'object') return fail('eq/ne: only basic types can be compared');
  return a instanceof GoInt ? a.value === (b as GoInt).value : a === b;
}

function plain(v: Value): Value {
  if (v instanceof GoInt) return v.value;
  if (Array.isArray(v)) return v.map(plain);
  if (isMap(v)) return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** Helm's toYaml: sigs.k8s.io/yaml (sorted keys, sequences not indented, YAML 1.1's `on`/`y` quoted), no trailing newline. */
export function toYaml(v: Value): string {
  const p = plain(v);
  if (p === null || p === undefined) return 'null';
  return YAML.stringify(p, { version: '1.1', sortMapEntries: true, indentSeq: false, lineWidth: 0, aliasDuplicateObjects: false }).replace(/\n$/, '');
}

function indentLines(n: number, s: string): string {
  const pad = ' '.repeat(n);
  return pad + s.replace(/\n/g, `\n${pad}`);
}

const empty = (v: Value) => !truth(v);

type Fn = (ctx: Renderer, args: Value[], fail: (m: string) => never) => Value;

const FUNCS: Record<string, Fn> = {
  // Go's builtins
  and: () => null, // short-circuit: handled in call()
  or: () => null,
  not: (_c, [a]) => !truth(a),
  eq: (_c, [a, ...bs], fail) => bs.some((b) => basicEqual(a, b, fail)),
  ne: (_c, [a, b], fail) => !basicEqual(a, b, fail),
  lt: (_c, [a, b], fail) => num(a, 'lt', fail) < num(b, 'lt', fail),
  le: (_c, [a, b], fail) => num(a, 'le', fail) <= num(b, 'le', fail),
  gt: (_c, [a, b], fail) => num(a, 'gt', fail) > num(b, 'gt', fail),
  ge: (_c, [a, b], fail) => num(a, 'ge', fail) >= num(b, 'ge', fail),
  len: (_c, [a], fail) => new GoInt(typeof a === 'string' || Array.isArray(a) ? a.length : isMap(a) ? Object.keys(a).length : fail('len of a value without length')),
  index: (_c, [a, ...keys], fail) => {
    let v = a;
    for (const k of keys) {
      if (Array.isArray(v)) v = v[num(k, 'index', fail)];
      else if (isMap(v)) v = v[String(k)];
      else if (v === null || v === undefined) return fail('index of nil');
      else return fail('index of a value that is not a map or list');
    }
    return v;
  },
  print: (_c, args) => args.map(printValue).join(''),
  printf: (_c, [format, ...args], fail) => sprintf(String(format), args, fail),
  // Sprig and Helm
  include: (ctx, [tname, dot], fail) => ctx.include(String(tname), dot, fail),
  required: (_c, [msg, v], fail) => (v === null || v === undefined || v === '' ? fail(String(msg)) : v),
  fail: (_c, [msg], fail) => fail(String(msg)),
  default: (_c, [d, v]) => (empty(v) ? d : v),
  empty: (_c, [v]) => empty(v),
  coalesce: (_c, args) => args.find(truth) ?? null,
  ternary: (_c, [a, b, cond]) => (truth(cond) ? a : b),
  quote: (_c, args) => args.filter((a) => a !== null && a !== undefined).map((a) => JSON.stringify(printValue(a))).join(' '),
  squote: (_c, args) => args.filter((a) => a !== null && a !== undefined).map((a) => `'${printValue(a)}'`).join(' '),
  toString: ((_c: Renderer, [a]: Value[]) => printValue(a)) as Fn,
  int: (_c, [a], fail) => new GoInt(Math.trunc(num(a, 'int', fail))),
  int64: (_c, [a], fail) => new GoInt(Math.trunc(num(a, 'int64', fail))),
  float64: (_c, [a], fail) => num(a, 'float64', fail),
  add: (_c, args, fail) => new GoInt(args.reduce<number>((s, a) => s + Math.trunc(num(a, 'add', fail)), 0)),
  mul: (_c, args, fail) => new GoInt(args.reduce<number>((s, a) => s * Math.trunc(num(a, 'mul', fail)), 1)),
  max: (_c, args, fail) => new GoInt(Math.max(...args.map((a) => Math.trunc(num(a, 'max', fail))))),
  min: (_c, args, fail) => new GoInt(Math.min(...args.map((a) => Math.trunc(num(a, 'min', fail))))),
  toYaml: (_c, [a]) => toYaml(a),
  toJson: (_c, [a]) => JSON.stringify(plain(a) ?? null),
  indent: (_c, [n, s], fail) => indentLines(num(n, 'indent', fail), printValue(s)),
  nindent: (_c, [n, s], fail) => `\n${indentLines(num(n, 'nindent', fail), printValue(s))}`,
  trunc: (_c, [n, s], fail) => {
    const str = printValue(s);
    const k = num(n, 'trunc', fail);
    return k >= 0 ? str.slice(0, k) : str.slice(Math.max(0, str.length + k));
  },
  trimSuffix: (_c, [suf, s]) => (printValue(s).endsWith(printValue(suf)) ? printValue(s).slice(0, printValue(s).length - printValue(suf).length) : printValue(s)),
  trimPrefix: (_c, [pre, s]) => (printValue(s).startsWith(printValue(pre)) ? printValue(s).slice(printValue(pre).length) : printValue(s)),
  trim: (_c, [s]) => printValue(s).trim(),
  replace: (_c, [from, to, s]) => printValue(s).split(printValue(from)).join(printValue(to)),
  lower: (_c, [s]) => printValue(s).toLowerCase(),
  upper: (_c, [s]) => printValue(s).toUpperCase(),
  contains: (_c, [sub, s]) => printValue(s).includes(printValue(sub)),
  hasPrefix: (_c, [pre, s]) => printValue(s).startsWith(printValue(pre)),
  hasSuffix: (_c, [suf, s]) => printValue(s).endsWith(printValue(suf)),
  list: (_c, args) => [...args],
  dict: (_c, args, fail) => {
    if (args.length % 2 !== 0) return fail('dict needs key/value pairs');
    const out: Record<string, Value> = {};
    for (let i = 0; i < args.length; i += 2) out[printValue(args[i])] = args[i + 1];
    return out;
  },
  hasKey: (_c, [m, k]) => isMap(m) && Object.prototype.hasOwnProperty.call(m, printValue(k)),
  keys: (_c, args) => args.flatMap((m) => (isMap(m) ? Object.keys(m) : [])),
  until: (_c, [n], fail) => Array.from({ length: Math.max(0, num(n, 'until', fail)) }, (_, i) => new GoInt(i)),
  join: (_c, [sep, l]) => (Array.isArray(l) ? l.map(printValue).join(printValue(sep)) : printValue(l)),
  b64enc: (_c, [s]) => Buffer.from(printValue(s)).toString('base64'),
  sha256sum: (_c, [s]) => createHash('sha256').update(printValue(s)).digest('hex'),
  kindIs: (_c, [kind, v]) => kindOf(v) === printValue(kind),
};

function kindOf(v: Value): string {
  if (v === null || v === undefined) return 'invalid';
  if (v instanceof GoInt) return 'int';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  return Array.isArray(v) ? 'slice' : 'map';
}

/** fmt.Sprintf for the verbs a chart uses: %s %d %v %q %%. */
function sprintf(format: string, args: Value[], fail: (m: string) => never): string {
  let n = 0;
  return format.replace(/%([-+ 0#]*\d*)([sdvq%])/g, (_m, _flags: string, verb: string) => {
    if (verb === '%') return '%';
    if (n >= args.length) return `%!${verb}(MISSING)`;
    const a = args[n++];
    switch (verb) {
      case 'd':
        if (!(a instanceof GoInt)) return fail(`printf %d needs an integer, got ${printValue(a)} (use int)`);
        return String(a.value);
      case 'q':
        return JSON.stringify(printValue(a));
      default:
        return printValue(a);
    }
  });
}

export interface RenderOptions {
  /** Template files by name (e.g. `cosyfleet/templates/deployment.yaml`), helpers included. */
  files: Record<string, string>;
}

/** Parses every file once (collecting `define`s from all, as Helm does) and renders by name. */
export class Renderer {
  private readonly trees = new Map<string, Node[]>();
  private readonly defines = new Map<string, Node[]>();
  private depth = 0;

  constructor(options: RenderOptions) {
    for (const [name, src] of Object.entries(options.files)) this.trees.set(name, parse(name, src, this.defines));
  }

  render(name: string, dot: Value): string {
    const tree = this.trees.get(name);
    if (!tree) throw new TemplateError(name, 'no such template');
    return this.exec(name, tree, { dot, vars: [new Map([['$', dot]])] });
  }

  include(tname: string, dot: Value, fail: (m: string) => never): string {
    // Helm names each file as a template too: include "chart/templates/configmap.yaml" renders it.
    const tree = this.defines.get(tname) ?? this.trees.get(tname);
    if (!tree) return fail(`no template "${tname}" associated with template`);
    if (++this.depth > 100) return fail(`include "${tname}": recursion too deep`);
    try {
      return this.exec(tname, tree, { dot, vars: [new Map([['$', dot]])] });
    } finally {
      this.depth--;
    }
  }

  private exec(name: string, nodes: Node[], scope: Scope): string {
    let out = '';
    for (const node of nodes) {
      const fail = (m: string): never => {
        throw new TemplateError(name, 'line' in node ? `line ${node.line}: ${m}` : m);
      };
      switch (node.k) {
        case 'text':
          out += node.text;
          break;
        case 'out': {
          const v = this.pipeline(name, node.pipe, scope, fail);
          if (!node.pipe.decl) out += printValue(v);
          break;
        }
        case 'if':
        case 'with': {
          let done = false;
          for (const b of node.branches) {
            const inner: Scope = { dot: scope.dot, vars: [...scope.vars, new Map()] };
            const v = this.pipeline(name, b.pipe, inner, fail);
            if (truth(v)) {
              if (node.k === 'with') inner.dot = v;
              out += this.exec(name, b.body, inner);
              done = true;
              break;
            }
          }
          if (!done && node.else) out += this.exec(name, node.else, { dot: scope.dot, vars: [...scope.vars, new Map()] });
          break;
        }
        case 'range': {
          const decl = node.pipe.decl;
          const v = this.pipeline(name, { cmds: node.pipe.cmds }, scope, fail);
          let items: [Value, Value][];
          if (Array.isArray(v)) items = v.map((x, i) => [new GoInt(i), x]);
          else if (isMap(v)) items = Object.keys(v).sort().map((k) => [k, v[k]]);
          else if (v instanceof GoInt) items = Array.from({ length: v.value }, (_, i) => [new GoInt(i), new GoInt(i)]);
          else if (v === null || v === undefined) items = [];
          else return fail(`range can't iterate over ${printValue(v)}`);
          if (items.length === 0) {
            if (node.else) out += this.exec(name, node.else, { dot: scope.dot, vars: [...scope.vars, new Map()] });
            break;
          }
          for (const [k, x] of items) {
            const frame = new Map<string, Value>();
            if (decl?.vars.length === 1) frame.set(decl.vars[0] as string, x);
            else if (decl?.vars.length === 2) {
              frame.set(decl.vars[0] as string, k);
              frame.set(decl.vars[1] as string, x);
            }
            out += this.exec(name, node.body, { dot: x, vars: [...scope.vars, frame] });
          }
          break;
        }
        case 'template': {
          const dot = node.pipe ? this.pipeline(name, node.pipe, scope, fail) : null;
          out += this.include(node.tname, dot, fail);
          break;
        }
      }
    }
    return out;
  }

  private pipeline(name: string, pipe: Pipeline, scope: Scope, fail: (m: string) => never): Value {
    let prev: Value = undefined;
    let first = true;
    for (const cmd of pipe.cmds) {
      prev = this.command(name, cmd, scope, first ? undefined : { v: prev }, fail);
      first = false;
    }
    if (pipe.decl) {
      if (pipe.decl.vars.length !== 1) return fail('only range declares two variables');
      setVar(scope, pipe.decl.vars[0] as string, prev, pipe.decl.assign, fail);
    }
    return prev;
  }

  private command(name: string, cmd: Command, scope: Scope, piped: { v: Value } | undefined, fail: (m: string) => never): Value {
    const [head, ...rest] = cmd.args as [Operand, ...Operand[]];
    if (head.t === 'ident') {
      const fn = FUNCS[head.name];
      if (!fn) return fail(`function "${head.name}" not defined`);
      const argOps = rest;
      if (head.name === 'and' || head.name === 'or') {
        // Short-circuit, returning the deciding operand (Go 1.18+).
        const thunks = argOps.map((op) => () => this.operand(name, op, scope, fail));
        if (piped) thunks.push(() => piped.v);
        if (thunks.length === 0) return fail(`${head.name}: no arguments`);
        let v: Value = undefined;
        for (const t of thunks) {
          v = t();
          if (head.name === 'and' ? !truth(v) : truth(v)) return v;
        }
        return v;
      }
      const args = argOps.map((op) => this.operand(name, op, scope, fail));
      if (piped) args.push(piped.v);
      return fn(this, args, fail);
    }
    if (rest.length > 0 || piped) return fail(`can't give arguments to a non-function ${describe(head)}`);
    return this.operand(name, head, scope, fail);
  }

  private operand(name: string, op: Operand, scope: Scope, fail: (m: string) => never): Value {
    switch (op.t) {
      case 'lit':
        return op.value;
      case 'pipe':
        return this.pipeline(name, op.pipe, { dot: scope.dot, vars: scope.vars }, fail);
      case 'ident': {
        const fn = FUNCS[op.name];
        if (!fn) return fail(`function "${op.name}" not defined`);
        return fn(this, [], fail);
      }
      case 'field': {
        let v = op.base === 'dot' ? scope.dot : lookupVar(scope, op.base.var, fail);
        for (const [i, key] of op.path.entries()) {
          if (v === null || v === undefined) {
            // A missing map key yields nothing; stepping into that nothing is Go's nil pointer error.
            return fail(`nil pointer evaluating interface {}.${key} (in ${describe(op)}${i > 0 ? `, at ${op.path.slice(0, i).join('.')}` : ''})`);
          }
          if (!isMap(v)) return fail(`can't evaluate field ${key} in ${kindOf(v)} (in ${describe(op)})`);
          v = v[key];
        }
        return v;
      }
    }
  }
}

function describe(op: Operand): string {
  if (op.t === 'field') return `${op.base === 'dot' ? '' : op.base.var}.${op.path.join('.')}`;
  if (op.t === 'ident') return op.name;
  return 'expression';
}
