// Test tooling (kubernetes-models is a devDependency): unknown fields in a Kubernetes object, as
// `kubectl apply --validate=strict` and kubeconform -strict report them. kubernetes-models'
// validate() checks types, required fields and enums but lets unknown fields through, and the API
// server drops those silently (a misplaced `readOnly` would just vanish), so the field names are
// checked here against the same package's type declarations.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

type FieldType = { t: 'scalar' } | { t: 'array'; of: FieldType } | { t: 'map'; of: FieldType } | { t: 'ref'; file: string };

interface Shape {
  fields: Map<string, FieldType>;
}

const require = createRequire(import.meta.url);
const ROOT = dirname(require.resolve('kubernetes-models/package.json'));
const APIMACHINERY = dirname(require.resolve('@kubernetes-models/apimachinery/package.json', { paths: [ROOT] }));
const shapes = new Map<string, Shape | null>();

function resolveImport(from: string, spec: string): string {
  if (spec.startsWith('.')) return `${resolve(dirname(from), spec)}.d.ts`;
  if (spec.startsWith('@kubernetes-models/apimachinery/')) return `${join(APIMACHINERY, spec.slice('@kubernetes-models/apimachinery/'.length))}.d.ts`;
  return `${join(ROOT, spec.replace(/^kubernetes-models\//, ''))}.d.ts`;
}

function parseType(text: string, imports: Map<string, string>): FieldType {
  const t = text.trim().replace(/;$/, '');
  const arr = /^Array<(.+)>$/.exec(t);
  if (arr) return { t: 'array', of: parseType(arr[1] as string, imports) };
  const map = /^\{\s*\[key: string\]:\s*(.+?)\s*\}$/s.exec(t);
  if (map) return { t: 'map', of: parseType(map[1] as string, imports) };
  const file = imports.get(t);
  return file ? { t: 'ref', file } : { t: 'scalar' };
}

/** The fields of the interface a declaration file exports (null: a type alias such as Quantity). */
function shapeOf(file: string): Shape | null {
  if (shapes.has(file)) return shapes.get(file) as Shape | null;
  if (!existsSync(file)) throw new Error(`no declarations at ${file}`);
  const src = readFileSync(file, 'utf8').replace(/\/\*\*[\s\S]*?\*\//g, '');
  const imports = new Map<string, string>();
  for (const m of src.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) imports.set(m[1] as string, resolveImport(file, m[2] as string));
  const body = /export interface \w+(?: extends [^{]+)? \{\n([\s\S]*?)\n\}/.exec(src);
  if (!body) {
    shapes.set(file, null);
    return null;
  }
  const shape: Shape = { fields: new Map() };
  shapes.set(file, shape);
  // Top-level members start at four spaces; a map's `{ … }` continues on deeper lines.
  let current: [string, string] | null = null;
  const flush = () => {
    if (current) shape.fields.set(current[0], parseType(current[1].replace(/\s+/g, ' '), imports));
  };
  for (const line of (body[1] as string).split('\n')) {
    const m = /^ {4}"([^"]+)"\??: (.*)$/.exec(line);
    if (m) {
      flush();
      current = [m[1] as string, m[2] as string];
    } else if (current) current[1] += ` ${line}`;
  }
  flush();
  return shape;
}

function walk(value: unknown, type: FieldType, path: string, out: string[]): void {
  if (value === null || value === undefined) return;
  switch (type.t) {
    case 'scalar':
      return;
    case 'array':
      if (Array.isArray(value)) value.forEach((v, i) => walk(v, type.of, `${path}[${i}]`, out));
      return;
    case 'map':
      if (typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, type.of, `${path}.${k}`, out);
      return;
    case 'ref': {
      const shape = shapeOf(type.file);
      if (!shape || typeof value !== 'object' || Array.isArray(value)) return;
      for (const [k, v] of Object.entries(value)) {
        const f = shape.fields.get(k);
        if (!f) out.push(`${path ? `${path}.` : ''}${k}: unknown field`);
        else walk(v, f, path ? `${path}.${k}` : k, out);
      }
    }
  }
}

/** Unknown fields of a built-in object (apiVersion + kind), e.g. `spec.template.spec.containers[0].bogus`. */
export function unknownFields(object: Record<string, unknown>): string[] {
  const apiVersion = String(object.apiVersion);
  const kind = String(object.kind);
  const file = join(ROOT, apiVersion === 'v1' ? 'v1' : apiVersion, `${kind}.d.ts`);
  const out: string[] = [];
  walk(object, { t: 'ref', file }, '', out);
  return out;
}
