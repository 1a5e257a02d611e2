// A complete CDK app wiring what `sfn-redshift generate` wrote to examples/asl/: the runtime stack
// from runtime.template.yaml (CfnInclude), and per pipeline a Standard state machine whose role
// carries the generated least-privilege policy, with every placeholder given through the typed
// module (index.ts). The tests synthesize it and lint the result with AWS's cfn-lint.
//
// Before `cdk deploy`: `npx sfn-redshift runtime --out build/runtime` (the runtime's zip, an asset).
import { join } from 'node:path';
import { App, Aws, CfnParameter, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cfninc from 'aws-cdk-lib/cloudformation-include';
import type { Construct } from 'constructs';
import {
  archiveCallback,
  dataQuality,
  mvRefresh,
  nightlySales,
  serverlessOrders,
  type PolicyDocumentJson,
} from '../asl/index.ts';

/** The typed module's paths are relative to the project root (here, the repository). */
const PROJECT_ROOT = join(import.meta.dirname, '../..');

export type PipelinesStackProps = StackProps & {
  /** The zip `sfn-redshift runtime --out DIR` wrote (DIR/runtime.zip). */
  readonly runtimeZip: string;
};

/**
 * A Standard state machine of one generated definition (uploaded as an asset, so definitions up to
 * Step Functions' 1 MiB fit), with a role holding exactly its generated policy. The L1 construct:
 * the L2 `sfn.StateMachine` adds a DependsOn on its role beside the RoleArn's GetAtt, which cfn-lint
 * flags (W3005).
 */
function pipelineMachine(
  scope: Construct,
  id: string,
  definitionFile: string,
  definitionSubstitutions: Record<string, string>,
  policy: PolicyDocumentJson,
): sfn.CfnStateMachine {
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
    inlinePolicies: { redshift: iam.PolicyDocument.fromJson(policy) },
  });
  const definition = new s3assets.Asset(scope, `${id}Definition`, { path: join(PROJECT_ROOT, definitionFile) });
  return new sfn.CfnStateMachine(scope, id, {
    stateMachineType: 'STANDARD',
    definitionS3Location: { bucket: definition.s3BucketName, key: definition.s3ObjectKey },
    definitionSubstitutions,
    roleArn: role.roleArn,
  });
}

export class PipelinesStack extends Stack {
  constructor(scope: Construct, id: string, props: PipelinesStackProps) {
    super(scope, id, props);
    const code = new s3assets.Asset(this, 'RuntimeCode', { path: props.runtimeZip });
    const runtime = new cfninc.CfnInclude(this, 'Runtime', {
      templateFile: join(PROJECT_ROOT, 'examples/asl/runtime.template.yaml'),
      // Only the code's location is replaced. The target parameters feed the template's Conditions:
      // replaced by literals, every condition would compare constants (cfn-lint W8003), so they keep
      // their Ref and get defaults instead.
      parameters: { RuntimeCodeS3Bucket: code.s3BucketName, RuntimeCodeS3Key: code.s3ObjectKey },
    });
    runtime.getParameter('ClusterIdentifier').default = 'analytics';
    runtime.getParameter('Database').default = 'analytics';
    runtime.getParameter('DbUser').default = 'etl';

    // CfnInclude outputs are token objects; the typed module's helpers take them as they are.
    const stateTableName = runtime.getOutput('StateTableName').value;
    const runtimeFunctionArn = runtime.getOutput('RuntimeFunctionArn').value;
    const databaseSecretArn = new CfnParameter(this, 'DatabaseSecretArn', {
      type: 'String',
      description: 'Secrets Manager secret of the database user',
    }).valueAsString;
    const workgroupId = new CfnParameter(this, 'WorkgroupId', {
      type: 'String',
      description: 'Id of the Redshift Serverless workgroup orders-wg',
    }).valueAsString;
    // CDK's synth-time validation takes any parameter named *Secret* for a password; these name a secret's ARN.
    Validations.of(this).acknowledge({
      id: 'CloudFormation-Validate::W2509',
      reason: 'SecretArn and DatabaseSecretArn are ARNs of secrets, not secrets',
    });
    const pseudo = { 'AWS::Partition': Aws.PARTITION, 'AWS::Region': Aws.REGION, 'AWS::AccountId': Aws.ACCOUNT_ID };
    const ClusterId = 'analytics';

    pipelineMachine(
      this,
      'NightlySales',
      nightlySales.definitionFile,
      nightlySales.definitionSubstitutions({ ClusterId, StateTableName: stateTableName }),
      nightlySales.policyDocument({ ...pseudo, ClusterId, StateTableName: stateTableName }),
    );
    pipelineMachine(
      this,
      'ArchiveCallback',
      archiveCallback.definitionFile,
      archiveCallback.definitionSubstitutions({ ClusterId, RuntimeFunctionArn: runtimeFunctionArn }),
      archiveCallback.policyDocument({ ...pseudo, ClusterId, RuntimeFunctionArn: runtimeFunctionArn }),
    );
    pipelineMachine(
      this,
      'DataQuality',
      dataQuality.definitionFile,
      dataQuality.definitionSubstitutions({ ClusterId }),
      dataQuality.policyDocument({ ...pseudo, ClusterId }),
    );
    pipelineMachine(
      this,
      'MvRefresh',
      mvRefresh.definitionFile,
      mvRefresh.definitionSubstitutions({
        ClusterId,
        DatabaseSecretArn: databaseSecretArn,
        StateTableName: stateTableName,
      }),
      mvRefresh.policyDocument({
        ...pseudo,
        ClusterId,
        DatabaseSecretArn: databaseSecretArn,
        StateTableName: stateTableName,
      }),
    );
    pipelineMachine(
      this,
      'ServerlessOrders',
      serverlessOrders.definitionFile,
      serverlessOrders.definitionSubstitutions({ DatabaseSecretArn: databaseSecretArn, WorkgroupName: 'orders-wg' }),
      serverlessOrders.policyDocument({ ...pseudo, DatabaseSecretArn: databaseSecretArn, WorkgroupId: workgroupId }),
    );
  }
}

/** The app: one stack. `outdir` is where `synth()` writes the cloud assembly. */
export function pipelinesApp(options: { runtimeZip: string; outdir?: string }): App {
  const app = new App({
    ...(options.outdir !== undefined ? { outdir: options.outdir } : {}),
    analyticsReporting: false,
  });
  new PipelinesStack(app, 'RedshiftPipelines', { runtimeZip: options.runtimeZip });
  return app;
}
