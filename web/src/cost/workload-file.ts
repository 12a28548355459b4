// A workload file chosen on the Cost page, read in the browser the way `cosyfleet plan` reads
// one (src/planner/workload.ts, parseWorkloadText): .yaml/.yml as YAML with unique keys, anything
// else as JSON. The YAML parser is loaded only when a YAML file is chosen, so the studio's first
// load does not carry it. Only syntax is checked here: the planner validates the fields.

/** Larger than any workload a person writes; the route's body limit refuses far less anyway. */
export const MAX_WORKLOAD_FILE_BYTES = 1024 * 1024;

export class WorkloadFileError extends Error {}

export async function readWorkloadFile(file: File): Promise<unknown> {
  if (file.size > MAX_WORKLOAD_FILE_BYTES) throw new WorkloadFileError(`${file.name}: ${file.size} bytes; a workload file is at most ${MAX_WORKLOAD_FILE_BYTES} bytes`);
  return parseWorkloadText(await file.text(), file.name);
}

export async function parseWorkloadText(text: string, name: string): Promise<unknown> {
  if (/\.ya?ml$/i.test(name)) {
    const { parseDocument } = await import('yaml');
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) throw new WorkloadFileError(doc.errors.map((e) => `YAML: ${e.message.split('\n')[0] ?? ''}`).join('; '));
    try {
      return doc.toJS();
    } catch (err) {
      // An alias expanded past the parser's limit, for one.
      throw new WorkloadFileError(`YAML: ${(err as Error).message}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new WorkloadFileError(`JSON: ${(err as Error).message}`);
  }
}
