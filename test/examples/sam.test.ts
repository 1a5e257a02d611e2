// The SAM example (examples/sam/template.yaml): AWS's cfn-lint (which applies the SAM transform)
// finds nothing, the machine is STANDARD with every substitution its definition needs, and the
// role's policy is an exact copy of the generated nightly-sales.iam.json as Fn::Sub reads both.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, type ScalarTag } from 'yaml';
import { cfnLint, cfnLintVersion } from './cfn-lint.ts';

const ROOT = join(import.meta.dirname, '../..');
const TEMPLATE = join(ROOT, 'examples/sam/template.yaml');

/** The short forms this template uses, as their long forms. */
const TAGS: ScalarTag[] = [
  { tag: '!Sub', resolve: (value: string) => ({ 'Fn::Sub': value }) as never },
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) as never },
  { tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value.split('.') }) as never },
];

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A policy as CloudFormation hands it to IAM: Fn::Sub's `${!x}` escape undone, its variables named `<x>`. */
function asDeployed(value: Json, insideSub = false): Json {
  if (typeof value === 'string')
    return insideSub
      ? value.replace(/\$\{(!?)([^}]*)\}/g, (_, literal: string, name: string) =>
          literal ? `\${${name}}` : `<${name}>`,
        )
      : value;
  if (Array.isArray(value)) return value.map((item) => asDeployed(item, insideSub));
  if (value !== null && typeof value === 'object') {
    if ('Fn::Sub' in value) return asDeployed(value['Fn::Sub'] as Json, true);
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, asDeployed(item, insideSub)]));
  }
  return value;
}

const template = parse(readFileSync(TEMPLATE, 'utf8'), { customTags: TAGS }) as {
  Resources: Record<string, { Type: string; Properties: Record<string, Json> }>;
};

describe('examples/sam/template.yaml', () => {
  it('is a STANDARD machine of nightly-sales.asl.json with every substitution its definition needs', () => {
    const machine = template.Resources.NightlySales;
    expect(machine?.Type).toBe('AWS::Serverless::StateMachine');
    expect(machine?.Properties.Type).toBe('STANDARD');
    expect(machine?.Properties.DefinitionUri).toBe('../asl/nightly-sales.asl.json');
    const definition = readFileSync(join(ROOT, 'examples/asl/nightly-sales.asl.json'), 'utf8');
    const placeholders = [
      ...new Set([...definition.matchAll(/\$\{([A-Za-z][A-Za-z0-9_]*)\}/g)].map((match) => match[1])),
    ].sort();
    expect(Object.keys(machine?.Properties.DefinitionSubstitutions as object).sort()).toEqual(placeholders);
  });

  it('carries the generated role policy exactly, each ARN under !Sub', () => {
    const role = template.Resources.NightlySalesRole;
    const [policy] = (role?.Properties.Policies ?? []) as { PolicyDocument: Json }[];
    const generated = JSON.parse(readFileSync(join(ROOT, 'examples/asl/nightly-sales.iam.json'), 'utf8')) as Json;
    // The generated file is written for Fn::Sub as a whole: read it the same way.
    expect(asDeployed(policy?.PolicyDocument as Json)).toEqual(asDeployed({ 'Fn::Sub': generated } as unknown as Json));
    // Fn::Sub's escape, should a generated policy hold one: `${!aws:userid}` is deployed as `${aws:userid}`.
    expect(asDeployed({ 'Fn::Sub': 'x:${!aws:userid}:${Name}' })).toBe('x:${aws:userid}:<Name>');
  });

  it.skipIf(cfnLintVersion === undefined)(
    `passes cfn-lint with no error and no warning (${cfnLintVersion ?? 'cfn-lint not installed'})`,
    () => {
      expect(cfnLint(TEMPLATE)).toEqual({ status: 0, output: '' });
    },
  );
});
