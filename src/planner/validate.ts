// Field-path validation for the planner's input files (workload, catalog, profiles). Every
// problem names the path of the bad field (`slo.p95FirstAudioMs`, `hourlyWeights[3]`) and all
// problems are reported together, like ConfigError does for settings.

export class PlannerInputError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid ${source}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'PlannerInputError';
  }
}

export type Obj = Record<string, unknown>;

interface StringOpts {
  choices?: readonly string[];
  pattern?: RegExp;
  maxLength?: number;
}

export class Fields {
  readonly problems: string[] = [];

  add(path: string, why: string): void {
    this.problems.push(`${path || '(top level)'}: ${why}`);
  }

  throwIfAny(source: string): void {
    if (this.problems.length > 0) throw new PlannerInputError(source, this.problems);
  }

  object(value: unknown, path: string): Obj | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.add(path, `must be an object, got ${describe(value)}`);
      return undefined;
    }
    return value as Obj;
  }

  /** Reports keys that are not in `allowed` (typos must not be silently ignored). */
  known(obj: Obj, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      // A key is the sender's text: quote at most 40 characters of it.
      if (!allowed.includes(key)) this.add(join(path, key.length > 40 ? `${key.slice(0, 40)}…` : key), `unknown field (allowed: ${allowed.join(', ')})`);
    }
  }

  number(
    obj: Obj,
    key: string,
    path: string,
    opts: { min?: number; max?: number; exclusiveMin?: number; int?: boolean; optional?: boolean } = {},
  ): number | undefined {
    const p = join(path, key);
    const v = obj[key];
    if (v === undefined) {
      if (!opts.optional) this.add(p, 'is required');
      return undefined;
    }
    return this.numberValue(v, p, opts);
  }

  numberValue(v: unknown, p: string, opts: { min?: number; max?: number; exclusiveMin?: number; int?: boolean } = {}): number | undefined {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.add(p, `must be a number, got ${describe(v)}`);
      return undefined;
    }
    if (opts.int && !Number.isInteger(v)) return void this.add(p, `must be a whole number, got ${v}`);
    if (opts.exclusiveMin !== undefined && !(v > opts.exclusiveMin)) return void this.add(p, `must be greater than ${opts.exclusiveMin}, got ${v}`);
    if (opts.min !== undefined && v < opts.min) return void this.add(p, `must be at least ${opts.min}, got ${v}`);
    if (opts.max !== undefined && v > opts.max) return void this.add(p, `must be at most ${opts.max}, got ${v}`);
    return v;
  }

  string(obj: Obj, key: string, path: string, opts: { optional?: boolean } & StringOpts = {}): string | undefined {
    const p = join(path, key);
    const v = obj[key];
    if (v === undefined) {
      if (!opts.optional) this.add(p, 'is required');
      return undefined;
    }
    return this.stringValue(v, p, opts);
  }

  stringValue(v: unknown, p: string, opts: StringOpts = {}): string | undefined {
    if (typeof v !== 'string' || v.trim() === '') return void this.add(p, `must be a non-empty string, got ${describe(v)}`);
    if (opts.maxLength !== undefined && v.length > opts.maxLength) return void this.add(p, `must be at most ${opts.maxLength} characters, got ${v.length}`);
    if (opts.choices && !opts.choices.includes(v)) return void this.add(p, `must be one of ${opts.choices.join(', ')}, got ${JSON.stringify(v)}`);
    if (opts.pattern && !opts.pattern.test(v)) return void this.add(p, `has an unexpected form: ${JSON.stringify(v)}`);
    return v;
  }

  boolean(obj: Obj, key: string, path: string, opts: { optional?: boolean } = {}): boolean | undefined {
    const p = join(path, key);
    const v = obj[key];
    if (v === undefined) {
      if (!opts.optional) this.add(p, 'is required');
      return undefined;
    }
    if (typeof v !== 'boolean') return void this.add(p, `must be true or false, got ${describe(v)}`);
    return v;
  }

  array(obj: Obj, key: string, path: string, opts: { optional?: boolean; minLength?: number; maxLength?: number; length?: number } = {}): unknown[] | undefined {
    const p = join(path, key);
    const v = obj[key];
    if (v === undefined) {
      if (!opts.optional) this.add(p, 'is required');
      return undefined;
    }
    if (!Array.isArray(v)) return void this.add(p, `must be a list, got ${describe(v)}`);
    if (opts.length !== undefined && v.length !== opts.length) return void this.add(p, `must have exactly ${opts.length} entries, got ${v.length}`);
    if (opts.minLength !== undefined && v.length < opts.minLength) return void this.add(p, `must have at least ${opts.minLength} entries, got ${v.length}`);
    if (opts.maxLength !== undefined && v.length > opts.maxLength) return void this.add(p, `must have at most ${opts.maxLength} entries, got ${v.length}`);
    return v;
  }
}

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  return String(v);
}
