// History-event and state-transition accounting: pure unit tests on engine event sequences, and
// exact counts for tiny machines run by the real engine.
import { describe, expect, it } from 'vitest';
import { accountHistory, type EngineEvent } from '../../local/executor/history.ts';
import { createExecutor } from '../../local/executor/index.ts';

let clock = 1_700_000_000_000;
const ev = (type: string, state?: [string, string], extra: Partial<EngineEvent> = {}): EngineEvent => ({
  type,
  timestamp: clock++,
  ...(state ? { state: { name: state[0], type: state[1] } } : {}),
  ...extra,
});
const task = (name: string): [string, string] => [name, 'Task'];
const resources: Record<string, string> = {
  Run: 'arn:aws:states:::aws-sdk:redshiftdata:executeStatement',
  Callback: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
};
const info = (name: string) => (resources[name] ? { resource: resources[name] } : undefined);

describe('history accounting (pure)', () => {
  it('maps a Task that succeeds', () => {
    const { history, stateTransitions, historyEventCount } = accountHistory(
      [
        ev('ExecutionStarted'),
        ev('StateEntered', task('Run')),
        ev('StateExited', task('Run')),
        ev('ExecutionSucceeded'),
      ],
      info,
    );
    expect(history.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(history[2]).toMatchObject({ id: 3, stateName: 'Run', resource: resources.Run });
    expect(history[0]?.timestamp).toBe(new Date(1_700_000_000_000).toISOString());
    expect(historyEventCount).toBe(7);
    expect(stateTransitions).toBe(1);
  });

  it('adds TaskSubmitted for callbacks, TaskTimedOut for States.Timeout, and counts retries', () => {
    const { history, stateTransitions } = accountHistory(
      [
        ev('ExecutionStarted'),
        ev('StateEntered', task('Callback')),
        ev('StateFailed', task('Callback'), { Error: 'States.Timeout', Cause: 'States.Timeout' }),
        ev('StateRetried', task('Callback')),
        ev('StateFailed', task('Callback'), { Error: 'Boom', Cause: 'bad' }),
        ev('ExecutionFailed', undefined, { Error: 'Boom', Cause: 'bad' }),
      ],
      info,
    );
    expect(history.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskTimedOut',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskFailed',
      'ExecutionFailed',
    ]);
    expect(history.at(-2)).toMatchObject({ error: 'Boom', cause: 'bad' });
    expect(stateTransitions).toBe(2);
  });

  it('a caught failure exits the state without a success event; Fail states never exit', () => {
    const { history } = accountHistory([
      ev('ExecutionStarted'),
      ev('StateEntered', ['Fork', 'Parallel']),
      ev('ParallelBranchStarted'),
      ev('StateEntered', ['Inner', 'Fail']),
      ev('StateFailed', ['Inner', 'Fail'], { Error: 'E' }),
      ev('ParallelBranchFailed'),
      ev('StateFailed', ['Fork', 'Parallel'], { Error: 'E' }),
      ev('StateCaught', ['Fork', 'Parallel']),
      ev('StateExited', ['Fork', 'Parallel']),
      ev('StateEntered', ['Next', 'Choice']),
      ev('StateExited', ['Next', 'Choice']),
      ev('StateEntered', ['End', 'Fail']),
      ev('StateFailed', ['End', 'Fail'], { Error: 'F' }),
      ev('ExecutionFailed', undefined, { Error: 'F' }),
    ]);
    expect(history.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'ParallelStateEntered',
      'ParallelStateStarted',
      'FailStateEntered',
      'ParallelStateFailed',
      'ParallelStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
  });

  it('keeps Map iterations apart by index, and maps aborts and timeouts', () => {
    const { history, stateTransitions } = accountHistory([
      ev('ExecutionStarted'),
      ev('StateEntered', ['Each', 'Map']),
      ev('MapIterationStarted', undefined, { index: 0 }),
      ev('MapIterationStarted', undefined, { index: 1 }),
      ev('StateEntered', task('Item'), { index: 0 }),
      ev('StateEntered', task('Item'), { index: 1 }),
      ev('StateFailed', task('Item'), { index: 1, Error: 'E' }),
      ev('StateCaught', task('Item'), { index: 1 }),
      ev('StateExited', task('Item'), { index: 0 }),
      ev('StateExited', task('Item'), { index: 1 }),
      ev('ExecutionAborted'),
      ev('ExecutionTimeout'),
    ]);
    const types = history.map((e) => e.type);
    expect(types.filter((t) => t === 'TaskSucceeded')).toHaveLength(1);
    expect(types.filter((t) => t === 'TaskStateExited')).toHaveLength(2);
    expect(types.slice(-2)).toEqual(['ExecutionAborted', 'ExecutionTimedOut']);
    expect(history.find((e) => e.type === 'TaskFailed')?.mapIterationIndex).toBe(1);
    expect(stateTransitions).toBe(3);
  });

  it('does not count TaskFailed for States.Runtime (input/output processing)', () => {
    const { history } = accountHistory(
      [
        ev('ExecutionStarted'),
        ev('StateEntered', task('Run')),
        ev('StateFailed', task('Run'), { Error: 'States.Runtime' }),
      ],
      info,
    );
    expect(history.map((e) => e.type)).not.toContain('TaskFailed');
  });
});

describe('history accounting (real engine)', () => {
  const executor = createExecutor();

  it('Parallel with two one-state branches: 10 events, 3 transitions', async () => {
    const result = await executor.execute(
      {
        StartAt: 'Fork',
        States: {
          Fork: {
            Type: 'Parallel',
            End: true,
            Branches: [
              { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } },
              { StartAt: 'B', States: { B: { Type: 'Pass', End: true } } },
            ],
          },
        },
      },
      {},
    );
    const types = result.history.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['ExecutionStarted', 'ParallelStateEntered', 'ParallelStateStarted']);
    expect(types.slice(-3)).toEqual(['ParallelStateSucceeded', 'ParallelStateExited', 'ExecutionSucceeded']);
    expect([...types].sort()).toEqual(
      [
        'ExecutionStarted',
        'ParallelStateEntered',
        'ParallelStateStarted',
        'PassStateEntered',
        'PassStateExited',
        'PassStateEntered',
        'PassStateExited',
        'ParallelStateSucceeded',
        'ParallelStateExited',
        'ExecutionSucceeded',
      ].sort(),
    );
    expect(result.historyEventCount).toBe(10);
    expect(result.stateTransitions).toBe(3);
  });

  it('Map over two items: 14 events, 3 transitions', async () => {
    const result = await executor.execute(
      {
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemProcessor: { StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } },
            End: true,
          },
        },
      },
      { items: [1, 2] },
    );
    expect(result.output).toEqual([1, 2]);
    const count = (type: string) => result.history.filter((e) => e.type === type).length;
    expect(count('MapIterationStarted')).toBe(2);
    expect(count('MapIterationSucceeded')).toBe(2);
    expect(count('PassStateEntered')).toBe(2);
    expect(result.history.at(-3)?.type).toBe('MapStateSucceeded');
    expect(result.historyEventCount).toBe(14);
    expect(result.stateTransitions).toBe(3);
  });
});
