// The Go-template renderer against what Go's text/template and Helm produce for the same input
// (expected strings worked out from Go's documented semantics, not from this renderer).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFloat, Renderer, TemplateError, toYaml } from './render.js';

function render(src: string, dot: unknown = {}, helpers = ''): string {
  return new Renderer({ files: { t: src, '_helpers.tpl': helpers } }).render('t', dot);
}

test('text without actions passes through unchanged', () => {
  assert.equal(render('a: 1\n  b: {x}\n'), 'a: 1\n  b: {x}\n');
});

test('trim markers eat the whitespace on their side only, newlines included', () => {
  assert.equal(render('a  \n  {{- "x" }}  \nb'), 'ax  \nb');
  assert.equal(render('a  \n  {{ "x" -}}  \n  b'), 'a  \n  xb');
  assert.equal(render('a \n {{- "x" -}} \n b'), 'axb');
  // Without a space after it the dash is a sign: {{-3}} prints minus three and trims nothing.
  assert.equal(render('a {{-3}}'), 'a -3');
  // A comment with trim markers leaves nothing behind.
  assert.equal(render('a\n{{- /* why */ -}}\nb'), 'ab');
});

test('the usual Helm block layout leaves no blank lines', () => {
  const src = 'spec:\n  {{- if .on }}\n  replicas: {{ .n }}\n  {{- end }}\n  selector: {}\n';
  assert.equal(render(src, { on: true, n: 3 }), 'spec:\n  replicas: 3\n  selector: {}\n');
  assert.equal(render(src, { on: false, n: 3 }), 'spec:\n  selector: {}\n');
});

test('nindent and indent indent every line; nindent starts a new line', () => {
  assert.equal(render('x:{{ "a: 1\\nb: 2" | nindent 4 }}'), 'x:\n    a: 1\n    b: 2');
  assert.equal(render('{{ indent 2 "a\\nb" }}'), '  a\n  b');
});

test('toYaml sorts keys, keeps sequences at their key\'s indent and has no trailing newline', () => {
  assert.equal(toYaml({ b: [1, 2], a: { d: 'x', c: true } }), 'a:\n  c: true\n  d: x\nb:\n- 1\n- 2');
  assert.equal(render('labels:\n  {{- toYaml .l | nindent 2 }}', { l: { z: '1', y: 'on' } }), 'labels:\n  "y": "on"\n  z: "1"');
});

test('values print with Go\'s %v: float64 from YAML goes to exponent form at 1e+06, template ints never do', () => {
  assert.equal(render('{{ .a }} {{ .b }} {{ .c }} {{ 1000000 }}', { a: 600000, b: 1000000, c: 0.5 }), '600000 1e+06 0.5 1000000');
  assert.equal(render('{{ int .b }}', { b: 1000000 }), '1000000');
  assert.equal(formatFloat(123456789), '1.23456789e+08');
  assert.equal(formatFloat(0.00001), '1e-05');
});

test('a missing key prints nothing, but a field of that nothing is Go\'s nil pointer error', () => {
  assert.equal(render('[{{ .Values.missing }}]', { Values: {} }), '[]');
  assert.throws(() => render('{{ .Values.missing.deeper }}', { Values: {} }), /nil pointer evaluating interface \{\}\.deeper/);
});

test('if / else if / else, with and its else, and truthiness of empty values', () => {
  const src = '{{ if .a }}A{{ else if .b }}B{{ else }}C{{ end }}';
  assert.equal(render(src, { a: 1, b: 1 }), 'A');
  assert.equal(render(src, { a: 0, b: 'x' }), 'B');
  assert.equal(render(src, { a: [], b: {} }), 'C');
  assert.equal(render('{{ with .m }}{{ .k }}{{ else }}none{{ end }}', { m: { k: 'v' } }), 'v');
  assert.equal(render('{{ with .m }}{{ .k }}{{ else }}none{{ end }}', { m: {} }), 'none');
});

test('range over lists and maps (sorted keys), with variables, $ and else', () => {
  assert.equal(render('{{ range .l }}[{{ . }}]{{ end }}', { l: ['a', 'b'] }), '[a][b]');
  assert.equal(render('{{ range $i, $v := .l }}{{ $i }}={{ $v }};{{ end }}', { l: ['a', 'b'] }), '0=a;1=b;');
  assert.equal(render('{{ range $k, $v := .m }}{{ $k }}:{{ $v }}{{ $.sep }}{{ end }}', { m: { b: 2, a: 1 }, sep: ',' }), 'a:1,b:2,');
  assert.equal(render('{{ range .l }}x{{ else }}empty{{ end }}', { l: [] }), 'empty');
  assert.equal(render('{{ until 3 | join "," }}'), '0,1,2');
});

test('variables are scoped to their block', () => {
  assert.equal(render('{{ $x := "outer" }}{{ if true }}{{ $x := "inner" }}{{ $x }}{{ end }} {{ $x }}'), 'inner outer');
  assert.equal(render('{{ $x := "a" }}{{ if true }}{{ $x = "b" }}{{ end }}{{ $x }}'), 'b');
});

test('and/or return the deciding operand and stop evaluating there; not, eq, ne', () => {
  assert.equal(render('{{ and 1 "" 2 }}|{{ or "" 0 "z" }}|{{ or "" 0 }}'), '|z|0');
  // Short-circuit: the nil-pointer operand is never evaluated.
  assert.equal(render('{{ if and .a .a.b }}y{{ else }}n{{ end }}', {}), 'n');
  assert.equal(render('{{ not "" }} {{ eq "a" "b" "a" }} {{ ne 1 2 }}'), 'true true true');
  assert.throws(() => render('{{ eq .f 1 }}', { f: 1 }), /incompatible types for comparison/);
  assert.equal(render('{{ eq (int .f) 1 }}', { f: 1 }), 'true');
});

test('define, include (piped through nindent) and the template action; includes of file names', () => {
  const helpers = '{{- define "lbl" -}}\napp: {{ .name }}\ntier: x\n{{- end }}';
  assert.equal(render('m:\n  {{- include "lbl" . | nindent 2 }}', { name: 'n' }, helpers), 'm:\n  app: n\n  tier: x');
  assert.equal(render('[{{ template "lbl" . }}]', { name: 'n' }, helpers), '[app: n\ntier: x]');
  assert.equal(render('{{ include "_helpers.tpl" . }}', {}, 'H'), 'H');
  assert.throws(() => render('{{ include "nope" . }}'), /no template "nope"/);
});

test('Sprig/Helm functions the chart uses', () => {
  assert.equal(render('{{ .v | default "d" }}|{{ .w | default "d" }}', { v: '', w: 'w' }), 'd|w');
  assert.equal(render('{{ .s | quote }} {{ 3 | quote }} {{ "a\\"b" | quote }}', { s: 'x' }), '"x" "3" "a\\"b"');
  assert.equal(render('{{ printf "%s-%d:%v" "a" 7 true }}'), 'a-7:true');
  assert.throws(() => render('{{ printf "%d" .f }}', { f: 7 }), /%d needs an integer/);
  assert.equal(render('{{ "abcdef" | trunc 3 }}{{ "x-" | trimSuffix "-" }}{{ replace "+" "_" "a+b" }}'), 'abcxa_b');
  assert.equal(render('{{ add 1 2 .f }} {{ mul .f 1000 }} {{ max 1 0 }}', { f: 60 }), '63 60000 1');
  assert.equal(render('{{ ternary "y" "n" true }}{{ ternary "y" "n" false }}'), 'yn');
  assert.equal(render('{{ "hi" | b64enc }}'), 'aGk=');
  assert.equal(render('{{ contains "cos" "cosyfleet" }}'), 'true');
  assert.equal(render('{{ $d := dict "b" 2 "a" 1 }}{{ range $k, $v := $d }}{{ $k }}{{ end }}'), 'ab');
});

test('required and fail stop rendering with their message', () => {
  assert.throws(() => render('{{ required "x is required" .x }}', {}), (e: Error) => e instanceof TemplateError && /x is required/.test(e.message));
  assert.equal(render('{{ required "x" .x }}', { x: 'ok' }), 'ok');
  assert.throws(() => render('{{ fail "no" }}'), /no/);
});

test('what the renderer does not know is an error, never a guess', () => {
  assert.throws(() => render('{{ frobnicate 1 }}'), /function "frobnicate" not defined/);
  assert.throws(() => render('{{ if true }}x'), /unclosed \{\{if\}\}/);
  assert.throws(() => render('{{ "x" '), /unclosed action/);
  assert.throws(() => render('{{ end }}'), /unexpected \{\{end\}\}/);
  assert.throws(() => render('{{ block "b" . }}{{ end }}'), /not supported/);
  assert.throws(() => render('{{ .a 1 }}', { a: 1 }), /non-function/);
});
