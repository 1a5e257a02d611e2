/**
 * Checks a Task's `Parameters` against the API model that AWS ships inside its SDK v3 clients
 * (smithy static schemas, read with @smithy/core's NormalizedSchema), the way Step Functions
 * reads them: every member in PascalCase, nested ones too (the Data API's wire name `name` of an
 * SqlParameter is `Name` in a state machine), a `.$` suffix for a value taken from a path.
 * Source: Step Functions developer guide, "AWS SDK service integrations" (parameters are the API's
 * request members in PascalCase) and "Optimized integrations for DynamoDB / Lambda".
 */
import * as dynamodb from '@aws-sdk/client-dynamodb';
import * as lambda from '@aws-sdk/client-lambda';
import * as redshiftData from '@aws-sdk/client-redshift-data';
import * as sfn from '@aws-sdk/client-sfn';
import { NormalizedSchema } from '@smithy/core/schema';

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };
type SchemaModule = Readonly<Record<string, unknown>>;

/** The SDK client whose model an integration's Parameters follow, by the Resource ARN's service. */
const SERVICE_MODELS: Readonly<Record<string, SchemaModule>> = {
  'aws-sdk:redshiftdata': redshiftData,
  'aws-sdk:sfn': sfn,
  dynamodb,
  lambda,
};

const pascal = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);

/** The operation's input schema for a Task Resource, or a problem when the model has no such API. */
export function inputSchemaOf(resource: string): NormalizedSchema | string {
  const match = /^arn:aws:states:::(aws-sdk:[a-z0-9]+|[a-z]+):([A-Za-z0-9]+)(?:\.(?:sync|waitForTaskToken))?$/.exec(
    resource,
  );
  if (!match) return `${resource}: not a Step Functions service integration ARN`;
  const [, service, action] = match as unknown as [string, string, string];
  const model = SERVICE_MODELS[service];
  if (!model) return `${resource}: no SDK model for service ${service}`;
  const operation = model[`${pascal(action)}$`];
  if (!Array.isArray(operation) || operation[0] !== 9) return `${resource}: ${service} has no API ${pascal(action)}`;
  return NormalizedSchema.of((operation[4] as () => unknown)() as never);
}

/** Required members come first in a smithy static structure schema; its 7th slot counts them. */
function requiredMembers(schema: NormalizedSchema): string[] {
  const raw = schema.getSchema() as unknown;
  const count = Array.isArray(raw) && typeof raw[6] === 'number' ? raw[6] : 0;
  return [...schema.structIterator()].slice(0, count).map(([name]) => name);
}

function checkStruct(schema: NormalizedSchema, value: Json, at: string, opaque: ReadonlySet<string>): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return [`${at}: expected an object (${schema.getName()})`];
  const members = new Map([...schema.structIterator()].map(([name, member]) => [pascal(name), member] as const));
  const given = Object.keys(value).map((key) => ({ key, name: key.endsWith('.$') ? key.slice(0, -2) : key }));
  const problems = given.flatMap(({ key, name }): string[] => {
    const member = members.get(name);
    if (!member) {
      const cased = [...members.keys()].find((known) => known.toLowerCase() === name.toLowerCase());
      return [
        cased
          ? `${at}.${key}: wrong casing, the model says ${cased}`
          : `${at}.${key}: unknown member of ${schema.getName()}`,
      ];
    }
    if (key.endsWith('.$') || opaque.has(`${schema.getName()}.${name}`)) return [];
    return checkValue(member, (value as Record<string, Json>)[key] as Json, `${at}.${key}`, opaque);
  });
  const present = new Set(given.map(({ name }) => name));
  const missing = requiredMembers(schema)
    .map(pascal)
    .filter((name) => !present.has(name))
    .map((name) => `${at}: missing required member ${name} of ${schema.getName()}`);
  if (schema.isUnionSchema() && given.length !== 1)
    problems.push(`${at}: a ${schema.getName()} holds exactly one member`);
  return [...problems, ...missing];
}

function checkValue(schema: NormalizedSchema, value: Json, at: string, opaque: ReadonlySet<string>): string[] {
  if (schema.isStructSchema()) return checkStruct(schema, value, at, opaque);
  if (schema.isListSchema()) {
    if (!Array.isArray(value)) return [`${at}: expected a list`];
    return value.flatMap((item, index) => checkValue(schema.getValueSchema(), item, `${at}[${index}]`, opaque));
  }
  if (schema.isMapSchema()) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: expected a map`];
    return Object.entries(value).flatMap(([key, item]) =>
      checkValue(schema.getValueSchema(), item, `${at}.${key}`, opaque),
    );
  }
  if (schema.isStringSchema()) return typeof value === 'string' ? [] : [`${at}: expected a string`];
  if (schema.isBooleanSchema()) return typeof value === 'boolean' ? [] : [`${at}: expected a boolean`];
  if (schema.isNumericSchema()) return typeof value === 'number' ? [] : [`${at}: expected a number`];
  return [];
}

/**
 * Members whose value Step Functions takes as free JSON although the model types it otherwise:
 * the Lambda optimized integration serializes `Payload` (a blob in the API) from JSON.
 */
const OPAQUE_MEMBERS: ReadonlySet<string> = new Set(['InvocationRequest.Payload']);

/** Every way a Task's Parameters disagree with the API model; empty when they agree. */
export function parameterProblems(resource: string, parameters: Json | undefined, at: string): string[] {
  const schema = inputSchemaOf(resource);
  if (typeof schema === 'string') return [`${at}: ${schema}`];
  return checkStruct(schema, parameters ?? {}, `${at}.Parameters`, OPAQUE_MEMBERS);
}

type StateLike = {
  readonly Type?: string;
  readonly Resource?: string;
  readonly Parameters?: Json;
  readonly Branches?: readonly BranchLike[];
};
type BranchLike = { readonly States: Readonly<Record<string, StateLike>> };

/** Every Task of a machine (Parallel branches included), with the problems of its Parameters. */
export function machineParameterProblems(machine: BranchLike): string[] {
  return Object.entries(machine.States).flatMap(([name, state]) => [
    ...(state.Type === 'Task' && state.Resource ? parameterProblems(state.Resource, state.Parameters, name) : []),
    ...(state.Branches ?? []).flatMap(machineParameterProblems),
  ]);
}

/**
 * Error names a Task's Retry/Catch may use for its service, as Step Functions names them:
 * `<Service>.<Name>` with the Exception suffix always added (developer guide, "AWS SDK service
 * integrations"), Name from the API model's errors, or one of the errors common to every AWS API
 * (API references, "Common Errors"). Plus the names Step Functions gives errors outside the model:
 * its SDK client's base exception (`Sfn.SfnException`), and for Lambda the names the developer guide's
 * best practices list (`Lambda.ServiceException`, `Lambda.AWSLambdaException`, `Lambda.SdkClientException`).
 */
const ERROR_PREFIXES: Readonly<
  Record<string, { prefix: string; model: SchemaModule; outsideModel: readonly string[] }>
> = {
  'aws-sdk:redshiftdata': { prefix: 'RedshiftData', model: redshiftData, outsideModel: ['RedshiftDataException'] },
  'aws-sdk:sfn': { prefix: 'Sfn', model: sfn, outsideModel: ['SfnException'] },
  dynamodb: { prefix: 'DynamoDB', model: dynamodb, outsideModel: ['AmazonDynamoDBException'] },
  lambda: { prefix: 'Lambda', model: lambda, outsideModel: ['AWSLambdaException', 'SdkClientException'] },
};
const COMMON_ERRORS = ['ThrottlingException', 'AccessDeniedException'];

const withSuffix = (name: string): string => (name.endsWith('Exception') ? name : `${name}Exception`);

function modelErrorNames(model: SchemaModule): string[] {
  return Object.values(model).flatMap((value) =>
    Array.isArray(value) && value[0] === -3 && typeof value[2] === 'string' ? [withSuffix(value[2])] : [],
  );
}

/** Problems of the service error names in one Task's Retry and Catch. */
export function errorNameProblems(resource: string, names: readonly string[], at: string): string[] {
  const service = /^arn:aws:states:::(aws-sdk:[a-z0-9]+|[a-z]+):/.exec(resource)?.[1];
  const naming = service === undefined ? undefined : ERROR_PREFIXES[service];
  if (!naming) return [];
  const known = new Set(
    [...modelErrorNames(naming.model), ...COMMON_ERRORS, ...naming.outsideModel].map(
      (name) => `${naming.prefix}.${name}`,
    ),
  );
  return names
    .filter((name) => /^[A-Z][A-Za-z]*\./.test(name) && !name.startsWith('States.') && !name.startsWith('Redshift.'))
    .filter((name) => !known.has(name))
    .map((name) =>
      known.has(withSuffix(name))
        ? `${at}: ${name} is named ${withSuffix(name)} by Step Functions`
        : `${at}: ${name} is not an error of ${naming.prefix}`,
    );
}

type TaskLike = StateLike & {
  readonly Retry?: readonly { ErrorEquals: readonly string[] }[];
  readonly Catch?: readonly { ErrorEquals: readonly string[] }[];
};

/** Every Task's Retry/Catch service error names that Step Functions would never raise. */
export function machineErrorNameProblems(machine: BranchLike): string[] {
  return Object.entries(machine.States).flatMap(([name, state]) => {
    const task = state as TaskLike;
    const names = [...(task.Retry ?? []), ...(task.Catch ?? [])].flatMap((rule) => rule.ErrorEquals);
    return [
      ...(task.Type === 'Task' && task.Resource ? errorNameProblems(task.Resource, names, name) : []),
      ...(state.Branches ?? []).flatMap(machineErrorNameProblems),
    ];
  });
}
