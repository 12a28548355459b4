// Whether an engine can run on an instance type at all: the accelerator it needs (a CUDA GPU or
// a CPU), the host architecture its image is built for, and the GPU generations its serving stack
// supports. An instance type that fails any of these is excluded from the plan with every reason,
// so nobody buys an arm64 host for an x86_64 image or a Turing GPU for TensorRT-LLM.
import { isCpu, type GpuSpec, type InstanceType } from './catalog.js';
import type { EngineSpec } from './profiles.js';

export function requirementProblem(engine: EngineSpec, gpu: GpuSpec, instance?: InstanceType): string | undefined {
  const req = engine.requires;
  const where = instance ? `${instance.instanceType} (${gpu.name})` : gpu.name;
  const problems: string[] = [];
  if (req.accelerator === 'cuda') {
    if (isCpu(gpu)) problems.push(`${where} has no GPU, only its CPU; ${engine.engine} needs a CUDA GPU`);
    else if (gpu.cuda === false) problems.push(`${gpu.name} is not a CUDA GPU; ${engine.engine} needs one`);
    else if (req.gpuArchitectures && !req.gpuArchitectures.includes(gpu.architecture)) {
      problems.push(`${gpu.name} is a ${gpu.architecture} GPU; ${engine.engine} supports ${req.gpuArchitectures.join(', ')} only (${req.gpuArchitecturesSource})`);
    }
  } else if (!isCpu(gpu)) {
    const device = gpu.cuda === false ? 'an accelerator' : 'a GPU';
    problems.push(`${where} is ${device} instance type; ${engine.engine} runs on CPU instance types (it would leave the ${gpu.cuda === false ? 'accelerator' : 'GPU'} paid for and idle)`);
  }
  if (instance && !req.arch.includes(instance.arch)) {
    problems.push(`${instance.instanceType} is an ${instance.arch} host; the ${engine.engine} image is built for ${req.arch.join(', ')} (${req.archSource})`);
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}
