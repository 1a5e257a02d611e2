// Role policies: exactly the actions the compiled machine's Tasks use, on the resources they name,
// never `*` where IAM takes a resource, with placeholders Fn::Sub resolves.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Branch, State, StateMachine } from '../../generator/compile/asl.ts';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { workgroupIdKey } from '../../generator/compile/integrations.ts';
import { statementStepPlans } from '../../generator/compile/plan.ts';
import { machinePolicy, policySubstitutionKeys, type PolicyDocument } from '../../generator/emit/iam.ts';
import { loadPipeline } from '../../generator/load/load.ts';
import { pipelineFrom } from './helpers.ts';

const root = join(import.meta.dirname, '../..');

/** The IAM action of each Step Functions integration the compiler uses, written out independently. */
const ACTION_OF: Record<string, string> = {
  'arn:aws:states:::aws-sdk:redshiftdata:executeStatement': 'redshift-data:ExecuteStatement',
  'arn:aws:states:::aws-sdk:redshiftdata:batchExecuteStatement': 'redshift-data:BatchExecuteStatement',
  'arn:aws:states:::aws-sdk:redshiftdata:describeStatement': 'redshift-data:DescribeStatement',
  'arn:aws:states:::aws-sdk:redshiftdata:cancelStatement': 'redshift-data:CancelStatement',
  'arn:aws:states:::aws-sdk:redshiftdata:getStatementResult': 'redshift-data:GetStatementResult',
  'arn:aws:states:::dynamodb:putItem': 'dynamodb:PutItem',
  'arn:aws:states:::dynamodb:getItem': 'dynamodb:GetItem',
  'arn:aws:states:::dynamodb:updateItem': 'dynamodb:UpdateItem',
  'arn:aws:states:::dynamodb:deleteItem': 'dynamodb:DeleteItem',
  'arn:aws:states:::aws-sdk:sfn:describeExecution': 'states:DescribeExecution',
  'arn:aws:states:::lambda:invoke': 'lambda:InvokeFunction',
  'arn:aws:states:::lambda:invoke.waitForTaskToken': 'lambda:InvokeFunction',
};
const CREDENTIALS = [
  'redshift:GetClusterCredentials',
  'redshift:GetClusterCredentialsWithIAM',
  'redshift-serverless:GetCredentials',
  'secretsmanager:GetSecretValue',
];

function taskResources(branch: Branch): string[] {
  return Object.values(branch.States).flatMap((state: State) => [
    ...(state.Type === 'Task' ? [state.Resource] : []),
    ...(state.Type === 'Parallel' ? state.Branches.flatMap(taskResources) : []),
  ]);
}

function taskNames(branch: Branch): string[] {
  return Object.entries(branch.States).flatMap(([name, state]: [string, State]) => [
    ...(state.Type === 'Task' ? [name] : []),
    ...(state.Type === 'Parallel' ? state.Branches.flatMap(taskNames) : []),
  ]);
}

const actions = (policy: PolicyDocument) => policy.Statement.flatMap((statement) => statement.Action);
const statement = (policy: PolicyDocument, sid: string) => policy.Statement.find((item) => item.Sid === sid);

/** What CloudFormation's Fn::Sub makes of the policy text. */
function fnSub(text: string, variables: Record<string, string>): string {
  return text.replace(/\$\{(!?)([^}]*)\}/g, (whole, literal: string, name: string) => {
    if (literal === '!') return `\${${name}}`;
    const value = variables[name];
    if (value === undefined) throw new Error(`Fn::Sub: unresolved ${whole}`);
    return value;
  });
}
const PSEUDO = { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '123456789012' };

describe('role policies of the examples', () => {
  const files = readdirSync(join(root, 'examples/asl')).filter((file) => file.endsWith('.iam.json'));

  it('exist for every definition', () => {
    expect(files.map((file) => file.replace('.iam.json', ''))).toEqual(
      readdirSync(join(root, 'examples/asl'))
        .filter((file) => file.endsWith('.asl.json'))
        .map((file) => file.replace('.asl.json', '')),
    );
  });

  it.each(files)('%s: exactly the machine’s actions, resources scoped, placeholders resolvable', (file) => {
    const text = readFileSync(join(root, 'examples/asl', file), 'utf8');
    const policy = JSON.parse(text) as PolicyDocument;
    const machine = JSON.parse(
      readFileSync(join(root, 'examples/asl', file.replace('.iam.json', '.asl.json')), 'utf8'),
    ) as StateMachine;
    const used = new Set(taskResources(machine).map((resource) => ACTION_OF[resource] ?? `unknown ${resource}`));
    // The reaper machine (cleanup: cancel-on-stop) runs as this role: it lists and cancels statements.
    const reaper = policy.Statement.find((item) => item.Sid === 'ReapStoppedExecutions');
    if (reaper) for (const action of reaper.Action) used.add(action);
    expect(new Set(actions(policy).filter((action) => !CREDENTIALS.includes(action)))).toEqual(used);
    expect(new Set(policy.Statement.map((item) => item.Sid)).size).toBe(policy.Statement.length);
    for (const item of policy.Statement) {
      expect(item.Sid).toMatch(/^[A-Za-z0-9]+$/);
      if (item.Sid === 'ReapStoppedExecutions') {
        expect([item.Action, item.Resource, item.Condition]).toEqual([
          ['redshift-data:ListStatements'],
          '*',
          undefined,
        ]);
      } else if (item.Resource === '*') {
        // Only the statement actions that take no resource, with no owner-session condition.
        expect(
          item.Action.every((action) =>
            [
              'redshift-data:DescribeStatement',
              'redshift-data:CancelStatement',
              'redshift-data:GetStatementResult',
            ].includes(action),
          ),
        ).toBe(true);
        expect(item.Condition).toBeUndefined();
      } else {
        for (const resource of item.Resource) expect(resource).not.toBe('*');
      }
    }
    const keys = policySubstitutionKeys(policy);
    const values = Object.fromEntries(
      keys.map((key) => [key, key in PSEUDO ? PSEUDO[key as keyof typeof PSEUDO] : `v-${key}`]),
    );
    const deployed = JSON.parse(fnSub(text, values)) as PolicyDocument;
    for (const item of deployed.Statement) {
      for (const resource of [item.Resource].flat())
        if (resource !== '*' && !resource.startsWith('v-'))
          expect(resource).toMatch(/^arn:aws:[a-z-]+:eu-west-1:123456789012:\S+$/);
    }
    // Below IAM's inline role policy limit (10,240 characters without whitespace).
    expect(text.replace(/\s/g, '').length).toBeLessThan(10_240);
  });
});

function policyOf(yaml: string): PolicyDocument {
  return machinePolicy(compilePipeline(pipelineFrom(yaml)));
}
const head = (target: string, extra = '') => `version: 1\npipeline: p\n${extra}target: ${target}\nsteps:\n`;
const ARN = (service: string, rest: string) =>
  `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${rest}`;

describe('credentials by target', () => {
  it('cluster with dbUser: GetClusterCredentials on the dbuser and dbname', () => {
    const policy = policyOf(
      `${head('{ cluster: analytics, database: dev, dbUser: etl }')}  - { id: a, sql: select 1 }\n`,
    );
    expect(statement(policy, 'ClusterCredentials')).toEqual({
      Sid: 'ClusterCredentials',
      Effect: 'Allow',
      Action: ['redshift:GetClusterCredentials'],
      Resource: [ARN('redshift', 'dbname:analytics/dev'), ARN('redshift', 'dbuser:analytics/etl')],
    });
    expect(statement(policy, 'ExecuteStatements')?.Resource).toEqual([ARN('redshift', 'cluster:analytics')]);
    expect(actions(policy)).not.toContain('secretsmanager:GetSecretValue');
  });

  it('cluster with the caller’s IAM identity: GetClusterCredentialsWithIAM on the dbname', () => {
    const policy = policyOf(`${head('{ cluster: "${ClusterId}", database: dev }')}  - { id: a, sql: select 1 }\n`);
    expect(statement(policy, 'ClusterIamCredentials')?.Resource).toEqual([ARN('redshift', 'dbname:${ClusterId}/dev')]);
    expect(actions(policy)).not.toContain('redshift:GetClusterCredentials');
  });

  it('a secret: GetSecretValue on it and nothing of Redshift’s credentials', () => {
    const policy = policyOf(
      `${head('{ cluster: c, database: dev, secretArn: "${Secret}" }')}  - { id: a, sql: select 1 }\n`,
    );
    expect(statement(policy, 'DatabaseSecrets')?.Resource).toEqual(['${Secret}']);
    expect(
      actions(policy).filter((action) => action.startsWith('redshift:') || action.startsWith('redshift-serverless:')),
    ).toEqual([]);
  });

  it('a workgroup without a secret: GetCredentials on the workgroup, whose ARN holds its id', () => {
    const policy = policyOf(
      `${head('{ workgroup: "${WorkgroupName}", database: dev }')}  - { id: a, sqls: [select 1, select 2] }\n`,
    );
    const workgroup = ARN('redshift-serverless', 'workgroup/${WorkgroupId}');
    expect(statement(policy, 'BatchExecuteStatements')?.Resource).toEqual([workgroup]);
    expect(statement(policy, 'WorkgroupCredentials')).toMatchObject({
      Action: ['redshift-serverless:GetCredentials'],
      Resource: [workgroup],
    });
    expect(policySubstitutionKeys(policy)).toEqual(['AWS::Partition', 'AWS::Region', 'AWS::AccountId', 'WorkgroupId']);
  });

  it('steps on other targets add their resources; actions needing the same resources share a statement', () => {
    const policy = policyOf(
      `${head('{ cluster: a, database: dev, dbUser: etl }')}  - { id: one, sql: select 1 }\n  - { id: two, sqls: [select 1], target: { cluster: b } }\n  - { id: three, sql: select 1, target: { workgroup: wg, secretArn: "arn:aws:secretsmanager:eu-west-1:1:secret:s" } }\n`,
    );
    expect(statement(policy, 'ExecuteStatements')?.Resource).toEqual([
      ARN('redshift-serverless', 'workgroup/${WorkgroupWgId}'),
      ARN('redshift', 'cluster:a'),
    ]);
    expect(statement(policy, 'BatchExecuteStatements')?.Resource).toEqual([ARN('redshift', 'cluster:b')]);
    expect(statement(policy, 'ClusterCredentials')?.Resource).toEqual([
      ARN('redshift', 'dbname:a/dev'),
      ARN('redshift', 'dbname:b/dev'),
      ARN('redshift', 'dbuser:a/etl'),
      ARN('redshift', 'dbuser:b/etl'),
    ]);
    expect(statement(policy, 'DatabaseSecrets')?.Resource).toEqual(['arn:aws:secretsmanager:eu-west-1:1:secret:s']);
  });
});

describe('by step kind', () => {
  it('results add GetStatementResult; a plain statement does not need it', () => {
    expect(actions(policyOf(`${head('{ cluster: c, database: d }')}  - { id: a, sql: select 1 }\n`))).not.toContain(
      'redshift-data:GetStatementResult',
    );
    expect(
      actions(policyOf(`${head('{ cluster: c, database: d }')}  - { id: a, sql: select 1, results: true }\n`)),
    ).toContain('redshift-data:GetStatementResult');
  });

  it('long polling (WaitTimeSeconds) needs no other permission: the same policy as the backoff loop', () => {
    const steps = '  - { id: a, sql: select 1, results: true }\n  - { id: b, sqls: [select 1], singleton: true }\n';
    const backoff = policyOf(`${head('{ cluster: c, database: d, dbUser: u }')}${steps}`);
    const longPoll = policyOf(
      `${head('{ cluster: c, database: d, dbUser: u }', 'defaults: { poll: { longPoll: 30s } }\n')}${steps}`,
    );
    expect(longPoll).toEqual(backoff);
  });

  it('poll singleton: the state table’s four item actions and DescribeExecution for stale locks', () => {
    const policy = policyOf(
      `${head('{ cluster: c, database: d }', 'stateTable: locks-prod\n')}  - { id: a, sql: select 1, singleton: true }\n`,
    );
    expect(statement(policy, 'StateTable')).toEqual({
      Sid: 'StateTable',
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      Resource: [ARN('dynamodb', 'table/locks-prod')],
    });
    expect(statement(policy, 'JudgeStaleLocks')).toMatchObject({
      Action: ['states:DescribeExecution'],
      Resource: [ARN('states', 'execution:*')],
    });
  });

  it('callback steps only invoke the runtime; its own role does the rest (singleton included)', () => {
    const policy = policyOf(
      `${head('{ cluster: c, database: d, dbUser: u }', 'mode: callback\n')}  - { id: a, sql: select 1, singleton: true, results: true }\n`,
    );
    // The function and its versions and aliases: a qualified ARN substituted later is allowed too.
    expect(policy.Statement).toEqual([
      {
        Sid: 'InvokeRuntime',
        Effect: 'Allow',
        Action: ['lambda:InvokeFunction'],
        Resource: ['${RuntimeFunctionArn}', '${RuntimeFunctionArn}:*'],
      },
    ]);
    const named = policyOf(
      `${head('{ cluster: c, database: d }', 'mode: callback\nruntimeFunctionArn: sfn-redshift-runtime\n')}  - { id: a, sql: select 1 }\n`,
    );
    expect(statement(named, 'InvokeRuntime')?.Resource).toEqual([
      ARN('lambda', 'function:sfn-redshift-runtime'),
      ARN('lambda', 'function:sfn-redshift-runtime:*'),
    ]);
    const alias = policyOf(
      `${head('{ cluster: c, database: d }', 'mode: callback\nruntimeFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:rt:live"\n')}  - { id: a, sql: select 1 }\n`,
    );
    expect(statement(alias, 'InvokeRuntime')?.Resource).toEqual([
      'arn:aws:lambda:eu-west-1:123456789012:function:rt:live',
    ]);
  });

  it("every Task of the machine carries its permissions in the plan (CDK: a Task state's policyStatements)", () => {
    const plan = compilePipeline(
      pipelineFrom(
        `${head('{ cluster: c, database: d }', 'stateTable: locks\n')}  - { id: a, sql: select 1, singleton: true, results: true }\n`,
      ),
    );
    const tasks = statementStepPlans(plan.steps).flatMap((step) => step.tasks);
    expect(tasks.map((task) => task.state).sort()).toEqual(taskNames(plan.machine).sort());
    for (const task of tasks) expect(task.permissions.length).toBeGreaterThan(0);
  });
});

describe('on AWS: a poll from another role session, a customer-managed secret key', () => {
  // For an assumed role aws:userid is `role-id:session-name`; Step Functions does not promise one
  // session for all Tasks of an execution. The statement actions must not depend on the session.
  it('DescribeStatement/CancelStatement/GetStatementResult are allowed whichever session submitted', () => {
    const policy = policyOf(`${head('{ cluster: c, database: d }')}  - { id: a, sql: select 1, results: true }\n`);
    const status = statement(policy, 'StatementStatus');
    expect(status).toEqual({
      Sid: 'StatementStatus',
      Effect: 'Allow',
      Action: ['redshift-data:DescribeStatement', 'redshift-data:CancelStatement', 'redshift-data:GetStatementResult'],
      Resource: '*',
    });
    expect(JSON.stringify(policy)).not.toContain('statement-owner-iam-userid');
  });

  it('secretKmsKeyArn adds kms:Decrypt on that key only; a step naming dbUser drops it', () => {
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const policy = policyOf(
      `${head(`{ cluster: c, database: d, secretArn: "arn:aws:secretsmanager:eu-west-1:1:secret:s", secretKmsKeyArn: "${key}" }`)}  - { id: a, sql: select 1 }\n  - { id: b, sql: select 2, target: { dbUser: u } }\n`,
    );
    expect(statement(policy, 'DecryptDatabaseSecrets')).toEqual({
      Sid: 'DecryptDatabaseSecrets',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [key],
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.${AWS::Region}.amazonaws.com' } },
    });
    // The condition's placeholder is substituted like the resources' (Fn::Sub, CDK Fn.sub).
    expect(policySubstitutionKeys(policy)).toContain('AWS::Region');
    const none = policyOf(
      `${head('{ cluster: c, database: d, secretArn: "arn:aws:secretsmanager:eu-west-1:1:secret:s" }')}  - { id: a, sql: select 1 }\n`,
    );
    expect(actions(none)).not.toContain('kms:Decrypt');
  });

  it('secretKmsKeyArn without secretArn is a spec error naming the field', () => {
    const { errors } = loadPipeline({
      path: '/specs/k.yaml',
      text: `${head('{ cluster: c, database: d, dbUser: u, secretKmsKeyArn: "arn:aws:kms:eu-west-1:1:key/k" }')}  - { id: a, sql: select 1 }\n`,
    });
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/^\/specs\/k\.yaml:\d+:\d+: target\.secretKmsKeyArn: .*give secretArn too/),
    ]);
  });
});

describe('workgroup id placeholders', () => {
  it.each([
    ['${WorkgroupName}', 'WorkgroupId'],
    ['${Wg}', 'WgId'],
    ['${Name}', 'NameId'],
    ['analytics-wg', 'WorkgroupAnalyticsWgId'],
    ['${Env}-orders', 'WorkgroupEnvOrdersId'],
  ])('%s → ${%s}', (workgroup, key) => {
    expect(workgroupIdKey(workgroup)).toBe(key);
  });
});
