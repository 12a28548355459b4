// API keys in Secrets Manager, generated at deploy and read by each instance at boot: the
// service's keys (COSYFLEET_API_KEYS, tenant `default`) and its admin key (COSYFLEET_ADMIN_KEY).
import { RemovalPolicy } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { justify } from './nag.js';
import { Construct } from 'constructs';

export class FleetSecrets extends Construct {
  readonly apiKeys: secretsmanager.Secret;
  readonly adminKey: secretsmanager.Secret;

  constructor(scope: Construct, id: string, name: string) {
    super(scope, id);
    const key = (secretId: string, secretName: string, field: string, description: string) =>
      new secretsmanager.Secret(this, secretId, {
        secretName,
        description,
        // Letters and digits only: a valid key for the service (>= 16 characters) with no separator in it.
        generateSecretString: { secretStringTemplate: '{}', generateStringKey: field, excludePunctuation: true, includeSpace: false, passwordLength: 48 },
        removalPolicy: RemovalPolicy.RETAIN,
      });
    this.apiKeys = key('ApiKeys', name, 'apiKeys', 'cosyfleet API keys (COSYFLEET_API_KEYS: KEY or TENANT:KEY, comma-separated)');
    this.adminKey = key('AdminKey', `${name}-admin`, 'adminKey', 'cosyfleet admin key (COSYFLEET_ADMIN_KEY)');
    for (const s of [this.apiKeys, this.adminKey]) {
      justify(s, [
        {
          id: 'AwsSolutions-SMG4',
          reason:
            'Instances read the keys only at boot, and clients hold them: a rotation Lambda would invalidate every client key without telling anyone. Keys are rotated by the operator (new key added, clients moved, old key removed, instances refreshed).',
        },
      ]);
    }
  }
}
