// A Fail state whose ErrorPath or CausePath names an absent field raises States.Runtime, which no
// Catch and no surrounding machine can handle by name ("Fail" state, Step Functions developer
// guide). A caught error may have no Cause (a Task timeout has none), so a singleton step that
// re-raises after releasing its lock looks first (RaiseCause). Runs the generated states on the
// local executor, which is as strict as Step Functions here.
import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import type { StateMachine } from '../../generator/compile/asl.ts';
import { createExecutor } from '../../local/executor/index.ts';
import { pipelineFrom } from './helpers.ts';

const machine = compilePipeline(
  pipelineFrom(
    'version: 1\npipeline: guards\ntarget: { cluster: c, database: d, dbUser: u }\nstateTable: locks\nsteps:\n  - id: mv\n    sql: refresh materialized view mv\n    singleton: true\n',
  ),
).machine;

const RAISE_STATES = ['mv.RaiseCause', 'mv.Raise', 'mv.RaiseUntold'];

/** The generated raise states, entered at one of them. */
function from(state: string): StateMachine {
  const states = RAISE_STATES.filter((name) => name === state || state === 'mv.RaiseCause');
  return {
    StartAt: state,
    States: Object.fromEntries(states.map((name) => [name, machine.States[name]])),
  } as StateMachine;
}

describe('re-raising a caught error after the release', () => {
  const executor = createExecutor();

  it('raises the error with its Cause when there is one', async () => {
    const result = await executor.execute(from('mv.RaiseCause'), {
      steps: { mv: { Error: { Error: 'RedshiftData.ValidationException', Cause: 'bad id' } } },
    });
    expect(result).toMatchObject({ status: 'FAILED', error: 'RedshiftData.ValidationException', cause: 'bad id' });
  });

  it('raises the error by name when the caught error has no Cause', async () => {
    const result = await executor.execute(from('mv.RaiseCause'), {
      steps: { mv: { Error: { Error: 'States.Timeout' } } },
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.Timeout');
  });

  it('without the guard the same input would end in States.Runtime', async () => {
    const result = await executor.execute(from('mv.Raise'), { steps: { mv: { Error: { Error: 'States.Timeout' } } } });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.Runtime');
  });
});
