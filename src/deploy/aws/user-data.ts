// First-boot script of every instance: stage the model once from the user's bucket onto the
// instance volume, install cosyfleet (and, for `--engine cosyvoice`, the official package's
// environment), write the env file the plan's settings go into, fetch the secrets, start
// cosyfleet as a systemd service, and optionally the CloudWatch agent that carries /metrics to
// CloudWatch. Values may be CDK tokens: the script is joined at deploy time.
import { completeLifecycleActionScript, execStopPostLines } from '../../lifecycle/host-hook.js';
import { envFileText } from './worker-settings.js';

/** The Node the service needs (package.json engines: >= 20.19). */
export const NODE_VERSION = '20.19.5';
/** docs/deployment.md, "Which CosyVoice commit"; the same pin as deploy/cosyvoice/Dockerfile. */
export const COSYVOICE_REF = '1822c5c908d46b76573df2069653081e31058796';
export const MODEL_ROOT = '/opt/models';
/** The termination lifecycle hook fleet.ts creates; the ExecStopPost script completes it. */
export const LIFECYCLE_HOOK_NAME = 'cosyfleet-drain';
const LIFECYCLE_SCRIPT = '/usr/local/lib/cosyfleet/complete-lifecycle-action.sh';

export interface UserDataInput {
  region: string;
  modelBucket: string;
  modelPrefix: string;
  appKey: string;
  env: Record<string, string>;
  /** Extra env entries whose values are tokens (bucket names, domains): never in the static file check. */
  resourceEnv: Record<string, string>;
  apiKeysSecretArn: string;
  adminKeySecretArn: string;
  databaseSecretArn?: string;
  /** The engine server's own unit (Triton, vLLM-Omni) the AMI must provide, when the engine is remote. */
  engineUnit?: string;
  installCosyvoice: boolean;
  cloudWatchAgent?: { configJson: string; prometheusYaml: string };
  stopTimeoutS: number;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function userDataCommands(i: UserDataInput): string[] {
  const modelDir = `${MODEL_ROOT}/${i.modelPrefix.split('/').filter(Boolean).pop() ?? 'model'}`;
  const unit = [
    '[Unit]',
    'Description=cosyfleet TTS service',
    'After=network-online.target' + (i.engineUnit ? ` ${i.engineUnit}` : ''),
    'Wants=network-online.target' + (i.engineUnit ? ` ${i.engineUnit}` : ''),
    '[Service]',
    'User=cosyfleet',
    'EnvironmentFile=/etc/cosyfleet/cosyfleet.env',
    'EnvironmentFile=/etc/cosyfleet/secrets.env',
    'ExecStart=/usr/local/bin/cosyfleet serve',
    ...execStopPostLines(LIFECYCLE_SCRIPT),
    // A drained service exits 0 on purpose: it must not start again on a dying instance.
    'Restart=on-failure',
    'RestartSec=2',
    // SIGTERM starts the service's drain; systemd must wait for it before SIGKILL.
    'KillSignal=SIGTERM',
    `TimeoutStopSec=${i.stopTimeoutS}`,
    'LimitNOFILE=65536',
    '[Install]',
    'WantedBy=multi-user.target',
  ].join('\n');
  const cmds = [
    'set -euo pipefail',
    'exec > >(tee -a /var/log/cosyfleet-bootstrap.log) 2>&1',
    `export AWS_DEFAULT_REGION=${q(i.region)}`,
    'id cosyfleet >/dev/null 2>&1 || useradd --system --create-home --shell /usr/sbin/nologin cosyfleet',
    'mkdir -p /etc/cosyfleet /var/lib/cosyfleet && chown cosyfleet:cosyfleet /var/lib/cosyfleet',
    // The model: once per instance volume, then read-only for the service (a reboot keeps it).
    `MODEL_DIR=${q(modelDir)}`,
    'if [ ! -f "$MODEL_DIR/.cosyfleet-staged" ]; then',
    `  mkdir -p "$MODEL_DIR" && aws s3 sync ${q(`s3://${i.modelBucket}/${i.modelPrefix.replace(/^\/+|\/+$/g, '')}/`)} "$MODEL_DIR" --only-show-errors`,
    '  touch "$MODEL_DIR/.cosyfleet-staged"',
    'fi',
    'chown -R root:root "$MODEL_DIR" && chmod -R a+rX,go-w "$MODEL_DIR"',
    // Node from nodejs.org, checked against its published checksums.
    `NODE_VERSION=${q(NODE_VERSION)}`,
    'if ! /usr/local/bin/node --version 2>/dev/null | grep -q "^v$NODE_VERSION$"; then',
    '  ARCH=$(uname -m | sed -e s/x86_64/x64/ -e s/aarch64/arm64/)',
    '  cd /tmp && curl -fsSLO "https://nodejs.org/dist/v$NODE_VERSION/node-v$NODE_VERSION-linux-$ARCH.tar.xz" && curl -fsSLO "https://nodejs.org/dist/v$NODE_VERSION/SHASUMS256.txt"',
    '  grep " node-v$NODE_VERSION-linux-$ARCH.tar.xz$" SHASUMS256.txt | sha256sum -c -',
    '  tar -xJf "node-v$NODE_VERSION-linux-$ARCH.tar.xz" -C /usr/local --strip-components=1',
    'fi',
    // cosyfleet: the `npm pack` tarball of a built checkout, from the same bucket as the model.
    `aws s3 cp ${q(`s3://${i.modelBucket}/${i.appKey}`)} /tmp/cosyfleet.tgz --only-show-errors`,
    'npm install --global --omit=dev --no-audit --no-fund /tmp/cosyfleet.tgz',
  ];
  if (i.installCosyvoice) {
    cmds.push(
      // The official package at the pinned commit, in a venv of Ubuntu 22.04's Python 3.10 (as the Dockerfile does).
      'if [ ! -x /opt/venv/bin/python ]; then',
      '  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends git build-essential python3-dev python3-venv sox libsox-dev',
      `  git clone --recursive https://github.com/FunAudioLLM/CosyVoice.git /opt/CosyVoice && git -C /opt/CosyVoice checkout --detach ${COSYVOICE_REF} && git -C /opt/CosyVoice submodule update --init --recursive`,
      '  python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir -r /opt/CosyVoice/requirements.txt',
      'fi',
    );
  }
  if (i.engineUnit) {
    cmds.push(
      // The engine server is not installed here: it comes with the AMI (docs/deployment.md, "AWS").
      `systemctl list-unit-files ${i.engineUnit} >/dev/null 2>&1 || echo "cosyfleet: ${i.engineUnit} is missing from this AMI; /readyz stays 503 until an engine server answers" >&2`,
    );
  }
  cmds.push(
    `cat > /etc/cosyfleet/cosyfleet.env <<'COSYFLEET_ENV'\n${envFileText(i.env)}COSYFLEET_ENV`,
    ...Object.entries(i.resourceEnv).map(([k, v]) => `echo ${q(`${k}=`)}${q(v)} >> /etc/cosyfleet/cosyfleet.env`),
    // Secrets at boot, never in the launch template: readable by root and the service only.
    'umask 077',
    `secret() { aws secretsmanager get-secret-value --secret-id "$1" --query SecretString --output text; }`,
    `KEYS_JSON=$(secret ${q(i.apiKeysSecretArn)})`,
    `ADMIN_JSON=$(secret ${q(i.adminKeySecretArn)})`,
    'python3 - "$KEYS_JSON" "$ADMIN_JSON" > /etc/cosyfleet/secrets.env <<\'PY\'',
    'import json, sys',
    'print("COSYFLEET_API_KEYS=" + json.loads(sys.argv[1])["apiKeys"])',
    'print("COSYFLEET_ADMIN_KEY=" + json.loads(sys.argv[2])["adminKey"])',
    'PY',
  );
  if (i.databaseSecretArn) {
    cmds.push(
      // RDS's certificates are not in Node's default trust store: add AWS's bundle, and verify.
      'curl -fsSLo /etc/cosyfleet/rds-ca.pem https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem && chmod 644 /etc/cosyfleet/rds-ca.pem',
      'echo "NODE_EXTRA_CA_CERTS=/etc/cosyfleet/rds-ca.pem" >> /etc/cosyfleet/secrets.env',
      `DB_JSON=$(secret ${q(i.databaseSecretArn)})`,
      'python3 - "$DB_JSON" >> /etc/cosyfleet/secrets.env <<\'PY\'',
      'import json, sys, urllib.parse as u',
      's = json.loads(sys.argv[1])',
      'print("DATABASE_URL=postgres://%s:%s@%s:%s/%s?sslmode=verify-full" % (u.quote(s["username"], safe=""), u.quote(s["password"], safe=""), s["host"], s["port"], s.get("dbname", "cosyfleet")))',
      'PY',
    );
  }
  cmds.push(
    'chown root:cosyfleet /etc/cosyfleet/secrets.env && chmod 640 /etc/cosyfleet/secrets.env',
    'umask 022',
    `mkdir -p /usr/local/lib/cosyfleet && cat > ${LIFECYCLE_SCRIPT} <<'COSYFLEET_HOOK'\n${completeLifecycleActionScript({ hookName: LIFECYCLE_HOOK_NAME })}COSYFLEET_HOOK`,
    `chmod 755 ${LIFECYCLE_SCRIPT}`,
    `cat > /etc/systemd/system/cosyfleet.service <<'COSYFLEET_UNIT'\n${unit}\nCOSYFLEET_UNIT`,
    'systemctl daemon-reload && systemctl enable --now cosyfleet.service',
  );
  if (i.cloudWatchAgent) {
    cmds.push(
      'if [ ! -x /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl ]; then',
      '  DEB_ARCH=$(dpkg --print-architecture)',
      '  curl -fsSLo /tmp/amazon-cloudwatch-agent.deb "https://amazoncloudwatch-agent.s3.amazonaws.com/ubuntu/$DEB_ARCH/latest/amazon-cloudwatch-agent.deb" && dpkg -i /tmp/amazon-cloudwatch-agent.deb',
      'fi',
      `cat > /opt/aws/amazon-cloudwatch-agent/etc/prometheus.yaml <<'PROM'\n${i.cloudWatchAgent.prometheusYaml}PROM`,
      `cat > /opt/aws/amazon-cloudwatch-agent/etc/cosyfleet.json <<'CWAGENT'\n${i.cloudWatchAgent.configJson}\nCWAGENT`,
      '/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/cosyfleet.json',
    );
  }
  return cmds;
}
