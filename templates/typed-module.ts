// The fixed part of every generated index.ts: `sfn-redshift generate` copies this file from the
// marker line below, then adds each pipeline's declarations. It is a real module so that the
// project's type-check covers it; the generated module adds no imports either.
// ---- copied into index.ts from here ----

/** The record a step adds at `$.steps.<id>` of the execution's state (DescribeStatement's fields). */
export interface StepRecord {
  readonly Id: string;
  readonly Status: 'FINISHED';
  readonly ResultRows: number;
  readonly HasResultSet: boolean;
}

/** One field of a result row, in Step Functions' casing. */
export interface ResultField {
  readonly StringValue?: string;
  readonly LongValue?: number;
  readonly DoubleValue?: number;
  readonly BooleanValue?: boolean;
  readonly IsNull?: boolean;
  readonly BlobValue?: string;
}

export interface ResultColumn {
  readonly Name?: string;
  readonly Label?: string;
  readonly TypeName?: string;
  readonly SchemaName?: string;
  readonly TableName?: string;
  readonly Nullable?: number;
  readonly Precision?: number;
  readonly Scale?: number;
  readonly Length?: number;
  readonly IsSigned?: boolean;
  readonly IsCaseSensitive?: boolean;
  readonly IsCurrency?: boolean;
  readonly ColumnDefault?: string;
}

/** The first GetStatementResult page of a `results: true` step. */
export interface StepResult {
  readonly Records: readonly (readonly ResultField[])[];
  readonly ColumnMetadata: readonly ResultColumn[];
  readonly TotalNumRows: number;
  readonly NextToken?: string;
}

export interface StepRecordWithResult extends StepRecord {
  readonly Result: StepResult;
}

/** Errors a step raises after its retries, catchable by name in a surrounding machine. */
export type StepErrorName =
  | 'Redshift.StatementFailed'
  | 'Redshift.StatementAborted'
  | 'Redshift.StatementTimeout'
  | 'ConcurrentExecution'
  | 'Redshift.ResultTooLarge'
  | `RedshiftData.${string}`;

/** An input value a step formats into a SQL parameter (the Data API receives its text). */
export type ParameterValue = string | number | boolean;

/**
 * A CDK token object (an IResolvable, such as `CfnInclude.getOutput(...).value` or `Fn.getAtt(...)`):
 * it stands for its reversible string form, `String(token)`, which CDK resolves at synthesis.
 */
export interface TokenObject {
  resolve(context: never): unknown;
  toString(): string;
}

/** The value of a placeholder: a string (literal or a CDK token string such as `bucket.bucketName`) or a token object. */
export type SubstitutionValue = string | TokenObject;

/** What the module knows of one pipeline. */
export interface PipelineModule<SubstitutionKey extends string, PolicySubstitutionKey extends string> {
  /** The pipeline's name (names its files and its statements, `sfn-redshift/<pipeline>/<step>`). */
  readonly name: string;
  /** The state machine definition, relative to the project root, e.g. for CDK's `DefinitionBody.fromFile`. */
  readonly definitionFile: string;
  /** The role policy of the state machine (`${AWS::Partition}`-style placeholders, for Fn::Sub). */
  readonly policyFile: string;
  /** The definition's `${Name}` placeholders. */
  readonly substitutionKeys: readonly SubstitutionKey[];
  /** The policy's placeholders, pseudo parameters first. */
  readonly policySubstitutionKeys: readonly PolicySubstitutionKey[];
  /** DefinitionSubstitutions: exactly the definition's keys, each required; other keys are dropped. */
  definitionSubstitutions(
    values: Readonly<Record<SubstitutionKey, SubstitutionValue>>,
  ): Record<SubstitutionKey, string>;
  /** The role policy with its placeholders replaced, as Fn::Sub would (CDK: iam.PolicyDocument.fromJson). */
  policyDocument(values: Readonly<Record<PolicySubstitutionKey, SubstitutionValue>>): PolicyDocumentJson;
}

/** An IAM policy document. */
export interface PolicyDocumentJson {
  readonly Version: string;
  readonly Statement: readonly {
    readonly Sid: string;
    readonly Effect: 'Allow';
    readonly Action: readonly string[];
    readonly Resource: string | readonly string[];
    readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  }[];
}

/** A placeholder's value as text: a string as is, a CDK token object as its token string. */
function substitutionText(pipeline: string, key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { resolve?: unknown }).resolve === 'function') {
    const text = String(value);
    if (text !== '[object Object]') return text;
  }
  const got = value === null ? 'null' : typeof value === 'object' ? 'an object that is no CDK token' : typeof value;
  throw new TypeError(`${pipeline}: substitution ${key} must be a string or a CDK token, got ${got}`);
}

function pick<Key extends string>(
  pipeline: string,
  keys: readonly Key[],
  values: Readonly<Record<Key, SubstitutionValue>>,
): Record<Key, string> {
  const picked: Partial<Record<Key, string>> = {};
  for (const key of keys)
    picked[key] = substitutionText(pipeline, key, (values as Readonly<Record<string, unknown>>)[key]);
  return picked as Record<Key, string>;
}

/** Replaces `${Name}` like Fn::Sub: every name must be given; `${!Text}` becomes `${Text}`. */
function substitute<Value>(pipeline: string, value: Value, values: Readonly<Record<string, string>>): Value {
  if (typeof value === 'string') {
    return value.replace(/\$\{(!?)([^}]*)\}/g, (_match: string, literal: string, name: string): string => {
      if (literal === '!') return `${'$'}{${name}}`;
      return substitutionText(pipeline, name, values[name]);
    }) as Value;
  }
  if (Array.isArray(value)) return value.map((item: unknown) => substitute(pipeline, item, values)) as Value;
  if (typeof value === 'object' && value !== null) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = substitute(pipeline, item, values);
    return copy as Value;
  }
  return value;
}
