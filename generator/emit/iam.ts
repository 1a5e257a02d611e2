// The least-privilege policy of a state machine's role, from the permissions the compiler collected
// from each Task it built (compile/integrations.ts): exactly the actions the machine uses, on the
// resources they name, grouped into statements by purpose.
import { AWS_PSEUDO, AWS_PSEUDO_KEYS } from '../compile/integrations.ts';
import type { Permission, PermissionPurpose, PipelinePlan } from '../compile/plan.ts';

export const IAM_FILE_SUFFIX = '.iam.json';

export type PolicyStatement = {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: { readonly [operator: string]: { readonly [key: string]: string } };
};
export type PolicyDocument = { readonly Version: '2012-10-17'; readonly Statement: readonly PolicyStatement[] };

const ACTION_ORDER = [
  'redshift-data:ExecuteStatement',
  'redshift-data:BatchExecuteStatement',
  'redshift-data:DescribeStatement',
  'redshift-data:CancelStatement',
  'redshift-data:GetStatementResult',
  'redshift-data:ListStatements',
  'redshift:GetClusterCredentials',
  'redshift:GetClusterCredentialsWithIAM',
  'redshift-serverless:GetCredentials',
  'secretsmanager:GetSecretValue',
  'kms:Decrypt',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'states:DescribeExecution',
  'lambda:InvokeFunction',
];
const byActionOrder = (a: string, b: string): number => ACTION_ORDER.indexOf(a) - ACTION_ORDER.indexOf(b);

const GROUPS: readonly { readonly group: PermissionPurpose; readonly sid: (actions: readonly string[]) => string }[] = [
  {
    group: 'run',
    sid: (actions) =>
      actions.length > 1
        ? 'RunStatements'
        : actions[0] === 'redshift-data:ExecuteStatement'
          ? 'ExecuteStatements'
          : 'BatchExecuteStatements',
  },
  { group: 'owned', sid: () => 'StatementStatus' },
  {
    group: 'credentials',
    sid: (actions) =>
      ({
        'redshift:GetClusterCredentials': 'ClusterCredentials',
        'redshift:GetClusterCredentialsWithIAM': 'ClusterIamCredentials',
      })[actions[0] as string] ?? 'WorkgroupCredentials',
  },
  { group: 'secret', sid: () => 'DatabaseSecrets' },
  { group: 'kms', sid: () => 'DecryptDatabaseSecrets' },
  { group: 'table', sid: () => 'StateTable' },
  { group: 'executions', sid: () => 'JudgeStaleLocks' },
  { group: 'lambda', sid: () => 'InvokeRuntime' },
  // The reaper acts in its own execution's session: statements of this role, any session (the
  // Data API lists and cancels only the caller role's statements).
  { group: 'reaper', sid: () => 'ReapStoppedExecutions' },
];

/** Resources per `purpose:action`, in the order the Tasks need them. */
function resourcesByAction(permissions: readonly Permission[]): Map<string, Set<string>> {
  const needs = new Map<string, Set<string>>();
  for (const { purpose, action, resource } of permissions) {
    const key = `${purpose}:${action}`;
    needs.set(key, (needs.get(key) ?? new Set()).add(resource));
  }
  return needs;
}

/** The role policy of a machine: exactly the actions its Tasks use, on the resources they name. */
export function machinePolicy(plan: Pick<PipelinePlan, 'permissions'>): PolicyDocument {
  const needs = resourcesByAction(plan.permissions);
  const statements: PolicyStatement[] = [];
  const sids = new Set<string>();
  const unique = (sid: string): string => {
    let candidate = sid;
    for (let index = 2; sids.has(candidate); index += 1) candidate = `${sid}${index}`;
    sids.add(candidate);
    return candidate;
  };
  for (const { group, sid } of GROUPS) {
    // Actions of the group that need the same resources share a statement.
    const byResources = new Map<string, string[]>();
    for (const [key, resources] of needs) {
      if (!key.startsWith(`${group}:`)) continue;
      const action = key.slice(group.length + 1);
      const resourceKey = JSON.stringify([...resources].sort());
      byResources.set(resourceKey, [...(byResources.get(resourceKey) ?? []), action]);
    }
    const entries = [...byResources].map(([resources, actions]) => ({
      resources: JSON.parse(resources) as string[],
      actions: actions.sort(byActionOrder),
    }));
    entries.sort((a, b) => byActionOrder(a.actions[0] as string, b.actions[0] as string));
    for (const { resources, actions } of entries) {
      const name = unique(sid(actions));
      if (group === 'owned') {
        // These take no resource. No `redshift-data:statement-owner-iam-userid = ${aws:userid}`
        // condition: for an assumed role aws:userid is `role-id:session-name`, and Step Functions
        // does not promise one role session for all the Tasks of an execution, so a poll could be
        // denied the statement its own machine submitted. AWS's guide ("Authorizing access to the
        // Amazon Redshift Data API") drops the condition for access by other sessions of the role.
        statements.push({ Sid: name, Effect: 'Allow', Action: actions, Resource: '*' });
      } else if (group === 'kms') {
        // Only as Secrets Manager uses it for the secret the Data API reads with the machine's
        // credentials ("Secret encryption and decryption in AWS Secrets Manager": GetSecretValue's
        // caller needs kms:Decrypt on a customer-managed key; kms:ViaService limits it to that use).
        statements.push({
          Sid: name,
          Effect: 'Allow',
          Action: actions,
          Resource: resources,
          Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${AWS_PSEUDO.region}.amazonaws.com` } },
        });
      } else if (group === 'reaper') {
        // The Data API lists only the caller role's statements (ListStatements RoleLevel).
        statements.push({ Sid: name, Effect: 'Allow', Action: actions, Resource: '*' });
      } else {
        statements.push({ Sid: name, Effect: 'Allow', Action: actions, Resource: resources });
      }
    }
  }
  return { Version: '2012-10-17', Statement: statements };
}

export function renderPolicy(policy: PolicyDocument): string {
  return `${JSON.stringify(policy, null, 2)}\n`;
}

/** `${Name}` keys a policy needs substituted (pseudo parameters first), `${!…}` literals aside. */
export function policySubstitutionKeys(policy: PolicyDocument): string[] {
  const names = new Set<string>();
  const texts = policy.Statement.flatMap((statement) => [
    ...[statement.Resource].flat(),
    ...Object.values(statement.Condition ?? {}).flatMap((values) => Object.values(values)),
  ]);
  for (const text of texts) {
    for (const match of text.matchAll(/\$\{([A-Za-z][A-Za-z0-9_]*(?:::[A-Za-z]+)?)\}/g)) names.add(match[1] as string);
  }
  const pseudo = AWS_PSEUDO_KEYS.filter((key) => names.has(key));
  return [...pseudo, ...[...names].filter((name) => !pseudo.includes(name as (typeof AWS_PSEUDO_KEYS)[number])).sort()];
}
