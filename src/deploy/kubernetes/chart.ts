// What `helm template` does with a chart folder, in-process: read Chart.yaml and values.yaml,
// merge the user's values over the chart's (a null removes a default, as in Helm), render every
// template under templates/ with .Values/.Release/.Chart/.Template (files starting with `_` only
// lend their `define`s), split the output into YAML documents and drop the empty ones. Used by
// `cosyfleet deploy kubernetes --render` and by the tests that validate the chart.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { Renderer } from './render.js';

/** deploy/kubernetes/cosyfleet, from src/deploy/kubernetes or dist/deploy/kubernetes alike. */
export const CHART_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../deploy/kubernetes/cosyfleet');

export type Values = Record<string, unknown>;

export interface Manifest {
  /** The template it came from, e.g. `cosyfleet/templates/deployment.yaml`. */
  source: string;
  object: Record<string, unknown>;
}

export interface RenderedChart {
  manifests: Manifest[];
  /** templates/NOTES.txt as `helm install` prints it. */
  notes: string;
  values: Values;
}

export interface ReleaseOptions {
  name?: string;
  namespace?: string;
}

// Helm and the API server read YAML as go-yaml does (1.1: `on`, `yes`, `y` are booleans).
export const YAML_1_1 = { version: '1.1' } as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Helm's coalescing of user values over chart defaults: maps merge, anything else replaces, null deletes. */
export function mergeValues(defaults: Values, overrides: Values): Values {
  const out: Values = { ...defaults };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === null) delete out[k];
    else if (isObject(v) && isObject(out[k])) out[k] = mergeValues(out[k] as Values, v);
    else out[k] = v;
  }
  return out;
}

export function loadChartDefaults(chartDir = CHART_DIR): Values {
  return (YAML.parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8'), YAML_1_1) ?? {}) as Values;
}

function templateFiles(chartDir: string, chartName: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else files[`${chartName}/${relative(chartDir, p)}`] = readFileSync(p, 'utf8');
    }
  };
  walk(join(chartDir, 'templates'));
  return files;
}

export function renderChart(userValues: Values = {}, release: ReleaseOptions = {}, chartDir = CHART_DIR): RenderedChart {
  const chart = YAML.parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as { name: string; version: string; appVersion?: string; description?: string };
  const values = mergeValues(loadChartDefaults(chartDir), userValues);
  const files = templateFiles(chartDir, chart.name);
  const renderer = new Renderer({ files });
  const top = {
    Values: values,
    Release: { Name: release.name ?? 'cosyfleet', Namespace: release.namespace ?? 'default', Service: 'Helm', IsInstall: true, IsUpgrade: false, Revision: 1 },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion ?? '', Description: chart.description ?? '' },
    Capabilities: { KubeVersion: { Version: 'v1.30.0', Major: '1', Minor: '30' } },
  };
  const manifests: Manifest[] = [];
  let notes = '';
  for (const name of Object.keys(files).sort()) {
    const base = name.split('/').pop() as string;
    if (base.startsWith('_')) continue;
    const text = renderer.render(name, { ...top, Template: { Name: name, BasePath: `${chart.name}/templates` } });
    if (base === 'NOTES.txt') {
      notes = text;
      continue;
    }
    for (const doc of YAML.parseAllDocuments(text, YAML_1_1)) {
      if (doc.errors.length > 0) throw new Error(`${name}: rendered YAML does not parse: ${doc.errors[0]?.message}\n${text}`);
      const object = doc.toJS() as unknown;
      if (object === null || object === undefined) continue;
      if (!isObject(object)) throw new Error(`${name}: a rendered document is not an object`);
      manifests.push({ source: name, object });
    }
  }
  return { manifests, notes, values };
}

/** The manifests as one multi-document YAML stream, as `helm template` prints it. */
export function manifestsToYaml(manifests: Manifest[]): string {
  return manifests.map((m) => `---\n# Source: ${m.source}\n${YAML.stringify(m.object, { ...YAML_1_1, lineWidth: 0 })}`).join('');
}
