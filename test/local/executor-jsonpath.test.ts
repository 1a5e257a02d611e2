// JSONPath as Step Functions evaluates it (Jayway JsonPath): an indefinite path (filter, wildcard,
// deep scan) always yields a list, `[]` when nothing matches ("Paths", Step Functions developer
// guide: `$.jar[?(@.a >= 5)] => [{"a": 5}, {"a": 7}]`). aws-local-stepfunctions gave undefined
// (States.Runtime) and bare values; local/executor/engine.ts loads it with that fixed.
import { describe, expect, it } from 'vitest';
import { createExecutor } from '../../local/executor/index.ts';

describe('JSONPath in Parameters', () => {
  it('gives lists for indefinite paths, [] when nothing matches, and bare values for definite ones', async () => {
    const executor = createExecutor();
    const result = await executor.execute(
      {
        StartAt: 'P',
        States: {
          P: {
            Type: 'Pass',
            Parameters: {
              'none.$': '$.subs[?(@.HasResultSet == true)].Id',
              'one.$': '$.mixed[?(@.HasResultSet == true)].Id',
              'deepNone.$': '$.subs..Error',
              'deepOne.$': '$..Error',
              'wildcard.$': '$.mixed[*].Id',
              'definite.$': '$.mixed[1].Id',
              'context.$': '$$.Execution.Input.subs[0].Id',
            },
            End: true,
          },
        },
      },
      {
        subs: [{ Id: 'a', HasResultSet: false }],
        mixed: [
          { Id: 'b', HasResultSet: false },
          { Id: 'c', HasResultSet: true },
        ],
        Error: 'boom',
      },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({
      none: [],
      one: ['c'],
      deepNone: [],
      deepOne: ['boom'],
      wildcard: ['b', 'c'],
      definite: 'c',
      context: 'a',
    });
  });

  it('still fails States.Runtime for a definite path that is absent', async () => {
    const executor = createExecutor();
    const result = await executor.execute(
      { StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { 'x.$': '$.absent' }, End: true } } },
      {},
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.Runtime');
  });
});
