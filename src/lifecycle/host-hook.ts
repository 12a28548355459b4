// The host's half of scale-in: once cosyfleet has drained and exited, the Auto Scaling
// termination lifecycle hook is completed by the systemd unit's ExecStopPost with the AWS CLI
// (autoscaling:CompleteLifecycleAction with the instance role), not by the service. The service
// needs no AWS credentials or SDK for it, and "the process has exited" is exactly the condition
// the hook waits for; a service killed before it could drain still gets the hook completed.
// The script acts only when IMDS says the instance is leaving service, so the ExecStopPost of an
// ordinary restart or `systemctl stop` does nothing.

/** The unit lines that run the script (user data writes the script to `path`). */
export function execStopPostLines(path: string): string[] {
  // `-`: a failure here must not mark the service failed; `+`: run as root, whatever User= says,
  // so the AWS CLI reads the instance role's credentials like any root command.
  return [`ExecStopPost=-+/bin/sh ${path}`];
}

export interface HostHookOptions {
  /** The lifecycle hook's name (the CDK fleet names it `cosyfleet-drain`). */
  readonly hookName: string;
  /** IMDS_ENDPOINT (tests: the stand-in). */
  readonly imdsEndpoint?: string;
  /** The AWS CLI command (tests: a stub on a PATH of their own). */
  readonly aws?: string;
}

/**
 * A POSIX sh script: IMDSv2 token, then target-lifecycle-state; when Terminated (or a warm-pool
 * state after service) it completes the action with CONTINUE for this instance, naming the
 * group from the instance's tags in IMDS (instance metadata tags must be on; the CDK fleet turns
 * them on). Exit status 0 unless the AWS call itself failed.
 */
export function completeLifecycleActionScript(options: HostHookOptions): string {
  const imds = options.imdsEndpoint ?? 'http://169.254.169.254';
  const aws = options.aws ?? 'aws';
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(options.hookName)) throw new Error(`lifecycle hook name ${JSON.stringify(options.hookName)}: letters, digits, - and _ only`);
  if (!/^http:\/\/[A-Za-z0-9.:[\]-]+$/.test(imds)) throw new Error(`IMDS endpoint ${JSON.stringify(imds)}: an http:// origin`);
  if (!/^[A-Za-z0-9_./-]+$/.test(aws)) throw new Error(`aws command ${JSON.stringify(aws)}: a plain path`);
  return `#!/bin/sh
# cosyfleet.service ExecStopPost: complete the Auto Scaling termination lifecycle action once
# the service has stopped (docs/operations.md, "Spot and scale-in"). Written by cosyfleet.
set -u
IMDS='${imds}'
TOKEN=$(curl -fsS --max-time 2 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "$IMDS/latest/api/token") || { echo 'cosyfleet-lifecycle: no instance metadata; nothing to complete' >&2; exit 0; }
md() { curl -fsS --max-time 2 -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/meta-data/$1"; }
STATE=$(md autoscaling/target-lifecycle-state) || { echo 'cosyfleet-lifecycle: not in an Auto Scaling group; nothing to complete' >&2; exit 0; }
case "$STATE" in
  Terminated|Warmed:*) ;;
  *) echo "cosyfleet-lifecycle: target lifecycle state $STATE; nothing to complete" >&2; exit 0 ;;
esac
ID=$(md instance-id) || exit 0
REGION=$(md placement/region) || exit 0
GROUP=$(md tags/instance/aws:autoscaling:groupName) || { echo 'cosyfleet-lifecycle: no aws:autoscaling:groupName tag in IMDS (instance metadata tags off?); the hook times out instead' >&2; exit 0; }
echo "cosyfleet-lifecycle: $STATE: completing ${options.hookName} for $ID in $GROUP" >&2
exec ${aws} autoscaling complete-lifecycle-action --lifecycle-hook-name '${options.hookName}' --auto-scaling-group-name "$GROUP" --instance-id "$ID" --lifecycle-action-result CONTINUE --region "$REGION"
`;
}
