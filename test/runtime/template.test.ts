// The runtime's CloudFormation template: structure (resources, references, IAM scope, event
// pattern) checked on the parsed template; cfn-lint runs when one is installed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode, type ScalarTag, type CollectionTag } from 'yaml';
import {
  renderRuntimeTemplate,
  RuntimeTemplateError,
  type RuntimeTemplateOptions,
} from '../../generator/emit/runtime-template.ts';
import { statusChangeEvent } from '../../local/redshift-data/events.ts';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

// ---- CloudFormation YAML: short-form tags become their long form ------------------------------

const FUNCTIONS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'Condition',
];
const TAGS: (ScalarTag | CollectionTag)[] = ['Ref', ...FUNCTIONS].flatMap((name) => [
  { tag: `!${name}`, resolve: (value: string) => value } satisfies ScalarTag,
  { tag: `!${name}`, collection: 'seq', resolve: (value) => value } satisfies CollectionTag,
  { tag: `!${name}`, collection: 'map', resolve: (value) => value } satisfies CollectionTag,
]);

function toJson(node: unknown): Json {
  let value: Json;
  if (isMap(node)) {
    value = {};
    for (const pair of node.items) value[String(isScalar(pair.key) ? pair.key.value : pair.key)] = toJson(pair.value);
  } else if (isSeq(node)) {
    value = node.items.map(toJson);
  } else if (isScalar(node)) {
    value = node.value as Json;
  } else {
    value = null;
  }
  const tag = (node as YamlNode | undefined)?.tag;
  if (tag === undefined || !tag.startsWith('!')) return value;
  const name = tag.slice(1);
  if (name === 'Ref' || name === 'Condition') return { [name]: value };
  if (name === 'GetAtt' && typeof value === 'string') return { 'Fn::GetAtt': value.split('.') };
  return { [`Fn::${name}`]: value };
}

function parseTemplate(text: string): Obj {
  const doc = parseDocument(text, { customTags: TAGS });
  expect(doc.errors.map(String)).toEqual([]);
  expect(doc.warnings.map(String)).toEqual([]);
  return toJson(doc.contents) as Obj;
}

const obj = (value: Json | undefined): Obj => {
  expect(value !== null && typeof value === 'object' && !Array.isArray(value), JSON.stringify(value)).toBe(true);
  return value as Obj;
};
const list = (value: Json | undefined): Json[] => (Array.isArray(value) ? value : [value as Json]);

/** Every Ref / GetAtt / Condition / Sub variable names something that exists. */
function checkReferences(template: Obj): void {
  const parameters = new Set(Object.keys(obj(template.Parameters)));
  const resources = new Set(Object.keys(obj(template.Resources)));
  const conditions = new Set(Object.keys(obj(template.Conditions)));
  const pseudo = new Set([
    'AWS::AccountId',
    'AWS::NoValue',
    'AWS::Partition',
    'AWS::Region',
    'AWS::StackName',
    'AWS::StackId',
    'AWS::URLSuffix',
  ]);
  const problems: string[] = [];
  const walk = (value: Json, at: string, subVariables: Set<string> = new Set()): void => {
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) walk(item, `${at}[${index}]`, subVariables);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      if (
        key === 'Ref' &&
        typeof inner === 'string' &&
        !parameters.has(inner) &&
        !resources.has(inner) &&
        !pseudo.has(inner)
      )
        problems.push(`${at}: Ref ${inner}`);
      if (key === 'Fn::GetAtt' && Array.isArray(inner) && !resources.has(String(inner[0])))
        problems.push(`${at}: GetAtt ${inner.join('.')}`);
      if (key === 'Condition' && typeof inner === 'string' && !at.endsWith('Resources') && !conditions.has(inner))
        problems.push(`${at}: Condition ${inner}`);
      if (key === 'Fn::If' && Array.isArray(inner) && !conditions.has(String(inner[0])))
        problems.push(`${at}: If ${String(inner[0])}`);
      if (key === 'Fn::Sub') {
        const [text, variables] = Array.isArray(inner) ? [inner[0], obj(inner[1])] : [inner, {}];
        const local = new Set(Object.keys(variables));
        for (const match of String(text).matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const name = (match[1] ?? '').split('.')[0] ?? '';
          if (!parameters.has(name) && !resources.has(name) && !pseudo.has(name) && !local.has(name))
            problems.push(`${at}: Sub variable ${name}`);
        }
        walk(variables, `${at}.Sub`, local);
        continue;
      }
      walk(inner, `${at}.${key}`, subVariables);
    }
  };
  walk(template.Resources ?? null, 'Resources');
  walk(template.Outputs ?? null, 'Outputs');
  walk(template.Conditions ?? null, 'Conditions');
  expect(problems).toEqual([]);
}

/** The role's statements, each Fn::If resolved to its "true" branch (every branch is checked). */
function statements(template: Obj): Obj[] {
  const role = obj(obj(template.Resources).RuntimeRole);
  const policy = obj(list(obj(role.Properties).Policies)[0] as Json);
  return list(obj(policy.PolicyDocument).Statement).map((statement) => {
    const s = obj(statement);
    return 'Fn::If' in s ? obj((s['Fn::If'] as Json[])[1]) : s;
  });
}

/** EventBridge pattern matching for the forms the template uses: value lists and prefix. */
function matches(pattern: Json, event: Json): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((candidate) =>
      candidate !== null && typeof candidate === 'object' && !Array.isArray(candidate) && 'prefix' in candidate
        ? typeof event === 'string' && event.startsWith(String(candidate.prefix))
        : candidate === event,
    );
  }
  if (pattern === null || typeof pattern !== 'object') return false;
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return false;
  return Object.entries(pattern).every(([key, inner]) => key in event && matches(inner, event[key] ?? null));
}

// ---- renders -------------------------------------------------------------------------------

const variants: Record<string, RuntimeTemplateOptions> = {
  parameters: {},
  localPath: { codeUri: '../runtime/dist', target: { cluster: 'analytics', database: 'dev', dbUser: 'etl' } },
  s3: {
    codeUri: 's3://artifacts-bucket/sfn-redshift/runtime-1.zip',
    target: { workgroup: 'wg', database: 'dev', secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rs' },
    architecture: 'x86_64',
    memorySize: 512,
    timeoutSeconds: 120,
    logRetentionDays: 90,
  },
  customerManagedKey: {
    target: {
      cluster: 'analytics',
      database: 'dev',
      secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rs-etl-AbCdEf',
      secretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    },
  },
};
const rendered = Object.fromEntries(
  Object.entries(variants).map(([name, options]) => [name, renderRuntimeTemplate(options)]),
);
const templates = Object.fromEntries(Object.entries(rendered).map(([name, text]) => [name, parseTemplate(text)]));
const base = templates.parameters as Obj;
const resources = obj(base.Resources);
const props = (name: string, template: Obj = base) => obj(obj(obj(template.Resources)[name]).Properties);

describe('structure', () => {
  it.each(Object.keys(variants))('%s: parses, every reference resolves', (name) => {
    const template = templates[name] as Obj;
    expect(template.AWSTemplateFormatVersion).toBe('2010-09-09');
    expect(template).not.toHaveProperty('Transform');
    checkReferences(template);
  });

  it('is deterministic and ends with one newline', () => {
    expect(renderRuntimeTemplate(variants.localPath)).toBe(rendered.localPath);
    expect(rendered.parameters?.endsWith('\n')).toBe(true);
    expect(rendered.parameters?.endsWith('\n\n')).toBe(false);
  });

  it('state table: pk/sk strings, TTL on expiresAt, on-demand, point-in-time recovery', () => {
    expect(obj(resources.StateTable).Type).toBe('AWS::DynamoDB::Table');
    expect(props('StateTable')).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('Lambda: nodejs22.x, index.handler, code per codeUri, STATE_TABLE and target environment', () => {
    expect(props('RuntimeFunction')).toMatchObject({
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 60,
    });
    expect(props('RuntimeFunction').Code).toEqual({
      S3Bucket: { Ref: 'RuntimeCodeS3Bucket' },
      S3Key: { Ref: 'RuntimeCodeS3Key' },
    });
    expect(props('RuntimeFunction', templates.localPath).Code).toBe('../runtime/dist');
    expect(props('RuntimeFunction', templates.s3).Code).toEqual({
      S3Bucket: 'artifacts-bucket',
      S3Key: 'sfn-redshift/runtime-1.zip',
    });
    expect(props('RuntimeFunction', templates.s3)).toMatchObject({
      Architectures: ['x86_64'],
      MemorySize: 512,
      Timeout: 120,
    });
    expect(obj(templates.localPath?.Parameters)).not.toHaveProperty('RuntimeCodeS3Bucket');
    expect(obj(obj(props('RuntimeFunction').Environment).Variables)).toEqual({
      STATE_TABLE: { Ref: 'StateTable' },
      REDSHIFT_CLUSTER_ID: { Ref: 'ClusterIdentifier' },
      REDSHIFT_WORKGROUP: { Ref: 'WorkgroupName' },
      REDSHIFT_DATABASE: { Ref: 'Database' },
      REDSHIFT_DB_USER: { Ref: 'DbUser' },
      REDSHIFT_SECRET_ARN: { Ref: 'SecretArn' },
      CALLBACK_COMPAT: { Ref: 'CallbackCompat' },
      CLEANUP_STATE_MACHINE_PREFIX: { Ref: 'CleanupStateMachineNamePrefix' },
      CLEANUP_STATE_MACHINE_ARNS: { 'Fn::Join': [',', { Ref: 'CleanupStateMachineArns' }] },
    });
    // Unset by default (this project's answers); the original function's payloads on request.
    expect(obj(obj(templates.parameters?.Parameters).CallbackCompat)).toMatchObject({
      Type: 'String',
      Default: '',
      AllowedValues: ['', 'cdk-stepfunctions-redshift'],
    });
    expect(obj(obj(templates.localPath?.Parameters).ClusterIdentifier).Default).toBe('analytics');
    expect(obj(obj(templates.s3?.Parameters).WorkgroupName).Default).toBe('wg');
  });

  it('the rule matches only this project’s Redshift Data completion events', () => {
    const rule = props('CompletionRule');
    expect(rule.EventPattern).toEqual({
      source: ['aws.redshift-data'],
      'detail-type': ['Redshift Data Statement Status Change'],
      detail: { statementName: [{ prefix: 'sfn-redshift/' }] },
    });
    const context = { region: 'us-east-1', accountId: '123456789012', principal: 'p' };
    const event = (statementName: string | undefined) =>
      statusChangeEvent(
        {
          id: 'i',
          target: { clusterIdentifier: 'c', database: 'dev' },
          redshiftQueryId: 1,
          state: 'FINISHED',
          rows: 1,
          ...(statementName !== undefined ? { statementName } : {}),
        },
        context,
      ) as unknown as Json;
    expect(matches(rule.EventPattern as Json, event('sfn-redshift/nightly/load'))).toBe(true);
    expect(matches(rule.EventPattern as Json, event('other-app/load'))).toBe(false);
    expect(matches(rule.EventPattern as Json, event(undefined))).toBe(false);
    expect(matches(rule.EventPattern as Json, { ...obj(event('sfn-redshift/x/y')), source: 'aws.s3' })).toBe(false);
    expect(rule.Targets).toEqual([{ Id: 'runtime-queue', Arn: { 'Fn::GetAtt': ['EventQueue', 'Arn'] } }]);
  });

  it('the cleanup rule matches only stopped executions of the named state machines, for the runtime and the reaper', () => {
    const rule = obj(obj(base.Resources).CleanupRule);
    expect(rule.Condition).toBe('Cleanup');
    const pattern = obj(obj(rule.Properties).EventPattern);
    expect(pattern.source).toEqual(['aws.states']);
    expect(pattern['detail-type']).toEqual(['Step Functions Execution Status Change']);
    const detail = obj(pattern.detail);
    expect(detail.status).toEqual(['ABORTED', 'TIMED_OUT', 'FAILED']);
    expect(detail.stateMachineArn).toEqual({
      'Fn::If': [
        'HasCleanupArns',
        { Ref: 'CleanupStateMachineArns' },
        [
          {
            prefix: {
              'Fn::Sub':
                'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${CleanupStateMachineNamePrefix}',
            },
          },
        ],
      ],
    });
    const reaper = obj(obj(base.Resources).ReaperStateMachine);
    expect(reaper.Condition).toBe('CleanupWithReaper');
    expect(obj(reaper.Properties).RoleArn).toEqual({ Ref: 'ReaperRoleArn' });
    const definition = JSON.parse(String(obj(reaper.Properties).DefinitionString)) as {
      StartAt: string;
      States: Record<string, unknown>;
    };
    expect(definition.StartAt).toBe('Stopped');
    expect(JSON.stringify(obj(obj(obj(base.Resources).ReaperStartRole).Properties).Policies)).toContain(
      'states:StartExecution',
    );
  });

  it('a schedule invokes the runtime sweep for lost completion events every 5 minutes, allowed for that rule only', () => {
    expect(props('ReconcileSchedule')).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        {
          Id: 'runtime-reconcile',
          Arn: { 'Fn::GetAtt': ['RuntimeFunction', 'Arn'] },
          Input: '{"action":"reconcileStatements"}',
        },
      ],
    });
    expect(props('ReconcilePermission')).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: { Ref: 'RuntimeFunction' },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': ['ReconcileSchedule', 'Arn'] },
    });
  });

  it('SQS between the rule and the Lambda: dead-letter queue, queue policy for the rule only, partial batch failures', () => {
    expect(obj(props('EventQueue').RedrivePolicy)).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] },
      maxReceiveCount: 5,
    });
    expect(props('EventQueue').VisibilityTimeout).toBe(360);
    const policy = props('EventQueuePolicy');
    expect(policy.Queues).toEqual([{ Ref: 'EventQueue' }]);
    expect(obj(policy.PolicyDocument).Statement).toEqual([
      {
        Sid: 'CompletionRule',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': ['EventQueue', 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['CompletionRule', 'Arn'] } } },
      },
      {
        'Fn::If': [
          'Cleanup',
          {
            Sid: 'CleanupRule',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: { 'Fn::GetAtt': ['EventQueue', 'Arn'] },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['CleanupRule', 'Arn'] } } },
          },
          { Ref: 'AWS::NoValue' },
        ],
      },
    ]);
    expect(props('CompletionEvents')).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['EventQueue', 'Arn'] },
      FunctionName: { Ref: 'RuntimeFunction' },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('least privilege: exactly the actions the runtime calls, each on its own resources', () => {
    const all = statements(base);
    const actions = all.flatMap((statement) => list(statement.Action)).sort();
    expect(actions).toEqual(
      [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'dynamodb:UpdateItem',
        'kms:Decrypt',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'redshift-data:BatchExecuteStatement',
        'redshift-data:CancelStatement',
        'redshift-data:DescribeStatement',
        'redshift-data:ExecuteStatement',
        'redshift-data:GetStatementResult',
        'redshift-data:ListStatements',
        'redshift-serverless:GetCredentials',
        'redshift:GetClusterCredentials',
        'redshift:GetClusterCredentialsWithIAM',
        'secretsmanager:GetSecretValue',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ReceiveMessage',
        'states:DescribeExecution',
        'states:SendTaskFailure',
        'states:SendTaskSuccess',
      ].sort(),
    );
    expect(all.every((statement) => statement.Effect === 'Allow')).toBe(true);
    const bySid = new Map(all.map((statement) => [statement.Sid, statement]));
    expect(bySid.get('StateTable')?.Resource).toEqual({ 'Fn::GetAtt': ['StateTable', 'Arn'] });
    // A resource "*" only where the Data API has no resource type, and then only for own statements
    // (ListStatements lists only the caller role's statements).
    expect(bySid.get('CleanupStoppedExecutions')).toMatchObject({
      Action: 'redshift-data:ListStatements',
      Resource: '*',
    });
    for (const statement of all) {
      if (statement.Resource === '*' && statement.Sid !== 'CleanupStoppedExecutions') {
        expect(statement.Sid).toBe('OwnStatements');
        expect(statement.Condition).toEqual({
          StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' },
        });
      }
    }
    expect(JSON.stringify(bySid.get('AnswerTasks')?.Resource)).toContain(':stateMachine:*');
    expect(JSON.stringify(bySid.get('JudgeStaleLocks')?.Resource)).toContain(':execution:*');
    expect(bySid.get('CompletionEvents')?.Resource).toEqual({ 'Fn::GetAtt': ['EventQueue', 'Arn'] });
    expect(bySid.get('Logs')?.Resource).toEqual({ 'Fn::GetAtt': ['RuntimeLogGroup', 'Arn'] });
    expect(props('RuntimeFunction').LoggingConfig).toEqual({ LogGroup: { Ref: 'RuntimeLogGroup' }, LogFormat: 'Text' });
  });

  it('kms:Decrypt only with SecretKmsKeyArn, on that key only, only through Secrets Manager (Secrets Manager guide, "Secret encryption and decryption": the caller of GetSecretValue needs kms:Decrypt on a customer-managed key)', () => {
    const parameters = obj(base.Parameters);
    expect(obj(parameters.SecretKmsKeyArn).Default).toBe('');
    const pattern = new RegExp(`^(?:${String(obj(parameters.SecretKmsKeyArn).AllowedPattern)})$`);
    expect(
      ['', variants.customerManagedKey?.target?.secretKmsKeyArn ?? 'x'].every((value) => pattern.test(value)),
    ).toBe(true);
    expect(pattern.test('alias/aws/secretsmanager')).toBe(false);
    expect(obj(obj(templates.customerManagedKey as Obj).Parameters).SecretKmsKeyArn).toMatchObject({
      Default: variants.customerManagedKey?.target?.secretKmsKeyArn,
    });
    expect(obj(base.Conditions).HasSecretKmsKey).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'SecretKmsKeyArn' }, ''] }],
    });
    const policy = obj(obj((props('RuntimeRole').Policies as Json[])[0]).PolicyDocument);
    const conditional = (policy.Statement as Json[]).map(obj).find((statement) => {
      const branches = statement['Fn::If'] as Json[] | undefined;
      return branches !== undefined && obj(branches[1]).Sid === 'DatabaseSecretKey';
    });
    expect(conditional?.['Fn::If']).toEqual([
      'HasSecretKmsKey',
      {
        Sid: 'DatabaseSecretKey',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { Ref: 'SecretKmsKeyArn' },
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' } } },
      },
      { Ref: 'AWS::NoValue' },
    ]);
  });

  it('outputs the definition substitutions of the generated machines', () => {
    expect(obj(obj(base.Outputs).StateTableName).Value).toEqual({ Ref: 'StateTable' });
    expect(obj(obj(base.Outputs).RuntimeFunctionArn).Value).toEqual({ 'Fn::GetAtt': ['RuntimeFunction', 'Arn'] });
  });

  it('rejects options that cannot make a valid template', () => {
    const bad: RuntimeTemplateOptions[] = [
      { memorySize: 64 },
      { timeoutSeconds: 901 },
      { logRetentionDays: 42 },
      { codeUri: 'https://example.com/runtime.zip' },
      { codeUri: 's3://bucket-only' },
      { target: { cluster: 'a', workgroup: 'b' } },
      { target: { workgroup: 'b', dbUser: 'u' } },
      { target: { cluster: '${ClusterId}' } },
    ];
    for (const options of bad)
      expect(() => renderRuntimeTemplate(options), JSON.stringify(options)).toThrow(RuntimeTemplateError);
  });
});

// ---- cfn-lint --------------------------------------------------------------------------------

/**
 * AWS's cfn-lint (the Python package, `cfn-lint` on PATH, part of this project's machine image),
 * informational checks included. Skipped on a developer machine without it; in CI (CI=true) a
 * missing linter fails instead of silently skipping. (The npm package named cfn-lint is not used: its bundled
 * resource specification predates Architectures, FunctionResponseTypes, LoggingConfig and
 * SqsManagedSseEnabled, so it rejects any current template of this shape.)
 */
const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
const linter = version.status === 0 ? version.stdout.trim() : undefined;
const dir = mkdtempSync(join(tmpdir(), 'sfn-redshift-template-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it.runIf(process.env.CI === 'true')('cfn-lint is installed in CI', () => {
  expect(linter, 'cfn-lint must be on PATH in CI (pip package cfn-lint)').toBeDefined();
});

describe.skipIf(linter === undefined)(`cfn-lint: ${linter ?? 'not installed'}`, () => {
  it.each(Object.keys(variants))('%s passes', (name) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, rendered[name] ?? '');
    // A local Code path is meant for `aws cloudformation package` (W3002 says exactly that).
    const ignore =
      variants[name]?.codeUri !== undefined && !variants[name]?.codeUri?.startsWith('s3://')
        ? ['--ignore-checks', 'W3002']
        : [];
    const result = spawnSync('cfn-lint', ['--include-checks', 'I', ...ignore, '--', file], { encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });
});
