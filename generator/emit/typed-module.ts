// `index.ts` beside the outputs, built with ts-morph: per pipeline its files, the union of its
// DefinitionSubstitutions keys, the execution input its `$.` parameters read, its output, and
// helpers typed by those keys. No imports and only erasable syntax, so it type-checks and runs
// as CommonJS or ESM, under tsc, ts-node, tsx or Node's type stripping.
import { createRequire } from 'node:module';
import type * as TsMorph from 'ts-morph';
import { STEP_ERRORS } from '../../runtime/src/contract.ts';
import type { Pipeline } from '../load/model.ts';
import { statementSteps } from '../load/steps.ts';

export const TYPED_MODULE_FILE = 'index.ts';

/** What the module says of one pipeline. */
export type TypedPipeline = {
  readonly pipeline: Pipeline;
  /** Paths as written into the module: relative to the directory generate runs in, `/`-separated. */
  readonly definitionFile: string;
  readonly policyFile: string;
  readonly substitutionKeys: readonly string[];
  readonly policySubstitutionKeys: readonly string[];
  /** The role policy document (its `${…}` placeholders unreplaced). */
  readonly policy: unknown;
};

let tsMorph: typeof TsMorph | undefined;
/** ts-morph (and the TypeScript it carries) loads in ~0.4 s: only when a module is written. */
function loadTsMorph(): typeof TsMorph {
  tsMorph ??= createRequire(import.meta.url)('ts-morph') as typeof TsMorph;
  return tsMorph;
}

// ---------------------------------------------------------------------------------------------
// Names

const FIXED_EXPORTS = ['StepRecord', 'StepRecordWithResult', 'StepResult', 'ResultField', 'ResultColumn', 'StepErrorName', 'ParameterValue', 'PipelineModule', 'pipelines'];

function words(name: string): string[] {
  return name.split(/[^A-Za-z0-9]+/).filter((word) => word !== '');
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Reserved words of JavaScript and TypeScript that cannot name a `const`. */
const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in ' +
    'instanceof new null return super switch this throw true try typeof var void while with implements interface let package private ' +
    'protected public static yield await arguments eval undefined NaN Infinity'
  ).split(' '),
);

/** `nightly-sales` → `nightlySales`; a name that is no identifier (`3am-load`, `delete`) gets `pipeline` before it. */
function camelName(name: string): string {
  const [first = '', ...rest] = words(name);
  const camel = first.charAt(0).toLowerCase() + first.slice(1) + rest.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');
  return IDENTIFIER.test(camel) && !RESERVED.has(camel) ? camel : `pipeline${camel.charAt(0).toUpperCase()}${camel.slice(1)}`;
}

function pascal(camel: string): string {
  return camel.charAt(0).toUpperCase() + camel.slice(1);
}

/** Distinct identifiers for every pipeline, in name order (`a-b` and `aB` would otherwise clash). */
function identifiers(names: readonly string[]): Map<string, string> {
  const taken = new Set(FIXED_EXPORTS.map((name) => name.toLowerCase()));
  const result = new Map<string, string>();
  for (const name of [...names].sort()) {
    const base = camelName(name);
    let candidate = base;
    for (let index = 2; taken.has(candidate.toLowerCase()); index += 1) candidate = `${base}${index}`;
    taken.add(candidate.toLowerCase());
    result.set(name, candidate);
  }
  return result;
}

function propertyName(name: string): string {
  return IDENTIFIER.test(name) ? name : stringLiteral(name);
}

function stringLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

// ---------------------------------------------------------------------------------------------
// The execution input, from `$.` parameter paths

type InputNode = { readonly properties: Map<string, InputNode>; items?: InputNode };
const newNode = (): InputNode => ({ properties: new Map() });

const SEGMENT = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\['([^'\\]+)'\]/y;

/** The input fields a JSONPath reads: `$.a.b[0]` → a, b, item. `$$.Execution.Input.…` reads the input too. */
function inputSegments(path: string): (string | number)[] | undefined {
  const body = path.startsWith('$$.Execution.Input') ? path.slice('$$.Execution.Input'.length) : path.startsWith('$.') ? path.slice(1) : undefined;
  if (body === undefined) return undefined;
  const segments: (string | number)[] = [];
  SEGMENT.lastIndex = 0;
  while (SEGMENT.lastIndex < body.length) {
    const match = SEGMENT.exec(body);
    if (!match) return undefined;
    segments.push(match[2] !== undefined ? Number(match[2]) : ((match[1] ?? match[3]) as string));
  }
  return segments;
}

function inputTree(pipeline: Pipeline): InputNode {
  const root = newNode();
  for (const step of statementSteps(pipeline.steps)) {
    for (const parameter of step.parameters) {
      if (parameter.value.kind !== 'path') continue;
      const segments = inputSegments(parameter.value.path);
      if (!segments) continue;
      let node = root;
      for (const segment of segments) {
        if (typeof segment === 'number') node = node.items ??= newNode();
        else {
          let child = node.properties.get(segment);
          if (!child) node.properties.set(segment, (child = newNode()));
          node = child;
        }
      }
    }
  }
  return root;
}

function inputType(node: InputNode, indent: string): string {
  if (node.properties.size > 0) {
    const inner = `${indent}  `;
    const members = [...node.properties].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, child]) => `${inner}readonly ${propertyName(name)}: ${inputType(child, inner)};`);
    return `{\n${members.join('\n')}\n${indent}}`;
  }
  if (node.items) return `readonly (${inputType(node.items, indent)})[]`;
  return 'ParameterValue';
}

// ---------------------------------------------------------------------------------------------
// The module

const PREAMBLE = `// Generated by sfn-redshift. Do not edit: change the specs and run \`sfn-redshift generate\`.
// File paths are relative to the project root (the nearest directory with a package.json above them).
`;

const SHARED = `/** The record a step adds at \`$.steps.<id>\` of the execution's state (DescribeStatement's fields). */
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

/** The first GetStatementResult page of a \`results: true\` step. */
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
${Object.values(STEP_ERRORS).map((name) => `  | '${name}'\n`).join('')}  | \`RedshiftData.\${string}\`;

/** An input value a step formats into a SQL parameter (the Data API receives its text). */
export type ParameterValue = string | number | boolean;

/** What the module knows of one pipeline. */
export interface PipelineModule<SubstitutionKey extends string, PolicySubstitutionKey extends string> {
  /** The pipeline's name (names its files and its statements, \`sfn-redshift/<pipeline>/<step>\`). */
  readonly name: string;
  /** The state machine definition, e.g. for CDK's \`DefinitionBody.fromFile\`. */
  readonly definitionFile: string;
  /** The role policy of the state machine (\`\${AWS::Partition}\`-style placeholders, for Fn::Sub). */
  readonly policyFile: string;
  /** The definition's \`\${Name}\` placeholders. */
  readonly substitutionKeys: readonly SubstitutionKey[];
  /** The policy's placeholders, pseudo parameters first. */
  readonly policySubstitutionKeys: readonly PolicySubstitutionKey[];
  /** DefinitionSubstitutions: exactly the definition's keys, each required; other keys are dropped. */
  definitionSubstitutions(values: Readonly<Record<SubstitutionKey, string>>): Record<SubstitutionKey, string>;
  /** The role policy with its placeholders replaced, as Fn::Sub would (CDK: iam.PolicyDocument.fromJson). */
  policyDocument(values: Readonly<Record<PolicySubstitutionKey, string>>): PolicyDocumentJson;
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
`;

const HELPERS = `function pick<Key extends string>(pipeline: string, keys: readonly Key[], values: Readonly<Record<Key, string>>): Record<Key, string> {
  const picked: Partial<Record<Key, string>> = {};
  for (const key of keys) {
    const value: unknown = (values as Readonly<Record<string, unknown>>)[key];
    if (typeof value !== 'string') throw new TypeError(\`\${pipeline}: substitution \${key} must be a string, got \${typeof value}\`);
    picked[key] = value;
  }
  return picked as Record<Key, string>;
}

/** Replaces \`\${Name}\` like Fn::Sub: every name must be given; \`\${!Text}\` becomes \`\${Text}\`. */
function substitute<Value>(pipeline: string, value: Value, values: Readonly<Record<string, string>>): Value {
  if (typeof value === 'string') {
    return value.replace(/\\$\\{(!?)([^}]*)\\}/g, (_match: string, literal: string, name: string): string => {
      if (literal === '!') return \`\${'$'}{\${name}}\`;
      const replacement = values[name];
      if (typeof replacement !== 'string') throw new TypeError(\`\${pipeline}: substitution \${name} must be a string, got \${typeof replacement}\`);
      return replacement;
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
`;

const LINE_WIDTH = 120;

/** A JSON value as a TypeScript literal: identifier keys bare, short arrays on one line, trailing commas. */
function tsLiteral(value: unknown, indent: string): string {
  const inner = `${indent}  `;
  if (typeof value === 'string') return stringLiteral(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => tsLiteral(item, inner));
    const flat = `[${items.join(', ')}]`;
    if (items.every((item) => !item.includes('\n')) && indent.length + flat.length <= LINE_WIDTH) return flat;
    return `[\n${items.map((item) => `${inner}${item},`).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).map(([key, item]) => `${inner}${propertyName(key)}: ${tsLiteral(item, inner)},`);
  return entries.length === 0 ? '{}' : `{\n${entries.join('\n')}\n${indent}}`;
}

/** A blank line between top-level declarations (ts-morph leaves none between variable statements). */
function separateDeclarations(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (const line of lines) {
    const previous = out.at(-1);
    const starts = /^(\/\*\*|export |const |function )/.test(line);
    if (starts && previous !== undefined && previous.trim() !== '' && !/^\s*(\*|\/\*\*|\/\/)/.test(previous)) out.push('');
    out.push(line);
  }
  return out.join('\n');
}

function union(keys: readonly string[]): string {
  return keys.length === 0 ? 'never' : keys.map(stringLiteral).join(' | ');
}

function outputSteps(pipeline: Pipeline): string {
  const steps = statementSteps(pipeline.steps);
  if (steps.length === 0) return '{}';
  return `{\n${steps.map((step) => `    readonly ${propertyName(step.id)}: ${step.results ? 'StepRecordWithResult' : 'StepRecord'};`).join('\n')}\n  }`;
}

/** `index.ts`: every pipeline of one generate run, in name order. */
export function renderTypedModule(pipelines: readonly TypedPipeline[]): string {
  const { Project, IndentationText, NewLineKind, QuoteKind, VariableDeclarationKind } = loadTsMorph();
  const project = new Project({
    useInMemoryFileSystem: true,
    manipulationSettings: { indentationText: IndentationText.TwoSpaces, newLineKind: NewLineKind.LineFeed, quoteKind: QuoteKind.Single, useTrailingCommas: true },
  });
  const file = project.createSourceFile(TYPED_MODULE_FILE, `${PREAMBLE}\n${SHARED}`);
  const sorted = [...pipelines].sort((a, b) => (a.pipeline.name < b.pipeline.name ? -1 : a.pipeline.name > b.pipeline.name ? 1 : 0));
  const names = identifiers(sorted.map((item) => item.pipeline.name));

  for (const item of sorted) {
    const { pipeline } = item;
    const camel = names.get(pipeline.name) as string;
    const type = pascal(camel);
    const description = pipeline.description !== undefined ? `${pipeline.name}: ${pipeline.description.replace(/\*\//g, '*\\/')}` : `The ${pipeline.name} pipeline.`;
    file.addTypeAlias({
      name: `${type}SubstitutionKey`,
      isExported: true,
      type: union(item.substitutionKeys),
      docs: [`\`\${Name}\` placeholders of \`${item.definitionFile}\`: the DefinitionSubstitutions the ${pipeline.name} machine needs.`],
    });
    file.addTypeAlias({
      name: `${type}PolicySubstitutionKey`,
      isExported: true,
      type: union(item.policySubstitutionKeys),
      docs: [`Placeholders of \`${item.policyFile}\`, the role policy of ${pipeline.name}.`],
    });
    const input = inputTree(pipeline);
    file.addInterface({
      name: `${type}Input`,
      isExported: true,
      docs: [`The execution input the steps of ${pipeline.name} read (their \`$.\` parameter paths); any other fields pass through.`],
      properties: [...input.properties]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, node]) => ({ name: propertyName(name), isReadonly: true, type: inputType(node, '') })),
    });
    file.addTypeAlias({
      name: `${type}Output`,
      isExported: true,
      type: `${type}Input & {\n  readonly steps: ${outputSteps(pipeline)};\n}`,
      docs: [`What a successful execution of ${pipeline.name} returns: its input, plus a record per statement step.`],
    });
    file.addVariableStatement({
      declarationKind: VariableDeclarationKind.Const,
      isExported: true,
      docs: [description],
      declarations: [
        {
          name: camel,
          type: `PipelineModule<${type}SubstitutionKey, ${type}PolicySubstitutionKey>`,
          initializer: (writer) => {
            writer.write('{').newLine().indent(() => {
              writer.writeLine(`name: ${stringLiteral(pipeline.name)},`);
              writer.writeLine(`definitionFile: ${stringLiteral(item.definitionFile)},`);
              writer.writeLine(`policyFile: ${stringLiteral(item.policyFile)},`);
              writer.writeLine(`substitutionKeys: [${item.substitutionKeys.map(stringLiteral).join(', ')}],`);
              writer.writeLine(`policySubstitutionKeys: [${item.policySubstitutionKeys.map(stringLiteral).join(', ')}],`);
              writer.writeLine(`definitionSubstitutions(values) {`);
              writer.indent(() => writer.writeLine(`return pick(${stringLiteral(pipeline.name)}, [${item.substitutionKeys.map(stringLiteral).join(', ')}], values);`));
              writer.writeLine('},');
              writer.writeLine('policyDocument(values) {');
              writer.indent(() => {
                const keys = `[${item.policySubstitutionKeys.map(stringLiteral).join(', ')}]`;
                writer.writeLine(`return substitute(${stringLiteral(pipeline.name)}, ${camel}Policy, pick(${stringLiteral(pipeline.name)}, ${keys}, values));`);
              });
              writer.writeLine('},');
            });
            writer.write('}');
          },
        },
      ],
    });
  }

  file.addVariableStatement({
    declarationKind: VariableDeclarationKind.Const,
    isExported: true,
    docs: ['Every pipeline of this directory by name.'],
    declarations: [
      {
        name: 'pipelines',
        initializer: (writer) => {
          writer.write('{').newLine().indent(() => {
            for (const item of sorted) writer.writeLine(`${stringLiteral(item.pipeline.name)}: ${names.get(item.pipeline.name) as string},`);
          });
          writer.write('} as const');
        },
      },
    ],
  });

  for (const item of sorted) {
    const camel = names.get(item.pipeline.name) as string;
    file.addVariableStatement({
      declarationKind: VariableDeclarationKind.Const,
      declarations: [{ name: `${camel}Policy`, type: 'PolicyDocumentJson', initializer: tsLiteral(item.policy, '') }],
    });
  }
  file.addStatements(HELPERS);
  file.formatText({ indentSize: 2, convertTabsToSpaces: true, ensureNewLineAtEndOfFile: true });
  return separateDeclarations(file.getFullText()).replace(/\n{3,}/g, '\n\n');
}
