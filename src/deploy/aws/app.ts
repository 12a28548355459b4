// The CDK app for one plan, synthesized in-process (no AWS account, no CDK CLI): the stack with
// cdk-nag's AWS Solutions checks applied to everything in it.
import { App } from 'aws-cdk-lib';
import type { AwsSolutionsChecks } from 'cdk-nag';
import { addNagChecks } from './nag.js';
import type { DeployOptions } from './options.js';
import type { FleetPlan } from './plan-input.js';
import { CosyfleetFleetStack } from './stack.js';

export interface FleetAppInput {
  plan: FleetPlan;
  options: DeployOptions;
  schedule?: readonly number[];
  /** Where the cloud assembly goes (default: a temporary folder). */
  outdir?: string;
}

export function buildFleetApp(input: FleetAppInput): { app: App; stack: CosyfleetFleetStack; checks: AwsSolutionsChecks } {
  const app = new App({ ...(input.outdir ? { outdir: input.outdir } : {}) });
  const checks = addNagChecks(app);
  const stack = new CosyfleetFleetStack(app, input.options.stackName, { plan: input.plan, options: input.options, ...(input.schedule ? { schedule: input.schedule } : {}) });
  return { app, stack, checks };
}
