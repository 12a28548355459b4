#!/usr/bin/env node
// The `cosyfleet` command. `serve` runs the service; later issues add plan, doctor and bench.
import { loadConfig, ConfigError } from './config/config.js';
import { SETTINGS } from './config/settings.js';
import { exitWhenFlushed } from './util/exit-when-flushed.js';
import { VERSION } from './version.js';

const USAGE = `cosyfleet ${VERSION}

Usage: cosyfleet <command> [--flag value ...]

Commands:
  serve      Run the HTTP service (what \`npm start\` runs)
  config     Print the effective configuration as JSON and exit
  plan       Capacity and cost plan for a workload file (cosyfleet plan --help)
  prices     Refresh the instance price catalog from AWS (cosyfleet prices refresh --help)
  doctor     Check this machine for CosyVoice3 (Python, package, CUDA, GPU memory, model files) and the remote server (--json)
  bench      Load-test a TTS server (closed/open loop) and write an engine profile for plan (cosyfleet bench --help)
  keys       API keys: create, list, revoke, limits, store by default (cosyfleet keys --help)
  tenants    Tenant policies: result cache mode, output retention (cosyfleet tenants --help)
  deploy     Stand up what a plan recommends: nginx, aws (CDK), kubernetes (Helm) (cosyfleet deploy --help)
  help       Show this help

Settings (flag / environment variable, default):
${SETTINGS.map((s) => `  ${s.flag.padEnd(22)} ${s.env.padEnd(20)} ${typeof s.default === 'function' ? 'CPU count' : JSON.stringify(s.default)}\n      ${s.description}`).join('\n')}
  --config FILE          COSYFLEET_CONFIG     JSON file with the same settings (camelCase keys)
`;

async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  switch (command) {
    case 'serve': {
      const config = loadConfig({ env: process.env, argv: rest });
      // Loaded on demand so `plan` and `prices` do not pull in the whole HTTP service.
      const { startServer } = await import('./server.js');
      await startServer(config);
      return -1;
    }
    case 'config':
      console.log(JSON.stringify(loadConfig({ env: process.env, argv: rest }), null, 2));
      return 0;
    case 'plan':
      return (await import('./planner/command.js')).runPlanCommand(rest, process);
    case 'prices':
      return (await import('./planner/command.js')).runPricesCommand(rest, process);
    case 'bench':
      return (await import('./loadgen/command.js')).runBenchCommand(rest, process);
    case 'keys':
      return (await import('./accounts/command.js')).runKeysCommand(rest, process);
    case 'tenants':
      return (await import('./accounts/tenant-command.js')).runTenantsCommand(rest, process);
    case 'deploy':
      return (await import('./deploy/command.js')).runDeployCommand(rest, process);
    case 'doctor':
      return (await import('./doctor/command.js')).runDoctorCommand(rest, { env: process.env, stdout: process.stdout });
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    case '--version':
    case 'version':
      console.log(VERSION);
      return 0;
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      return 2;
  }
}

// `serve` answers -1: it runs until a signal drains it.
main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) exitWhenFlushed(code);
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(err.message);
      exitWhenFlushed(2);
      return;
    }
    console.error(err);
    exitWhenFlushed(1);
  },
);
