// What a complete Fun-CosyVoice3-0.5B download holds (../shared/reference/cosyvoice3.md: model
// directory contents; cosyvoice/cli/cosyvoice.py reads them) and how to recognise a broken one:
// weights that are missing, truncated, or Git LFS pointers left by a clone without `git lfs pull`.
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface ModelFile {
  readonly name: string;
  readonly kind: 'file' | 'dir';
  /** What the package uses it for, shown when it is missing. */
  readonly role: string;
  /** Files smaller than this are broken downloads (the real ones are tens of MB to GBs). */
  readonly minBytes?: number;
}

const MIB = 1024 * 1024;

export const REQUIRED_MODEL_FILES: readonly ModelFile[] = [
  { name: 'cosyvoice3.yaml', kind: 'file', role: 'the model configuration AutoModel reads to pick CosyVoice3' },
  { name: 'llm.pt', kind: 'file', role: 'the LLM (Qwen2.5-0.5B backbone) weights', minBytes: MIB },
  { name: 'flow.pt', kind: 'file', role: 'the flow-matching (DiT) weights', minBytes: MIB },
  { name: 'hift.pt', kind: 'file', role: 'the HiFT vocoder weights', minBytes: MIB },
  { name: 'campplus.onnx', kind: 'file', role: 'the speaker-embedding model for prompt audio', minBytes: MIB },
  { name: 'speech_tokenizer_v3.onnx', kind: 'file', role: 'the speech tokenizer for prompt audio', minBytes: MIB },
  { name: 'CosyVoice-BlankEN', kind: 'dir', role: 'the text tokenizer (Qwen) files' },
];

/** Present in the release but only needed by an option; missing ones are warnings. */
export const OPTIONAL_MODEL_FILES: readonly ModelFile[] = [
  { name: 'flow.decoder.estimator.fp32.onnx', kind: 'file', role: 'load_trt=True builds the TensorRT flow estimator from it', minBytes: MIB },
  { name: 'spk2info.pt', kind: 'file', role: 'saved speakers (inference_sft); zero-shot cloning works without it' },
];

export interface ModelDirReport {
  readonly exists: boolean;
  readonly missing: readonly ModelFile[];
  /** Files that exist but cannot be the real thing, with why. */
  readonly broken: readonly { file: ModelFile; why: string }[];
  readonly optionalMissing: readonly ModelFile[];
  /** Bytes of the files checked. */
  readonly bytes: number;
}

const LFS_POINTER = 'version https://git-lfs';

export async function inspectModelDir(dir: string): Promise<ModelDirReport> {
  try {
    if (!(await stat(dir)).isDirectory()) return { exists: false, missing: REQUIRED_MODEL_FILES, broken: [], optionalMissing: [], bytes: 0 };
  } catch {
    return { exists: false, missing: REQUIRED_MODEL_FILES, broken: [], optionalMissing: [], bytes: 0 };
  }
  const missing: ModelFile[] = [];
  const broken: { file: ModelFile; why: string }[] = [];
  const optionalMissing: ModelFile[] = [];
  let bytes = 0;
  for (const [list, required] of [[REQUIRED_MODEL_FILES, true], [OPTIONAL_MODEL_FILES, false]] as const) {
    for (const file of list) {
      const path = join(dir, file.name);
      const info = await stat(path).catch(() => null);
      if (!info || (file.kind === 'dir' ? !info.isDirectory() : !info.isFile())) {
        (required ? missing : optionalMissing).push(file);
        continue;
      }
      if (file.kind === 'dir') {
        if ((await readdir(path)).length === 0) broken.push({ file, why: 'is empty' });
        continue;
      }
      bytes += info.size;
      if (file.minBytes !== undefined && info.size < file.minBytes) {
        const why = (await startsWith(path, LFS_POINTER)) ? 'is a Git LFS pointer, not the weights' : `is only ${info.size} bytes (an interrupted download)`;
        if (required) broken.push({ file, why });
        else optionalMissing.push(file);
      }
    }
  }
  return { exists: true, missing, broken, optionalMissing, bytes };
}

async function startsWith(path: string, prefix: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(prefix.length);
    await handle.read(buffer, 0, prefix.length, 0);
    return buffer.toString('utf8') === prefix;
  } finally {
    await handle.close();
  }
}
