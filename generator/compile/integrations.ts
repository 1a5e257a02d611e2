// The service integrations generated Tasks call, each with the IAM action it needs, and the
// permissions a Task collects when it is built (as CDK's Task states carry `policyStatements`).
// The compiler knows the resources from the spec: nothing downstream parses a Resource or an ARN.
import type { Target } from '../load/model.ts';
import type { Integration, Permission } from './plan.ts';

/** A Task's `Resource` and what calling it takes. */
export type ServiceCall = { readonly resource: string; readonly integration: Integration; readonly action: string };

const call = (integration: Integration, resource: string, action: string): ServiceCall => ({
  resource,
  integration,
  action,
});

export const DATA_API = {
  executeStatement: call(
    'redshift-data',
    'arn:aws:states:::aws-sdk:redshiftdata:executeStatement',
    'redshift-data:ExecuteStatement',
  ),
  batchExecuteStatement: call(
    'redshift-data',
    'arn:aws:states:::aws-sdk:redshiftdata:batchExecuteStatement',
    'redshift-data:BatchExecuteStatement',
  ),
  describeStatement: call(
    'redshift-data',
    'arn:aws:states:::aws-sdk:redshiftdata:describeStatement',
    'redshift-data:DescribeStatement',
  ),
  cancelStatement: call(
    'redshift-data',
    'arn:aws:states:::aws-sdk:redshiftdata:cancelStatement',
    'redshift-data:CancelStatement',
  ),
  getStatementResult: call(
    'redshift-data',
    'arn:aws:states:::aws-sdk:redshiftdata:getStatementResult',
    'redshift-data:GetStatementResult',
  ),
  listStatements: call(
    'redshift-data',
    'arn:aws:states:::aws-sdk:redshiftdata:listStatements',
    'redshift-data:ListStatements',
  ),
} as const;

export const DYNAMODB = {
  putItem: call('dynamodb', 'arn:aws:states:::dynamodb:putItem', 'dynamodb:PutItem'),
  getItem: call('dynamodb', 'arn:aws:states:::dynamodb:getItem', 'dynamodb:GetItem'),
  updateItem: call('dynamodb', 'arn:aws:states:::dynamodb:updateItem', 'dynamodb:UpdateItem'),
  deleteItem: call('dynamodb', 'arn:aws:states:::dynamodb:deleteItem', 'dynamodb:DeleteItem'),
} as const;

export const DESCRIBE_EXECUTION = call(
  'states',
  'arn:aws:states:::aws-sdk:sfn:describeExecution',
  'states:DescribeExecution',
);

export const LAMBDA = {
  invoke: call('lambda', 'arn:aws:states:::lambda:invoke', 'lambda:InvokeFunction'),
  invokeWaitForTaskToken: call('lambda', 'arn:aws:states:::lambda:invoke.waitForTaskToken', 'lambda:InvokeFunction'),
} as const;

/** CloudFormation pseudo parameters, written as `Fn::Sub` (and CDK's `Fn.sub`) read them. */
export const AWS_PSEUDO = {
  partition: '${AWS::Partition}',
  region: '${AWS::Region}',
  account: '${AWS::AccountId}',
} as const;
export const AWS_PSEUDO_KEYS = ['AWS::Partition', 'AWS::Region', 'AWS::AccountId'] as const;

const arn = (service: string, resource: string): string =>
  `arn:${AWS_PSEUDO.partition}:${service}:${AWS_PSEUDO.region}:${AWS_PSEUDO.account}:${resource}`;

/**
 * The placeholder standing for a workgroup's id in its ARN (IAM authorizes Redshift Serverless by
 * workgroup id, which its name does not give): `${WorkgroupName}` → `${WorkgroupId}`,
 * `${Wg}` → `${WgId}`, `analytics-wg` → `${WorkgroupAnalyticsWgId}`.
 */
export function workgroupIdKey(workgroup: string): string {
  const whole = /^\$\{([A-Za-z][A-Za-z0-9_]*)\}$/.exec(workgroup);
  if (whole) {
    const name = whole[1] as string;
    const stem = name.endsWith('Name') && name.length > 4 ? name.slice(0, -4) : name;
    return `${stem}Id`;
  }
  const words = workgroup.replace(/\$\{!?/g, ' ').match(/[A-Za-z0-9]+/g) ?? [];
  return `Workgroup${words.map((word) => (word[0] as string).toUpperCase() + word.slice(1)).join('')}Id`;
}

export function workgroupArn(workgroup: string): string {
  return arn('redshift-serverless', `workgroup/\${${workgroupIdKey(workgroup)}}`);
}

function isPlaceholder(text: string): boolean {
  return /^\$\{[A-Za-z][A-Za-z0-9_]*\}$/.test(text);
}

/** A function name, a placeholder or an ARN, as IAM's Resource for lambda:InvokeFunction. */
export function lambdaArn(functionName: string): string {
  return functionName.startsWith('arn:') || isPlaceholder(functionName)
    ? functionName
    : arn('lambda', `function:${functionName}`);
}

const permission = (purpose: Permission['purpose'], action: string, resource: string): Permission => ({
  purpose,
  action,
  resource,
});

/**
 * A Data API call. Submitting runs SQL on the target as the role (or the secret's user); every
 * other call only reaches statements this role submitted (no resource, an owner condition).
 */
export function dataApiPermissions(api: ServiceCall, target: Target): Permission[] {
  if (api !== DATA_API.executeStatement && api !== DATA_API.batchExecuteStatement)
    return [permission('owned', api.action, '*')];
  const { secretArn, database } = target;
  const permissions: Permission[] = [];
  if (target.kind === 'workgroup') {
    permissions.push(permission('run', api.action, workgroupArn(target.workgroup)));
    if (secretArn === undefined)
      permissions.push(permission('credentials', 'redshift-serverless:GetCredentials', workgroupArn(target.workgroup)));
  } else {
    const { cluster, dbUser } = target;
    permissions.push(permission('run', api.action, arn('redshift', `cluster:${cluster}`)));
    if (dbUser !== undefined) {
      permissions.push(
        permission('credentials', 'redshift:GetClusterCredentials', arn('redshift', `dbuser:${cluster}/${dbUser}`)),
      );
      permissions.push(
        permission('credentials', 'redshift:GetClusterCredentials', arn('redshift', `dbname:${cluster}/${database}`)),
      );
    } else if (secretArn === undefined) {
      permissions.push(
        permission(
          'credentials',
          'redshift:GetClusterCredentialsWithIAM',
          arn('redshift', `dbname:${cluster}/${database}`),
        ),
      );
    }
  }
  if (secretArn !== undefined) permissions.push(permission('secret', 'secretsmanager:GetSecretValue', secretArn));
  // A secret under a customer-managed key: Secrets Manager decrypts it with the caller's permissions.
  if (target.secretKmsKeyArn !== undefined) permissions.push(permission('kms', 'kms:Decrypt', target.secretKmsKeyArn));
  return permissions;
}

export function tablePermissions(api: ServiceCall, table: string): Permission[] {
  return [permission('table', api.action, arn('dynamodb', `table/${table}`))];
}

/** The holder of a lock may be any execution of any machine that runs the same SQL. */
export function describeExecutionPermissions(): Permission[] {
  return [permission('executions', DESCRIBE_EXECUTION.action, arn('states', 'execution:*'))];
}

/**
 * The function, and its versions and aliases (`<arn>:*`): a qualified ARN or a Qualifier invokes
 * `function:name:qualifier`, which the unqualified ARN alone does not allow (as the policies Step
 * Functions generates for Lambda Tasks list both). An ARN already qualified is allowed as it is.
 */
export function invokePermissions(api: ServiceCall, functionName: string): Permission[] {
  const resource = lambdaArn(functionName);
  const qualified =
    !functionName.includes('${') && functionName.split(':').length > (functionName.startsWith('arn:') ? 7 : 1);
  return [
    permission('lambda', api.action, resource),
    ...(qualified ? [] : [permission('lambda', api.action, `${resource}:*`)]),
  ];
}
