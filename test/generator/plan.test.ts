// The plan the compiler returns beside the machine: every view reads it instead of parsing state
// names, ARNs or rendered text, so it must say exactly what the machine holds.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Branch } from '../../generator/compile/asl.ts';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { stateOf, statementStepPlans, type PipelinePlan } from '../../generator/compile/plan.ts';
import { renderDefinition } from '../../generator/emit/json.ts';
import { PLACEHOLDER_PATTERN } from '../../generator/load/placeholders.ts';
import { pipelineFrom } from './helpers.ts';

const root = join(import.meta.dirname, '../..');
const examples = readdirSync(join(root, 'examples/pipelines'))
  .filter((file) => file.endsWith('.yaml'))
  .map((file) =>
    pipelineFrom(readFileSync(join(root, 'examples/pipelines', file), 'utf8'), join(root, 'examples/pipelines', file)),
  );

const INLINE = `version: 1
pipeline: p
description: "runs on \${Env}"
stateTable: "\${Table}"
target: { workgroup: "\${Wg}", database: dev, secretArn: "\${Secret}" }
steps:
  - { id: a, sql: "select 1", singleton: true, results: true }
  - id: fan
    parallel:
      - steps: [{ id: b, sqls: ["select 2", "select 3"], results: true, mode: callback, singleton: true }]
      - steps: [{ id: c, sql: "select :x", parameters: { x: "\${Literal}" }, target: { cluster: "\${Cluster}", database: d, dbUser: u } }]
`;

function stateNames(branch: Branch): string[] {
  return Object.entries(branch.States).flatMap(([name, state]) => [
    name,
    ...(state.Type === 'Parallel' ? state.Branches.flatMap(stateNames) : []),
  ]);
}

const plans: [string, PipelinePlan][] = [
  ...examples.map((pipeline): [string, PipelinePlan] => [pipeline.name, compilePipeline(pipeline)]),
  ['inline', compilePipeline(pipelineFrom(INLINE))],
];

describe.each(plans)('the plan of %s', (_name, plan) => {
  it('knows the step and role of every state of the machine, and no other', () => {
    expect([...plan.stateRoles.keys()].sort()).toEqual(stateNames(plan.machine).sort());
    for (const [name, { stepId, role }] of plan.stateRoles) {
      const step = [...statementStepPlans(plan.steps), ...plan.steps].find((candidate) => candidate.step.id === stepId);
      expect(step && stateOf(step, role), name).toBe(name);
    }
  });

  it('has the substitution keys the definition holds', () => {
    const definition = renderDefinition(plan.machine);
    const inText = [
      ...new Set([...definition.matchAll(PLACEHOLDER_PATTERN)].map((match) => match[1] as string)),
    ].sort();
    expect(plan.substitutionKeys).toEqual(inText);
  });
});

describe('the plan', () => {
  it('says how each singleton lock is taken, and by what key', () => {
    const plan = compilePipeline(pipelineFrom(INLINE));
    const [a, b, c] = statementStepPlans(plan.steps);
    expect(a?.lock).toMatchObject({
      takenBy: 'machine',
      table: '${Table}',
      target: 'workgroup:${Wg}',
      database: 'dev',
    });
    expect(b?.lock).toEqual({ takenBy: 'runtime' });
    expect(c?.lock).toBeUndefined();
    expect(plan.substitutionKeys).toEqual(['Cluster', 'Env', 'Literal', 'RuntimeFunctionArn', 'Secret', 'Table', 'Wg']);
  });
});
