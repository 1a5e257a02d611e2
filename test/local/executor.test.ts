import { describe, expect, it } from 'vitest';
import { createExecutor, UnknownPlaceholderError } from '../../generator/local/executor/index.ts';

describe('executor (in-process functions only)', () => {
  it('runs a tiny machine and counts history exactly', async () => {
    const executor = createExecutor({ functions: { echo: async (event) => ({ got: event }) } });
    const result = await executor.execute(
      {
        StartAt: 'Call',
        States: {
          Call: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: 'echo', 'Payload.$': '$' },
            ResultSelector: { 'r.$': '$.Payload.got' },
            ResultPath: '$.call',
            Next: 'Done',
          },
          Done: { Type: 'Pass', End: true },
        },
      },
      { a: 1 },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ a: 1, call: { r: { a: 1 } } });
    expect(result.history.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(result.historyEventCount).toBe(9);
    expect(result.stateTransitions).toBe(2);
  });

  it('rejects an unknown placeholder, naming it', async () => {
    const executor = createExecutor();
    await expect(
      executor.execute({ StartAt: 'P', States: { P: { Type: 'Pass', Result: '${Known}-${Missing}', End: true } } }, {}, { substitutions: { Known: 'k' } }),
    ).rejects.toThrow(UnknownPlaceholderError);
  });
});
