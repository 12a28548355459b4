// cdk-nag's AWS Solutions checks over the app, and the one way this app acknowledges a finding:
// with a written reason, on the narrowest construct it concerns (an acknowledgement covers the
// construct and everything under it). cdk-nag 3 runs as a CDK validation plugin and reads
// acknowledgements from `Validations.of(construct).acknowledge()` (v2's NagSuppressions and
// Aspects-based packs are gone).
import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

export interface Justification {
  /** A rule id (`AwsSolutions-S1`) or one finding of it (`AwsSolutions-IAM5[Resource::*]`). */
  id: string;
  reason: string;
}

export function justify(scope: IConstruct, findings: Justification[]): void {
  for (const f of findings) {
    if (f.reason.trim().length < 40) throw new Error(`cdk-nag ${f.id} on ${scope.node.path}: a suppression needs a real reason`);
    Validations.of(scope).acknowledge({ id: f.id, reason: f.reason });
  }
}

export function addNagChecks(app: App): AwsSolutionsChecks {
  const checks = new AwsSolutionsChecks(app, { verbose: true });
  Validations.of(app).addPlugins(checks);
  return checks;
}

/** Findings not acknowledged, by severity (the app's whole tree). */
export function nagFindings(checks: AwsSolutionsChecks, scope: IConstruct): { errors: string[]; warnings: string[] } {
  const report = checks.validateScope(scope);
  const lines = (severity: string) =>
    report.violations.filter((v) => v.severity === severity).flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath ?? r.resourceLogicalId ?? '?'}: ${v.description.split('. ')[0]}`));
  return { errors: lines('error'), warnings: lines('warning') };
}
