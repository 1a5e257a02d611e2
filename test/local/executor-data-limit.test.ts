// Step Functions service quotas: a state's or task's input/output is at most 256 KiB as UTF-8;
// over it the execution fails States.DataLimitExceeded, which a States.ALL catcher does not catch
// (developer guide, "Error handling in Step Functions" and "Step Functions service quotas").
import { describe, expect, it } from 'vitest';
import { createExecutor } from '../../local/executor/index.ts';
import { PAYLOAD_LIMIT_BYTES } from '../../local/executor/data-limit.ts';

const invoke = 'arn:aws:states:::lambda:invoke';
const caughtByAll = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }];

/** A string whose JSON form makes a `{Payload: {text}}`-sized result land near `bytes`. */
const text = (bytes: number): string => 'é'.repeat(Math.floor(bytes / 2));

function machine(resultPath: string | null): unknown {
  return {
    StartAt: 'Big',
    States: {
      Big: {
        Type: 'Task',
        Resource: invoke,
        Parameters: { FunctionName: 'big', 'Payload.$': '$' },
        ResultSelector: { 'text.$': '$.Payload' },
        ResultPath: resultPath,
        Catch: caughtByAll,
        Next: 'After',
      },
      After: { Type: 'Task', Resource: invoke, Parameters: { FunctionName: 'after' }, ResultPath: null, Next: 'Done' },
      Caught: { Type: 'Pass', End: true },
      Done: { Type: 'Pass', End: true },
    },
  };
}

describe('States.DataLimitExceeded (256 KiB of UTF-8)', () => {
  it('a connector result over the limit fails the execution; States.ALL does not catch it and no later Task runs', async () => {
    let afterCalls = 0;
    const executor = createExecutor({
      functions: { big: async () => text(PAYLOAD_LIMIT_BYTES + 1000), after: async () => (afterCalls += 1) },
    });
    const result = await executor.execute(machine('$.big'), { size: 'n/a' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.DataLimitExceeded');
    expect(result.cause).toMatch(/state 'Big' has \d+ bytes, over the maximum of 262144 bytes/);
    expect(result.history.at(-1)).toMatchObject({ type: 'ExecutionFailed', error: 'States.DataLimitExceeded' });
    expect(afterCalls).toBe(0);
  });

  it("a state output over the limit (small result, big state) fails the execution, not the state's catcher", async () => {
    let afterCalls = 0;
    const half = text(PAYLOAD_LIMIT_BYTES / 2 + 1000);
    const executor = createExecutor({ functions: { big: async () => half, after: async () => (afterCalls += 1) } });
    const result = await executor.execute(machine('$.big'), { already: half });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.DataLimitExceeded');
    expect(result.cause).toMatch(/output of state 'Big'/);
    expect(afterCalls).toBe(0);
  });

  it('counts UTF-8 bytes: just under the limit passes', async () => {
    const executor = createExecutor({ functions: { big: async () => 'é'.repeat(100_000), after: async () => 1 } });
    const result = await executor.execute(machine(null), {});
    expect(result.status).toBe('SUCCEEDED');
  });

  it('a Parallel output over the limit with only Pass and Succeed states after it still fails the execution', async () => {
    const executor = createExecutor();
    const branch = (name: string) => ({ StartAt: name, States: { [name]: { Type: 'Pass', End: true } } });
    const result = await executor.execute(
      {
        StartAt: 'Grow',
        States: {
          Grow: { Type: 'Parallel', Branches: [branch('One'), branch('Two')], Next: 'Then' },
          Then: { Type: 'Pass', Next: 'Done' },
          Done: { Type: 'Succeed' },
        },
      },
      { half: text(PAYLOAD_LIMIT_BYTES / 2 + 1000) },
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.DataLimitExceeded');
    expect(result.history.at(-1)).toMatchObject({ type: 'ExecutionFailed', error: 'States.DataLimitExceeded' });
  });
});
