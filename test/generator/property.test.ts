import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Branch, State } from '../../generator/compile/asl.ts';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { renderDefinition, successors } from '../../generator/emit/json.ts';
import { aslProblems } from '../../generator/emit/validate-asl.ts';
import { steps } from './arbitrary-pipelines.ts';
import { pipelineFrom } from './helpers.ts';

function allStates(branch: Branch): [string, State][] {
  return Object.entries(branch.States).flatMap(([name, state]) => [
    [name, state] as [string, State],
    ...(state.Type === 'Parallel' ? state.Branches.flatMap(allStates) : []),
  ]);
}

function reachable(branch: Branch): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string) => {
    const state = branch.States[name];
    if (!state || seen.has(name)) return;
    seen.add(name);
    successors(state).forEach(visit);
    if (state.Type === 'Parallel')
      for (const inner of state.Branches) for (const innerName of reachable(inner)) seen.add(innerName);
  };
  visit(branch.StartAt);
  return seen;
}

/** From a state holding the lock, every way out of the step passes a release state. */
function leaksLock(branch: Branch, stepId: string): string | undefined {
  const states = Object.fromEntries(allStates(branch));
  const releases = new Set([`${stepId}.Release`, `${stepId}.ReleaseOnError`]);
  const seen = new Set<string>();
  const stack = [`${stepId}.Execute`];
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (seen.has(name) || releases.has(name)) continue;
    seen.add(name);
    const state = states[name];
    if (!state) return `${name} is missing`;
    if (!name.startsWith(`${stepId}.`)) return `leaves the step at ${name} without releasing`;
    if (state.Type === 'Fail' || state.Type === 'Succeed' || ('End' in state && state.End === true))
      return `ends at ${name} without releasing`;
    stack.push(...successors(state));
  }
  return undefined;
}

describe('property: any valid spec compiles to a valid, fully connected machine', () => {
  it('holds for random pipelines', () => {
    fc.assert(
      fc.property(steps, (generated) => {
        const yaml = stringify({
          version: 1,
          pipeline: 'prop',
          target: { cluster: 'c1', database: 'dev' },
          steps: generated,
        });
        const machine = compilePipeline(pipelineFrom(yaml)).machine;
        const definition: unknown = JSON.parse(renderDefinition(machine));
        expect(aslProblems(definition)).toBe('');

        const names = allStates(machine).map(([name]) => name);
        expect(new Set(names).size).toBe(names.length);
        expect([...reachable(machine)].sort()).toEqual([...names].sort());

        for (const [name] of allStates(machine).filter(([stateName]) => stateName.endsWith('.Acquire'))) {
          const id = name.slice(0, -'.Acquire'.length);
          const scope = [
            machine,
            ...allStates(machine).flatMap(([, state]) => (state.Type === 'Parallel' ? state.Branches : [])),
          ].find((branch) => `${id}.Execute` in branch.States) as Branch;
          expect(leaksLock(scope, id)).toBeUndefined();
        }
      }),
      { numRuns: 25 },
    );
  });

  it('the leak check itself finds a missing release', () => {
    const machine = compilePipeline(
      pipelineFrom(
        `version: 1\npipeline: p\ntarget: { cluster: c, database: d }\nsteps:\n  - id: a\n    sql: select 1\n    singleton: true\n`,
      ),
    ).machine;
    expect(leaksLock(machine, 'a')).toBeUndefined();
    const skipsRelease: Branch = {
      StartAt: machine.StartAt,
      States: {
        ...machine.States,
        'a.Status': { ...(machine.States['a.Status'] as State & { Type: 'Choice' }), Default: 'a.Record' },
      },
    };
    expect(leaksLock(skipsRelease, 'a')).toBe('ends at a.Record without releasing');
    const leaking: Branch = {
      StartAt: machine.StartAt,
      States: { ...machine.States, 'a.Failed': { Type: 'Fail', Error: 'x' } },
    };
    expect(leaksLock(leaking, 'a')).toBe('ends at a.Failed without releasing');
  });
});
