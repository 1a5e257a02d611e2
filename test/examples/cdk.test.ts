// The CDK app of examples/cdk (the README's CDK section, complete) synthesized with the real
// aws-cdk-lib: Standard machines whose roles carry the generated policies with every placeholder
// resolved, the runtime stack from the generated template, and AWS's cfn-lint finding nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelinesApp } from '../../examples/cdk/app.ts';
import { cli } from '../generator/cli-harness.ts';
import { cfnLint, cfnLintVersion } from './cfn-lint.ts';

const ROOT = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'sfn-redshift-cdk-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Resource = { Type: string; Properties: Record<string, unknown> };
let template: { Resources: Record<string, Resource> };
let templateFile: string;
let synthMessages: string[];

beforeAll(async () => {
  expect(await cli(work, 'runtime', '--out', 'runtime')).toMatchObject({ code: 0 });
  const assembly = pipelinesApp({
    runtimeZip: join(work, 'runtime/runtime.zip'),
    outdir: join(work, 'cdk.out'),
  }).synth();
  const stack = assembly.getStackByName('RedshiftPipelines');
  synthMessages = stack.messages.map((message) => `${message.level}: ${String(message.entry.data)}`);
  template = stack.template as typeof template;
  templateFile = join(work, 'template.json');
  writeFileSync(templateFile, JSON.stringify(template, null, 2));
});

const ofType = (type: string) => Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

/** A logical id behind `{ "Fn::GetAtt": [id, "Arn"] }`. */
function getAttTarget(value: unknown): string {
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  expect(getAtt?.[1]).toBe('Arn');
  return getAtt?.[0] as string;
}

describe('examples/cdk', () => {
  it('makes a Standard machine per pipeline with every DefinitionSubstitutions key the definition uses', () => {
    // The runtime stack's reaper (cleanup of stopped executions) is not a pipeline.
    const machines = ofType('AWS::StepFunctions::StateMachine').filter(([id]) => !id.startsWith('ReaperStateMachine'));
    expect(machines.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'ArchiveCallback',
      'DataQuality',
      'MvRefresh',
      'NightlySales',
      'ServerlessOrders',
    ]);
    for (const [id, machine] of machines) {
      expect(machine.Properties.StateMachineType, id).toBe('STANDARD');
      const name = id
        .replace(/[0-9A-F]{8}$/, '')
        .replace(/[A-Z]/g, (letter, index: number) => `${index > 0 ? '-' : ''}${letter.toLowerCase()}`);
      const definition = readFileSync(join(ROOT, 'examples/asl', `${name}.asl.json`), 'utf8');
      const placeholders = [
        ...new Set([...definition.matchAll(/\$\{([A-Za-z][A-Za-z0-9_]*)\}/g)].map((match) => match[1])),
      ].sort();
      expect(Object.keys(machine.Properties.DefinitionSubstitutions as object).sort(), id).toEqual(placeholders);
    }
  });

  it('gives each machine a role carrying the generated policy, every placeholder resolved', () => {
    for (const [id, machine] of ofType('AWS::StepFunctions::StateMachine').filter(
      ([name]) => !name.startsWith('ReaperStateMachine'),
    )) {
      const role = template.Resources[getAttTarget(machine.Properties.RoleArn)] as Resource;
      const policies = role.Properties.Policies as {
        PolicyDocument: { Statement: { Sid: string; Action: string | string[] }[] };
      }[];
      expect(policies).toHaveLength(1);
      const name = id
        .replace(/[0-9A-F]{8}$/, '')
        .replace(/[A-Z]/g, (letter, index: number) => `${index > 0 ? '-' : ''}${letter.toLowerCase()}`);
      const generated = JSON.parse(readFileSync(join(ROOT, 'examples/asl', `${name}.iam.json`), 'utf8')) as {
        Statement: { Sid: string; Action: string[] }[];
      };
      const document = policies[0]?.PolicyDocument;
      // CDK writes a one-action list as a string.
      expect(document?.Statement.map((statement) => [statement.Sid, [statement.Action].flat()])).toEqual(
        generated.Statement.map((statement) => [statement.Sid, statement.Action]),
      );
      const text = JSON.stringify(document);
      // ${aws:userid} is IAM's policy variable (the generated ${!aws:userid}, Fn::Sub's escape, resolved).
      expect(text.replaceAll('${aws:userid}', ''), id).not.toContain('${');
      expect(text, id).not.toContain('Token[');
      expect(text).not.toContain('${!');
    }
  });

  it('includes the runtime stack with its code from the asset and the machines wired to its outputs', () => {
    const [[, runtimeFunction] = []] = ofType('AWS::Lambda::Function');
    expect(JSON.stringify(runtimeFunction?.Properties.Code)).toContain('Fn::Sub');
    const archive = ofType('AWS::StepFunctions::StateMachine').find(([id]) => id.startsWith('ArchiveCallback'))?.[1];
    const substitutions = archive?.Properties.DefinitionSubstitutions as
      | Record<string, { 'Fn::GetAtt'?: unknown }>
      | undefined;
    const getAtt = substitutions?.RuntimeFunctionArn?.['Fn::GetAtt'];
    expect([getAtt].flat().join('.')).toBe('RuntimeFunction.Arn');
  });

  it('synthesizes without a warning or error of CDK', () => {
    expect(synthMessages).toEqual([]);
  });

  it.skipIf(cfnLintVersion === undefined)(
    `passes cfn-lint with no error and no warning (${cfnLintVersion ?? 'cfn-lint not installed'})`,
    () => {
      expect(cfnLint(templateFile)).toEqual({ status: 0, output: '' });
    },
  );
});
