// The typed module: type-checked by tsc as users compile it (the strictest ESM settings, and
// CommonJS as CDK apps often are), a missing substitution key fails the build, and its helpers do
// at run time what their types say.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Project, SyntaxKind } from 'ts-morph';
import { STEP_ERRORS } from '../../runtime/src/contract.ts';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { allOutputFiles, renderPipelineOutputs } from '../../generator/emit/outputs.ts';
import { typedModuleFixedPart } from '../../generator/emit/typed-module.ts';
import { pipelineFrom } from './helpers.ts';

const root = join(import.meta.dirname, '../..');
const TSC = join(root, 'node_modules/typescript/bin/tsc');

async function tsc(
  directory: string,
  options: Record<string, unknown>,
  files: string[],
): Promise<{ code: number; output: string }> {
  writeFileSync(
    join(directory, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { noEmit: true, types: [], ...options }, files }),
  );
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [TSC, '-p', directory], { cwd: directory });
    return { code: 0, output: stdout };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string };
    return { code: failure.code ?? 1, output: failure.stdout ?? String(error) };
  }
}

const STRICTEST = {
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  noImplicitReturns: true,
  noPropertyAccessFromIndexSignature: true,
  verbatimModuleSyntax: true,
  isolatedModules: true,
  erasableSyntaxOnly: true,
  module: 'nodenext',
  moduleResolution: 'nodenext',
  target: 'es2020',
  lib: ['es2020'],
};

/** A module for pipelines with awkward names and input paths, beside the examples' one. */
function oddModule(): string {
  const spec = (name: string, steps: string) =>
    pipelineFrom(
      `version: 1\npipeline: ${name}\ntarget: { cluster: c, database: d }\nsteps:\n${steps}`,
      `/specs/${name}.yaml`,
    );
  const compiled = [
    spec(
      'delete',
      '  - { id: a, sql: "select :x", parameters: { x: "$.batch.days[0]" } }\n  - { id: b, sql: "select :y, :z", parameters: { y: "$.meta[\'odd-name\']", z: "$$.Execution.Input.nested.flag" } }\n',
    ),
    spec('3am-load', '  - { id: a, sql: "select :id", parameters: { id: "$$.Execution.Id" }, results: true }\n'),
    spec('a-b', '  - { id: a, sql: "select 1" }\n'),
    spec('aB', '  - { id: a, sql: "select 1", target: { cluster: "${Other}" } }\n'),
    spec('pipelines', '  - { id: a, sql: "select 1" }\n'),
  ].map((pipeline) => renderPipelineOutputs(compilePipeline(pipeline)));
  const index = allOutputFiles(compiled, { cwd: '/repo', outDirectory: '/repo/asl' }).find(
    (file) => file.path === 'index.ts',
  );
  return index?.content ?? '';
}

describe('index.ts', () => {
  it('type-checks under the strictest ESM settings and in CommonJS; a missing key fails the build', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'sfn-redshift-typed-'));
    cpSync(join(root, 'examples/asl/index.ts'), join(directory, 'index.ts'));
    writeFileSync(join(directory, 'odd.ts'), oddModule());
    writeFileSync(join(directory, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      join(directory, 'good.ts'),
      `import { nightlySales, pipelines, serverlessOrders, type NightlySalesInput, type NightlySalesOutput, type StepErrorName } from './index.js';
import { pipelineDelete, pipeline3amLoad, aB, aB2, pipelines2, type PipelineDeleteInput } from './odd.js';
export const substitutions: Record<string, string> = nightlySales.definitionSubstitutions({ ClusterId: 'c', StateTableName: 't' });
export const serverless = serverlessOrders.policyDocument({ 'AWS::Partition': 'aws', 'AWS::Region': 'r', 'AWS::AccountId': '1', DatabaseSecretArn: 's', WorkgroupId: 'w' });
export const input: NightlySalesInput = { runDate: '2024-01-31' };
export function rows(output: NightlySalesOutput): number { return output.steps.count_facts.Result.TotalNumRows + (output.steps.facts.ResultRows); }
export const error: StepErrorName = 'RedshiftData.ValidationException';
export const odd: PipelineDeleteInput = { batch: { days: ['2024-01-31', 2] }, meta: { 'odd-name': true }, nested: { flag: false } };
export const names = [pipelineDelete.name, pipeline3amLoad.name, aB.name, aB2.name, pipelines2.name, pipelines['mv-refresh'].definitionFile];
export const other = aB2.definitionSubstitutions({ Other: 'x' });
`,
    );
    writeFileSync(
      join(directory, 'bad.ts'),
      `import { nightlySales, type NightlySalesInput } from './index.js';
export const substitutions = nightlySales.definitionSubstitutions({ ClusterId: 'c' });
export const input: NightlySalesInput = { rundate: '2024-01-31' };
`,
    );
    const [good, bad] = await Promise.all([
      tsc(directory, STRICTEST, ['index.ts', 'odd.ts', 'good.ts']),
      (async () => {
        const badDirectory = mkdtempSync(join(tmpdir(), 'sfn-redshift-typed-bad-'));
        for (const file of ['index.ts', 'bad.ts', 'package.json'])
          cpSync(join(directory, file), join(badDirectory, file));
        return tsc(badDirectory, STRICTEST, ['index.ts', 'bad.ts']);
      })(),
    ]);
    expect(good.output).toBe('');
    expect(good.code).toBe(0);
    expect(bad.code).not.toBe(0);
    expect(bad.output).toContain(
      "bad.ts(2,67): error TS2345: Argument of type '{ ClusterId: string; }' is not assignable to parameter of type 'Readonly<Record<NightlySalesSubstitutionKey, SubstitutionValue>>'.",
    );
    expect(bad.output).toContain("Property 'StateTableName' is missing");
    expect(bad.output).toMatch(
      /bad\.ts\(3,\d+\): error TS2561: Object literal may only specify known properties, but 'rundate' does not exist in type 'NightlySalesInput'\. Did you mean to write 'runDate'\?/,
    );

    const commonjs = mkdtempSync(join(tmpdir(), 'sfn-redshift-typed-cjs-'));
    cpSync(join(directory, 'index.ts'), join(commonjs, 'index.ts'));
    writeFileSync(
      join(commonjs, 'use.ts'),
      "import { dataQuality } from './index';\nexport const keys = dataQuality.definitionSubstitutions({ ClusterId: 'c' });\n",
    );
    const cjs = await tsc(
      commonjs,
      { strict: true, module: 'commonjs', moduleResolution: 'node10', target: 'es2018', lib: ['es2018'] },
      ['index.ts', 'use.ts'],
    );
    expect(cjs.output).toBe('');
  });

  it('infers the input from $. paths (and $$.Execution.Input), nested and indexed', () => {
    const text = oddModule();
    expect(text).toContain(`export interface PipelineDeleteInput {
  readonly batch: {
    readonly days: readonly (ParameterValue)[];
  };
  readonly meta: {
    readonly 'odd-name': ParameterValue;
  };
  readonly nested: {
    readonly flag: ParameterValue;
  };
}`);
    expect(text).toContain('export interface Pipeline3amLoadInput {\n}');
    expect(text).toContain('export type Pipelines2SubstitutionKey = never;');
    expect(text).toMatch(/export const aB: PipelineModule[\s\S]*export const aB2: PipelineModule/);
  });

  it('its helpers pick exactly the keys, refuse missing ones at run time, and substitute the policy like Fn::Sub', async () => {
    const module = (await import('../../examples/asl/index.ts')) as typeof import('../../examples/asl/index.ts');
    const values = { ClusterId: 'analytics', StateTableName: 'locks', Extra: 'dropped' };
    expect(module.nightlySales.definitionSubstitutions(values)).toEqual({
      ClusterId: 'analytics',
      StateTableName: 'locks',
    });
    expect(() => module.nightlySales.definitionSubstitutions({ ClusterId: 'analytics' } as never)).toThrow(
      'nightly-sales: substitution StateTableName must be a string or a CDK token, got undefined',
    );
    expect(Object.keys(module.pipelines)).toEqual([
      'archive-callback',
      'data-quality',
      'mv-refresh',
      'nightly-sales',
      'serverless-orders',
    ]);
    for (const pipeline of Object.values(module.pipelines)) {
      expect(readFileSync(join(root, pipeline.definitionFile), 'utf8')).toMatch(/^\{\n {2}"/);
      const definition = readFileSync(join(root, pipeline.definitionFile), 'utf8');
      expect([...pipeline.substitutionKeys]).toEqual(
        [...new Set([...definition.matchAll(/\$\{([A-Za-z][A-Za-z0-9_]*)\}/g)].map((match) => match[1]))].sort(),
      );
      const policyText = readFileSync(join(root, pipeline.policyFile), 'utf8');
      const keys = Object.fromEntries(pipeline.policySubstitutionKeys.map((key) => [key, `<${key}>`]));
      const document = pipeline.policyDocument(keys as never);
      const fnSub = policyText.replace(/\$\{(!?)([^}]*)\}/g, (_, literal: string, name: string) =>
        literal ? `\${${name}}` : `<${name}>`,
      );
      expect(document).toEqual(JSON.parse(fnSub));
    }
  });

  it('accepts CDK tokens: token strings pass as they are, token objects (IResolvable) as their string form', async () => {
    const module = (await import('../../examples/asl/index.ts')) as typeof import('../../examples/asl/index.ts');
    // The shape of aws-cdk-lib's Intrinsic (what CfnInclude.getOutput(...).value and Fn.getAtt return);
    // the CDK app under examples/cdk checks the real thing end to end.
    const tokenObject = {
      resolve: () => ({ 'Fn::GetAtt': ['RuntimeFunction', 'Arn'] }),
      toString: () => '${Token[TOKEN.42]}',
    };
    expect(
      module.archiveCallback.definitionSubstitutions({
        ClusterId: '${Token[TOKEN.7]}',
        RuntimeFunctionArn: tokenObject,
      }),
    ).toEqual({
      ClusterId: '${Token[TOKEN.7]}',
      RuntimeFunctionArn: '${Token[TOKEN.42]}',
    });
    const policy = module.archiveCallback.policyDocument({
      'AWS::Partition': '${Token[AWS.Partition.1]}',
      'AWS::Region': 'r',
      'AWS::AccountId': '1',
      ClusterId: 'c',
      RuntimeFunctionArn: tokenObject,
    });
    expect(JSON.stringify(policy)).toContain('"${Token[TOKEN.42]}"');
    expect(JSON.stringify(policy)).toContain('arn:${Token[AWS.Partition.1]}:redshift:r:1:cluster:c');
    expect(() =>
      module.archiveCallback.definitionSubstitutions({
        ClusterId: 'c',
        RuntimeFunctionArn: { 'Fn::GetAtt': ['F', 'Arn'] } as never,
      }),
    ).toThrow(
      'archive-callback: substitution RuntimeFunctionArn must be a string or a CDK token, got an object that is no CDK token',
    );
  });

  it("its fixed part is templates/typed-module.ts, whose error names are the contract's", () => {
    const fixed = typedModuleFixedPart();
    expect(readFileSync(join(root, 'examples/asl/index.ts'), 'utf8')).toContain(fixed.trimEnd());
    const project = new Project({ useInMemoryFileSystem: true });
    const file = project.createSourceFile('fixed.ts', fixed);
    const errorNames = file
      .getTypeAliasOrThrow('StepErrorName')
      .getTypeNodeOrThrow()
      .getDescendantsOfKind(SyntaxKind.StringLiteral)
      .map((literal) => literal.getLiteralValue());
    expect(errorNames).toEqual(Object.values(STEP_ERRORS));
  });

  it('declares per pipeline its key unions, input, output and module constant (read back with ts-morph)', () => {
    const project = new Project({ useInMemoryFileSystem: true });
    const file = project.createSourceFile('index.ts', readFileSync(join(root, 'examples/asl/index.ts'), 'utf8'));
    expect(file.getImportDeclarations()).toEqual([]);
    const keys = file.getTypeAliasOrThrow('NightlySalesSubstitutionKey').getTypeNodeOrThrow().getText();
    expect(keys).toBe("'ClusterId' | 'StateTableName'");
    const constant = file.getVariableDeclarationOrThrow('nightlySales');
    expect(constant.getTypeNodeOrThrow().getText()).toBe(
      'PipelineModule<NightlySalesSubstitutionKey, NightlySalesPolicySubstitutionKey>',
    );
    expect(
      file
        .getInterfaceOrThrow('NightlySalesInput')
        .getProperties()
        .map((property) => property.getName()),
    ).toEqual(['runDate']);
    expect([...file.getExportedDeclarations().keys()]).toEqual(
      expect.arrayContaining([
        'archiveCallback',
        'dataQuality',
        'mvRefresh',
        'nightlySales',
        'serverlessOrders',
        'pipelines',
        'SubstitutionValue',
        'TokenObject',
      ]),
    );
  });
});
