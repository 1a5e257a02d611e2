// The least-privilege policy of a state machine's role, derived from the compiled machine itself:
// every Task's Resource names an action, its Parameters name the resource. So the policy holds
// exactly the actions the machine uses; an integration this module does not know is an error.
import type { Branch, JsonValue, State, StateMachine, TaskState } from '../compile/asl.ts';
import { PLACEHOLDER_PATTERN } from '../load/placeholders.ts';

export const IAM_FILE_SUFFIX = '.iam.json';

/** CloudFormation pseudo parameters, written as `Fn::Sub` (and CDK's `Fn.sub`) read them. */
export const AWS_PSEUDO = { partition: '${AWS::Partition}', region: '${AWS::Region}', account: '${AWS::AccountId}' } as const;
export const AWS_PSEUDO_KEYS = ['AWS::Partition', 'AWS::Region', 'AWS::AccountId'] as const;

/**
 * `${aws:userid}` is an IAM policy variable, not a substitution: `${!` is how Fn::Sub writes a
 * literal `${`, so the deployed policy holds `${aws:userid}`.
 */
export const OWNER_USERID = '${!aws:userid}';

export type PolicyStatement = {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: { readonly [operator: string]: { readonly [key: string]: string } };
};
export type PolicyDocument = { readonly Version: '2012-10-17'; readonly Statement: readonly PolicyStatement[] };

export class PolicyModelError extends Error {
  override readonly name = 'PolicyModelError';
}

const arn = (service: string, resource: string): string => `arn:${AWS_PSEUDO.partition}:${service}:${AWS_PSEUDO.region}:${AWS_PSEUDO.account}:${resource}`;

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

function lambdaArn(functionName: string): string {
  return functionName.startsWith('arn:') || isPlaceholder(functionName) ? functionName : arn('lambda', `function:${functionName}`);
}

function* tasks(branch: Branch): Generator<[string, TaskState]> {
  for (const [name, state] of Object.entries(branch.States) as [string, State][]) {
    if (state.Type === 'Task') yield [name, state];
    if (state.Type === 'Parallel') for (const inner of state.Branches) yield* tasks(inner);
  }
}

function text(task: [string, TaskState], field: string, value: JsonValue | undefined): string {
  if (typeof value !== 'string') throw new PolicyModelError(`Task '${task[0]}': Parameters.${field} is not a literal string`);
  return value;
}

type Needs = Map<string, Set<string>>;
const need = (needs: Needs, key: string, resource: string): void => {
  let resources = needs.get(key);
  if (!resources) needs.set(key, (resources = new Set()));
  resources.add(resource);
};

const capitalize = (word: string): string => (word[0] as string).toUpperCase() + word.slice(1);

/** Actions (and their resources) one Task needs. */
function taskNeeds(task: [string, TaskState], needs: Needs): void {
  const [, state] = task;
  const parameters = state.Parameters ?? {};
  const dataApi = /^arn:aws:states:::aws-sdk:redshiftdata:(\w+)$/.exec(state.Resource);
  if (dataApi) {
    const action = `redshift-data:${capitalize(dataApi[1] as string)}`;
    if (action !== 'redshift-data:ExecuteStatement' && action !== 'redshift-data:BatchExecuteStatement') {
      need(needs, `owned:${action}`, '*');
      return;
    }
    const database = text(task, 'Database', parameters.Database);
    const secret = parameters.SecretArn === undefined ? undefined : text(task, 'SecretArn', parameters.SecretArn);
    if (parameters.WorkgroupName !== undefined) {
      const workgroup = text(task, 'WorkgroupName', parameters.WorkgroupName);
      need(needs, `run:${action}`, workgroupArn(workgroup));
      if (secret === undefined) need(needs, 'credentials:redshift-serverless:GetCredentials', workgroupArn(workgroup));
    } else {
      const cluster = text(task, 'ClusterIdentifier', parameters.ClusterIdentifier);
      need(needs, `run:${action}`, arn('redshift', `cluster:${cluster}`));
      if (parameters.DbUser !== undefined) {
        const dbUser = text(task, 'DbUser', parameters.DbUser);
        need(needs, 'credentials:redshift:GetClusterCredentials', arn('redshift', `dbuser:${cluster}/${dbUser}`));
        need(needs, 'credentials:redshift:GetClusterCredentials', arn('redshift', `dbname:${cluster}/${database}`));
      } else if (secret === undefined) {
        need(needs, 'credentials:redshift:GetClusterCredentialsWithIAM', arn('redshift', `dbname:${cluster}/${database}`));
      }
    }
    if (secret !== undefined) need(needs, 'secret:secretsmanager:GetSecretValue', secret);
    return;
  }
  const dynamo = /^arn:aws:states:::dynamodb:(putItem|getItem|updateItem|deleteItem)$/.exec(state.Resource);
  if (dynamo) {
    need(needs, `table:dynamodb:${capitalize(dynamo[1] as string)}`, arn('dynamodb', `table/${text(task, 'TableName', parameters.TableName)}`));
    return;
  }
  if (state.Resource === 'arn:aws:states:::aws-sdk:sfn:describeExecution') {
    // The holder of a lock may be any execution of any machine that runs the same SQL.
    need(needs, 'executions:states:DescribeExecution', arn('states', 'execution:*'));
    return;
  }
  if (state.Resource === 'arn:aws:states:::lambda:invoke' || state.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
    need(needs, 'lambda:lambda:InvokeFunction', lambdaArn(text(task, 'FunctionName', parameters.FunctionName)));
    return;
  }
  throw new PolicyModelError(`Task '${task[0]}': no IAM mapping for Resource ${state.Resource}`);
}

const ACTION_ORDER = [
  'redshift-data:ExecuteStatement',
  'redshift-data:BatchExecuteStatement',
  'redshift-data:DescribeStatement',
  'redshift-data:CancelStatement',
  'redshift-data:GetStatementResult',
  'redshift:GetClusterCredentials',
  'redshift:GetClusterCredentialsWithIAM',
  'redshift-serverless:GetCredentials',
  'secretsmanager:GetSecretValue',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'states:DescribeExecution',
  'lambda:InvokeFunction',
];
const byActionOrder = (a: string, b: string): number => ACTION_ORDER.indexOf(a) - ACTION_ORDER.indexOf(b);

const GROUPS: readonly { readonly group: string; readonly sid: (actions: readonly string[]) => string }[] = [
  {
    group: 'run',
    sid: (actions) => (actions.length > 1 ? 'RunStatements' : actions[0] === 'redshift-data:ExecuteStatement' ? 'ExecuteStatements' : 'BatchExecuteStatements'),
  },
  { group: 'owned', sid: () => 'OwnStatements' },
  { group: 'credentials', sid: (actions) => ({ 'redshift:GetClusterCredentials': 'ClusterCredentials', 'redshift:GetClusterCredentialsWithIAM': 'ClusterIamCredentials' })[actions[0] as string] ?? 'WorkgroupCredentials' },
  { group: 'secret', sid: () => 'DatabaseSecrets' },
  { group: 'table', sid: () => 'StateTable' },
  { group: 'executions', sid: () => 'JudgeStaleLocks' },
  { group: 'lambda', sid: () => 'InvokeRuntime' },
];

/** The role policy of a machine: exactly the actions its Tasks use, on the resources they name. */
export function machinePolicy(machine: Pick<StateMachine, 'StartAt' | 'States'>): PolicyDocument {
  const needs: Needs = new Map();
  for (const task of tasks(machine)) taskNeeds(task, needs);
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
    const entries = [...byResources].map(([resources, actions]) => ({ resources: JSON.parse(resources) as string[], actions: actions.sort(byActionOrder) }));
    entries.sort((a, b) => byActionOrder(a.actions[0] as string, b.actions[0] as string));
    for (const { resources, actions } of entries) {
      const name = unique(sid(actions));
      if (group === 'owned') {
        // These take no resource: only the statements this role submitted.
        statements.push({ Sid: name, Effect: 'Allow', Action: actions, Resource: '*', Condition: { StringEquals: { 'redshift-data:statement-owner-iam-userid': OWNER_USERID } } });
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
export function policySubstitutionKeys(policyText: string): string[] {
  const names = new Set<string>();
  for (const match of policyText.matchAll(/\$\{([A-Za-z][A-Za-z0-9_]*(?:::[A-Za-z]+)?)\}/g)) names.add(match[1] as string);
  const pseudo = AWS_PSEUDO_KEYS.filter((key) => names.has(key));
  return [...pseudo, ...[...names].filter((name) => !pseudo.includes(name as (typeof AWS_PSEUDO_KEYS)[number])).sort()];
}

/** `${Name}` keys of a definition: what DefinitionSubstitutions must give. */
export function definitionSubstitutionKeys(definitionText: string): string[] {
  return [...new Set([...definitionText.matchAll(PLACEHOLDER_PATTERN)].map((match) => match[1] as string))].sort();
}
