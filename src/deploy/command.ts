// `cosyfleet deploy <target>`: turn a plan into something that runs it. Each target lives in its
// own folder and is loaded on demand, so `deploy nginx` never loads the AWS CDK.
import type { Io } from '../planner/command.js';

export const DEPLOY_USAGE = `Usage: cosyfleet deploy <target> [options]

Targets:
  nginx        Write an NGINX configuration for a host in front of cosyfleet (cosyfleet deploy nginx --help)
  aws          Synthesize, diff or deploy the AWS fleet a plan recommends (cosyfleet deploy aws --help)
  kubernetes   Render the Helm chart's values (or manifests) from a plan (cosyfleet deploy kubernetes --help)
`;

type Runner = (argv: readonly string[], io: Io) => Promise<number>;

const TARGETS: Record<string, () => Promise<Runner>> = {
  nginx: async () => (await import('./nginx/command.js')).runDeployNginx,
  aws: async () => (await import('./aws/command.js')).runDeployAws,
  kubernetes: async () => (await import('./kubernetes/command.js')).runDeployKubernetes,
};

export async function runDeployCommand(argv: readonly string[], io: Io): Promise<number> {
  const [target, ...rest] = argv;
  if (target === undefined || target === '--help' || target === '-h' || target === 'help') {
    io.stdout.write(DEPLOY_USAGE);
    return target === undefined ? 2 : 0;
  }
  const load = TARGETS[target];
  if (!load) {
    io.stderr.write(`Unknown deploy target "${target}".\n\n${DEPLOY_USAGE}`);
    return 2;
  }
  return (await load())(rest, io);
}
