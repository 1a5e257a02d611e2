import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Branch, State } from '../../generator/compile/asl.ts';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { renderDefinition, successors } from '../../generator/emit/json.ts';
import { aslProblems } from '../../generator/emit/validate-asl.ts';
import { pipelineFrom } from './helpers.ts';

type RawStep = Record<string, unknown>;

const duration = fc.oneof(fc.integer({ min: 1, max: 86_400 }), fc.constantFrom('30s', '5m', '2h', '1h30m', '24h'));
let nextId = 0;
const stepId = fc.constant(null).map(() => `s${(nextId += 1)}`);

const statementStep: fc.Arbitrary<RawStep> = fc
  .record({
    id: stepId,
    body: fc.oneof(
      fc.constant({ sql: 'select 1' }),
      fc.constant({ sql: 'insert into t values (:v)', parameters: { v: '$.input.v' } }),
      fc.constant({ sqls: ['delete from t', "insert into t values ('a''b\\\\c {x}')"] }),
    ),
    results: fc.boolean(),
    singleton: fc.boolean(),
    timeout: fc.option(duration, { nil: undefined }),
    poll: fc.option(
      fc.record({ initial: fc.integer({ min: 1, max: 30 }), factor: fc.double({ min: 1, max: 4, noNaN: true }) }).map(({ initial, factor }) => ({ initial, max: initial * 4, factor })),
      { nil: undefined },
    ),
    retry: fc.option(fc.record({ attempts: fc.integer({ min: 0, max: 5 }) }), { nil: undefined }),
  })
  .map(({ id, body, results, singleton, timeout, poll, retry }) => ({
    id,
    ...body,
    ...(results ? { results } : {}),
    ...(singleton ? { singleton } : {}),
    ...(timeout !== undefined ? { timeout } : {}),
    ...(poll ? { poll } : {}),
    ...(retry ? { retry } : {}),
  }));

const parallelStep: fc.Arbitrary<RawStep> = fc.record({
  id: stepId,
  parallel: fc.array(fc.record({ steps: fc.array(statementStep, { minLength: 1, maxLength: 2 }) }), { minLength: 1, maxLength: 2 }),
});
const steps = fc.array(fc.oneof(statementStep, parallelStep), { minLength: 1, maxLength: 3 });

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
    if (state.Type === 'Parallel') state.Branches.forEach((inner) => reachable(inner).forEach((innerName) => seen.add(innerName)));
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
    if (state.Type === 'Fail' || state.Type === 'Succeed' || ('End' in state && state.End === true)) return `ends at ${name} without releasing`;
    stack.push(...successors(state));
  }
  return undefined;
}

describe('property: any valid spec compiles to a valid, fully connected machine', () => {
  it('holds for random pipelines', () => {
    fc.assert(
      fc.property(steps, (generated) => {
        const yaml = stringify({ version: 1, pipeline: 'prop', target: { cluster: 'c1', database: 'dev' }, steps: generated });
        const machine = compilePipeline(pipelineFrom(yaml)).machine;
        const definition: unknown = JSON.parse(renderDefinition(machine));
        expect(aslProblems(definition)).toBe('');

        const names = allStates(machine).map(([name]) => name);
        expect(new Set(names).size).toBe(names.length);
        expect([...reachable(machine)].sort()).toEqual([...names].sort());

        for (const [name] of allStates(machine).filter(([stateName]) => stateName.endsWith('.Acquire'))) {
          const id = name.slice(0, -'.Acquire'.length);
          const scope = [machine, ...allStates(machine).flatMap(([, state]) => (state.Type === 'Parallel' ? state.Branches : []))].find((branch) => `${id}.Execute` in branch.States) as Branch;
          expect(leaksLock(scope, id)).toBeUndefined();
        }
      }),
      { numRuns: 25 },
    );
  });

  it('the leak check itself finds a missing release', () => {
    const machine = compilePipeline(pipelineFrom(`version: 1\npipeline: p\ntarget: { cluster: c, database: d }\nsteps:\n  - id: a\n    sql: select 1\n    singleton: true\n`)).machine;
    expect(leaksLock(machine, 'a')).toBeUndefined();
    const skipsRelease: Branch = { StartAt: machine.StartAt, States: { ...machine.States, 'a.Status': { ...(machine.States['a.Status'] as State & { Type: 'Choice' }), Default: 'a.Record' } } };
    expect(leaksLock(skipsRelease, 'a')).toBe('ends at a.Record without releasing');
    const leaking: Branch = { StartAt: machine.StartAt, States: { ...machine.States, 'a.Failed': { Type: 'Fail', Error: 'x' } } };
    expect(leaksLock(leaking, 'a')).toBe('ends at a.Failed without releasing');
  });
});
