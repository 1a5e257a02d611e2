// `index.ts` beside the outputs: its fixed part (interfaces, helpers) is the real, type-checked
// module templates/typed-module.ts copied as text; per pipeline it adds its files, the union of its
// DefinitionSubstitutions keys, the execution input its `$.` parameters read, its output, and
// helpers typed by those keys. No imports and only erasable syntax, so it type-checks and runs
// as CommonJS or ESM, under tsc, ts-node, tsx or Node's type stripping. Rendered as text, not with
// ts-morph: loading a TypeScript compiler cost every generate ~0.4 s for text this regular (the
// tests parse and type-check what is written).
import { readFileSync } from 'node:fs';
import { statementStepPlans, type PipelinePlan } from '../compile/plan.ts';
import { templatePath } from './templates.ts';

export const TYPED_MODULE_FILE = 'index.ts';

/** What the module says of one pipeline. */
export type TypedPipeline = {
  /** The compiler's plan: the pipeline, its statement steps and the definition's substitution keys. */
  readonly plan: PipelinePlan;
  /** Paths as written into the module: relative to the project root, `/`-separated. */
  readonly definitionFile: string;
  readonly policyFile: string;
  readonly policySubstitutionKeys: readonly string[];
  /** The role policy document (its `${…}` placeholders unreplaced). */
  readonly policy: unknown;
};

// ---------------------------------------------------------------------------------------------
// Names

/** Names the fixed part declares (and `pipelines`), which no pipeline's identifier may take. */
const FIXED_NAMES = [
  'StepRecord',
  'StepRecordWithResult',
  'StepResult',
  'ResultField',
  'ResultColumn',
  'StepErrorName',
  'ParameterValue',
  'TokenObject',
  'SubstitutionValue',
  'PipelineModule',
  'PolicyDocumentJson',
  'substitutionText',
  'pick',
  'substitute',
  'pipelines',
];

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
  const camel =
    first.charAt(0).toLowerCase() +
    first.slice(1) +
    rest.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');
  return IDENTIFIER.test(camel) && !RESERVED.has(camel)
    ? camel
    : `pipeline${camel.charAt(0).toUpperCase()}${camel.slice(1)}`;
}

function pascal(camel: string): string {
  return camel.charAt(0).toUpperCase() + camel.slice(1);
}

/** Distinct identifiers for every pipeline, in name order (`a-b` and `aB` would otherwise clash). */
function identifiers(names: readonly string[]): Map<string, string> {
  const taken = new Set(FIXED_NAMES.map((name) => name.toLowerCase()));
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
  const body = path.startsWith('$$.Execution.Input')
    ? path.slice('$$.Execution.Input'.length)
    : path.startsWith('$.')
      ? path.slice(1)
      : undefined;
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

function inputTree(plan: PipelinePlan): InputNode {
  const root = newNode();
  for (const { step } of statementStepPlans(plan.steps)) {
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
    const members = [...node.properties]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, child]) => `${inner}readonly ${propertyName(name)}: ${inputType(child, inner)};`);
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

const FIXED_MARKER = '// ---- copied into index.ts from here ----\n';
let fixedPart: string | undefined;

/** templates/typed-module.ts from its marker line on. */
export function typedModuleFixedPart(): string {
  if (fixedPart === undefined) {
    const text = readFileSync(templatePath('typed-module.ts'), 'utf8');
    fixedPart = text.slice(text.indexOf(FIXED_MARKER) + FIXED_MARKER.length).replace(/^\n+/, '');
  }
  return fixedPart;
}

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
  const entries = Object.entries(value as Record<string, unknown>).map(
    ([key, item]) => `${inner}${propertyName(key)}: ${tsLiteral(item, inner)},`,
  );
  return entries.length === 0 ? '{}' : `{\n${entries.join('\n')}\n${indent}}`;
}

function union(keys: readonly string[]): string {
  return keys.length === 0 ? 'never' : keys.map(stringLiteral).join(' | ');
}

function list(keys: readonly string[]): string {
  return `[${keys.map(stringLiteral).join(', ')}]`;
}

function docComment(text: string): string {
  return `/** ${text.replace(/\*\//g, '*\\/')} */`;
}

function outputSteps(plan: PipelinePlan): string {
  const steps = statementStepPlans(plan.steps).map((stepPlan) => stepPlan.step);
  if (steps.length === 0) return '{\n  }';
  return `{\n${steps.map((step) => `    readonly ${propertyName(step.id)}: ${step.results ? 'StepRecordWithResult' : 'StepRecord'};`).join('\n')}\n  }`;
}

/** The input interface's members, one per top-level field the steps read. */
function inputMembers(plan: PipelinePlan): string {
  const input = inputTree(plan);
  return [...input.properties]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, node]) => `  readonly ${propertyName(name)}: ${inputType(node, '  ')};\n`)
    .join('');
}

/** One pipeline's types and its `PipelineModule` constant. */
function renderPipeline(item: TypedPipeline, camel: string): string {
  const { pipeline, substitutionKeys } = item.plan;
  const type = pascal(camel);
  const name = stringLiteral(pipeline.name);
  const description =
    pipeline.description !== undefined ? `${pipeline.name}: ${pipeline.description}` : `The ${pipeline.name} pipeline.`;
  return [
    `${docComment(`\`\${Name}\` placeholders of \`${item.definitionFile}\`: the DefinitionSubstitutions the ${pipeline.name} machine needs.`)}
export type ${type}SubstitutionKey = ${union(substitutionKeys)};`,
    `${docComment(`Placeholders of \`${item.policyFile}\`, the role policy of ${pipeline.name}.`)}
export type ${type}PolicySubstitutionKey = ${union(item.policySubstitutionKeys)};`,
    `${docComment(`The execution input the steps of ${pipeline.name} read (their \`$.\` parameter paths); any other fields pass through.`)}
export interface ${type}Input {
${inputMembers(item.plan)}}`,
    `${docComment(`What a successful execution of ${pipeline.name} returns: its input, plus a record per statement step.`)}
export type ${type}Output = ${type}Input & {
  readonly steps: ${outputSteps(item.plan)};
};`,
    `${docComment(description)}
export const ${camel}: PipelineModule<${type}SubstitutionKey, ${type}PolicySubstitutionKey> = {
  name: ${name},
  definitionFile: ${stringLiteral(item.definitionFile)},
  policyFile: ${stringLiteral(item.policyFile)},
  substitutionKeys: ${list(substitutionKeys)},
  policySubstitutionKeys: ${list(item.policySubstitutionKeys)},
  definitionSubstitutions(values) {
    return pick(${name}, ${list(substitutionKeys)}, values);
  },
  policyDocument(values) {
    return substitute(${name}, ${camel}Policy, pick(${name}, ${list(item.policySubstitutionKeys)}, values));
  },
};`,
  ].join('\n\n');
}

/** `index.ts`: the fixed part, then every pipeline of one generate run, in name order. */
export function renderTypedModule(pipelines: readonly TypedPipeline[]): string {
  const sorted = [...pipelines].sort((a, b) =>
    a.plan.pipeline.name < b.plan.pipeline.name ? -1 : a.plan.pipeline.name > b.plan.pipeline.name ? 1 : 0,
  );
  const names = identifiers(sorted.map((item) => item.plan.pipeline.name));
  const camel = (item: TypedPipeline) => names.get(item.plan.pipeline.name) as string;
  const byName = sorted.map((item) => `  ${stringLiteral(item.plan.pipeline.name)}: ${camel(item)},\n`).join('');
  return (
    [
      PREAMBLE.trimEnd(),
      typedModuleFixedPart().trimEnd(),
      ...sorted.map((item) => renderPipeline(item, camel(item))),
      `${docComment('Every pipeline of this directory by name.')}\nexport const pipelines = {\n${byName}} as const;`,
      ...sorted.map((item) => `const ${camel(item)}Policy: PolicyDocumentJson = ${tsLiteral(item.policy, '')};`),
    ].join('\n\n') + '\n'
  );
}
