// Executor behaviour that needs no server: in-process Lambda functions, Pass/Wait/Parallel/Choice.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createExecutor, UnknownPlaceholderError, UnsupportedResourceError } from '../../local/executor/index.ts';

const invoke = 'arn:aws:states:::lambda:invoke';

describe('executor', () => {
  it('runs a tiny machine and counts its history exactly', async () => {
    const executor = createExecutor({ functions: { echo: async (event) => ({ got: event }) } });
    const seen: string[] = [];
    const result = await executor.execute(
      {
        StartAt: 'Call',
        States: {
          Call: {
            Type: 'Task',
            Resource: invoke,
            Parameters: { FunctionName: 'echo', 'Payload.$': '$' },
            ResultSelector: { 'r.$': '$.Payload.got', 'code.$': '$.StatusCode' },
            ResultPath: '$.call',
            Next: 'Done',
          },
          Done: { Type: 'Pass', End: true },
        },
      },
      { a: 1 },
      { onEvent: (event) => seen.push(event.type) },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ a: 1, call: { r: { a: 1 }, code: 200 } });
    const types = [
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ];
    expect(result.history.map((e) => e.type)).toEqual(types);
    expect(result.history.map((e) => e.id)).toEqual(types.map((_, i) => i + 1));
    expect(seen).toEqual(types);
    expect(result.historyEventCount).toBe(9);
    expect(result.stateTransitions).toBe(2);
    expect(result.executionArn).toMatch(
      /^arn:aws:states:us-east-1:123456789012:execution:LocalStateMachine:[0-9a-f-]{36}$/,
    );
  });

  it('counts retries as transitions and a caught failure exits without TaskSucceeded', async () => {
    let calls = 0;
    const executor = createExecutor({
      functions: {
        flaky: async () => {
          calls++;
          const error = new Error('not yet');
          error.name = 'Transient';
          throw error;
        },
      },
    });
    const result = await executor.execute(
      {
        StartAt: 'Call',
        States: {
          Call: {
            Type: 'Task',
            Resource: invoke,
            Parameters: { FunctionName: 'flaky' },
            Retry: [{ ErrorEquals: ['Transient'], IntervalSeconds: 30, MaxAttempts: 2 }],
            Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Handled' }],
            Next: 'Handled',
          },
          Handled: { Type: 'Succeed' },
        },
      },
      {},
      { retryIntervalMs: 1 },
    );
    expect(calls).toBe(3);
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as { error: { Error: string } }).error.Error).toBe('Transient');
    expect(result.history.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(result.stateTransitions).toBe(4); // Call + 2 retries + Handled
  });

  it('names Lambda errors as Step Functions does', async () => {
    class InvalidRequest extends Error {
      override name = 'InvalidRequest';
    }
    const executor = createExecutor({
      functions: {
        'arn:aws:lambda:us-east-1:123456789012:function:runtime': async () => {
          throw new InvalidRequest('missing field action');
        },
      },
    });
    const result = await executor.execute(
      {
        StartAt: 'Call',
        States: {
          Call: {
            Type: 'Task',
            Resource: invoke,
            Parameters: { FunctionName: 'runtime:$LATEST', Payload: {} },
            End: true,
          },
        },
      },
      {},
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidRequest');
    const cause = JSON.parse(result.cause ?? '') as { errorType: string; errorMessage: string; trace: string[] };
    expect(cause.errorType).toBe('InvalidRequest');
    expect(cause.errorMessage).toBe('missing field action');
    expect(cause.trace[0]).toBe('InvalidRequest: missing field action');
    expect(result.history.at(-2)?.type).toBe('TaskFailed');

    const missing = await executor.execute(
      {
        StartAt: 'Call',
        States: { Call: { Type: 'Task', Resource: invoke, Parameters: { FunctionName: 'nope' }, End: true } },
      },
      {},
    );
    expect(missing.error).toBe('Lambda.ResourceNotFoundException');
  });

  it('gives each Parallel branch its own copy of the input', async () => {
    const executor = createExecutor({
      functions: {
        slowEcho: async (event) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          return event;
        },
      },
    });
    const result = await executor.execute(
      {
        StartAt: 'Both',
        States: {
          Both: {
            Type: 'Parallel',
            End: true,
            Branches: [
              { StartAt: 'A', States: { A: { Type: 'Pass', Result: 'from A', ResultPath: '$.shared.a', End: true } } },
              {
                StartAt: 'B',
                States: {
                  B: {
                    Type: 'Task',
                    Resource: invoke,
                    Parameters: { FunctionName: 'slowEcho', 'Payload.$': '$' },
                    ResultSelector: { 'seen.$': '$.Payload' },
                    ResultPath: '$.b',
                    End: true,
                  },
                },
              },
            ],
          },
        },
      },
      { shared: { x: 1 } },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual([
      { shared: { x: 1, a: 'from A' } },
      { shared: { x: 1 }, b: { seen: { shared: { x: 1 } } } },
    ]);
    const types = result.history.map((e) => e.type);
    expect(types.filter((t) => t === 'ParallelStateStarted')).toHaveLength(1);
    expect(types.at(-3)).toBe('ParallelStateSucceeded');
    expect(result.stateTransitions).toBe(3);
  });

  it('fixes ResultPath "$", falsy Pass results, and $$.Execution.Input inside branches', async () => {
    const executor = createExecutor();
    const result = await executor.execute(
      {
        StartAt: 'Replace',
        States: {
          Replace: { Type: 'Pass', Result: { replaced: true, orig: 'x' }, ResultPath: '$', Next: 'Zero' },
          Zero: { Type: 'Pass', Result: 0, ResultPath: '$.zero', Next: 'Fork' },
          Fork: {
            Type: 'Parallel',
            Parameters: { only: 'this' },
            ResultPath: '$.fork',
            Next: 'Done',
            Branches: [
              {
                StartAt: 'Ctx',
                States: {
                  Ctx: {
                    Type: 'Pass',
                    Parameters: {
                      'input.$': '$$.Execution.Input',
                      'start.$': '$$.Execution.StartTime',
                      'id.$': '$$.Execution.Id',
                      'branch.$': '$',
                    },
                    End: true,
                  },
                },
              },
            ],
          },
          Done: { Type: 'Pass', End: true },
        },
      },
      { orig: 'execution input' },
    );
    expect(result.status).toBe('SUCCEEDED');
    const output = result.output as {
      replaced: boolean;
      zero: number;
      fork: [{ input: unknown; start: string; id: string; branch: unknown }];
    };
    expect(output.replaced).toBe(true);
    expect(output.zero).toBe(0);
    expect(output.fork[0].input).toEqual({ orig: 'execution input' });
    expect(output.fork[0].branch).toEqual({ only: 'this' });
    expect(output.fork[0].id).toBe(result.executionArn);
    expect(output.fork[0].start).toBe(executor.registry.getExecution(result.executionArn)?.startDate.toISOString());
  });

  it('fills $$.State.EnteredTime per state (Step Functions guide, "Accessing execution data from the Context object": EnteredTime, ISO 8601) and compares it in Timestamp*Path Choice rules', async () => {
    const executor = createExecutor();
    const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
    const before = new Date().toISOString();
    const entered = (field: string) => ({
      Type: 'Pass',
      Parameters: { 'at.$': '$$.State.EnteredTime' },
      ResultPath: `$.${field}`,
    });
    const result = await executor.execute(
      {
        StartAt: 'First',
        States: {
          First: { ...entered('first'), Next: 'Fork' },
          Fork: {
            Type: 'Parallel',
            ResultPath: '$.fork',
            Next: 'Past',
            Branches: [
              { StartAt: 'Inner', States: { Inner: { ...entered('inner'), OutputPath: '$.inner', End: true } } },
            ],
          },
          // A stored timestamp compared with the time the Choice is entered, as the lock's HolderExpiry does.
          Past: {
            Type: 'Choice',
            Choices: [{ Variable: '$.past', TimestampLessThanEqualsPath: '$$.State.EnteredTime', Next: 'Future' }],
            Default: 'Wrong',
          },
          Future: {
            Type: 'Choice',
            Choices: [{ Variable: '$.future', TimestampLessThanEqualsPath: '$$.State.EnteredTime', Next: 'Wrong' }],
            Default: 'Same',
          },
          // One value for every read within one state's entry.
          Same: {
            Type: 'Choice',
            Choices: [{ Variable: '$$.State.EnteredTime', TimestampEqualsPath: '$$.State.EnteredTime', Next: 'Last' }],
            Default: 'Wrong',
          },
          Last: { ...entered('last'), End: true },
          Wrong: { Type: 'Fail', Error: 'Wrong' },
        },
      },
      { past: '2000-01-01T00:00:00Z', future: '2999-01-01T00:00:00.000Z' },
    );
    const after = new Date().toISOString();
    expect([result.status, result.error]).toEqual(['SUCCEEDED', undefined]);
    const output = result.output as { first: { at: string }; fork: [{ at: string }]; last: { at: string } };
    const times = [output.first.at, output.fork[0].at, output.last.at];
    for (const time of times) expect(time).toMatch(rfc3339);
    // Ordered as the states were entered (ISO-8601 UTC strings of one width sort as times).
    expect([before, ...times, after]).toEqual([before, ...times, after].sort());
  });

  it('substitutes ${Name} placeholders and names the unknown ones', async () => {
    const executor = createExecutor();
    const definition = {
      StartAt: 'P',
      States: { P: { Type: 'Pass', Result: { table: '${Table}', other: '${Other}' }, End: true } },
    };
    const ok = await executor.execute(definition, {}, { substitutions: { Table: 't1', Other: 'o' } });
    expect(ok.output).toEqual({ table: 't1', other: 'o' });
    const error = await executor.execute(definition, {}, { substitutions: { Table: 't1' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownPlaceholderError);
    expect((error as UnknownPlaceholderError).placeholders).toEqual(['Other']);
    expect((error as Error).message).toContain('${Other}');
  });

  it('compresses Wait states and honours the machine timeout (scaled)', async () => {
    const executor = createExecutor();
    const definition = {
      StartAt: 'Long',
      States: {
        Long: { Type: 'Wait', Seconds: 3600, Next: 'Again' },
        Again: { Type: 'Wait', Seconds: 3600, End: true },
      },
    };
    // Uncompressed, the two 3600 s waits would outlast the test's timeout.
    const fast = await executor.execute(definition, { k: 1 }, { waitMs: 5 });
    expect(fast.status).toBe('SUCCEEDED');
    expect(fast.output).toEqual({ k: 1 });
    expect(fast.history.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'WaitStateEntered',
      'WaitStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'ExecutionSucceeded',
    ]);
    const timed = await executor.execute({ ...definition, TimeoutSeconds: 60 }, {}, { timeoutScale: 0.001 });
    expect(timed.status).toBe('TIMED_OUT');
    expect(timed.history.at(-1)?.type).toBe('ExecutionTimedOut');
  });

  it('stops on an abort signal (ABORTED)', async () => {
    let called: () => void = () => undefined;
    const hanging = new Promise<void>((resolve) => {
      called = resolve;
    });
    const never = () => {
      called();
      return new Promise(() => undefined);
    };
    const executor = createExecutor({ functions: { never } });
    const controller = new AbortController();
    const running = executor.execute(
      {
        StartAt: 'Hang',
        States: { Hang: { Type: 'Task', Resource: invoke, Parameters: { FunctionName: 'never' }, End: true } },
      },
      {},
      { signal: controller.signal, name: 'hang-1', stateMachineName: 'Hanging' },
    );
    await hanging;
    expect(
      executor.registry.getExecution('arn:aws:states:us-east-1:123456789012:execution:Hanging:hang-1')?.status,
    ).toBe('RUNNING');
    controller.abort();
    const result = await running;
    expect(result.status).toBe('ABORTED');
    expect(result.history.at(-1)?.type).toBe('ExecutionAborted');
    expect(executor.registry.getExecution(result.executionArn)?.status).toBe('ABORTED');
  });

  it('leaves no timer that keeps the process alive after aborted, timed-out and failed runs', async () => {
    // A child process runs the scenarios; a leftover engine Task timer (60 s by default in the
    // engine, 24 days with our default) would keep it from exiting.
    const { build } = await import('esbuild');
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const outfile = join(root, 'node_modules', '.cache', 'sfn-redshift-tests', `exit-${process.pid}.mjs`);
    const script = `
      import { createExecutor } from './local/executor/index.ts';
      const executor = createExecutor({ functions: { never: () => new Promise(() => {}), fail: async () => { throw new Error('x'); } } });
      const hang = { Type: 'Task', Resource: '${invoke}', Parameters: { FunctionName: 'never' }, End: true };
      const callback = { Type: 'Task', Resource: '${invoke}.waitForTaskToken', Parameters: { FunctionName: 'never', Payload: { 't.$': '$$.Task.Token' } }, End: true };
      const failing = { Type: 'Task', Resource: '${invoke}', Parameters: { FunctionName: 'fail' }, End: true };
      const controller = new AbortController();
      const aborted = executor.execute({ StartAt: 'H', States: { H: hang } }, {}, { signal: controller.signal });
      setTimeout(() => controller.abort(), 20);
      const statuses = await Promise.all([
        aborted,
        executor.execute({ StartAt: 'C', TimeoutSeconds: 60, States: { C: callback } }, {}, { timeoutScale: 0.001 }),
        executor.execute({ StartAt: 'P', States: { P: { Type: 'Parallel', End: true, Branches: [
          { StartAt: 'F', States: { F: failing } }, { StartAt: 'C2', States: { C2: callback } }, { StartAt: 'H2', States: { H2: hang } } ] } } }, {}),
      ]);
      console.log(JSON.stringify(statuses.map((r) => r.status)));
      // What would keep the process alive: a timer left behind (the runs are settled by now).
      setImmediate(() => console.log(JSON.stringify(process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout'))));
    `;
    await build({
      stdin: { contents: script, resolveDir: root, loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outfile,
      logLevel: 'silent',
    });
    // The timeout only ends a child that hangs (the test then fails on its output and exit code).
    const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      const child = execFile(process.execPath, ['--no-warnings', outfile], { timeout: 30_000 }, (_error, out) =>
        resolve({ stdout: String(out), code: child.exitCode }),
      );
    });
    await rm(outfile, { force: true });
    expect(stdout.trim().split('\n')).toEqual(['["ABORTED","TIMED_OUT","FAILED"]', '[]']);
    expect(code).toBe(0);
  });

  it('refuses unsupported resources before running', async () => {
    const executor = createExecutor();
    await expect(
      executor.execute(
        {
          StartAt: 'S3',
          States: { S3: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:s3:getObject', End: true } },
        },
        {},
      ),
    ).rejects.toThrow(UnsupportedResourceError);
    await expect(
      executor.execute(
        {
          StartAt: 'D',
          States: { D: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', Parameters: {}, End: true } },
        },
        {},
      ),
    ).rejects.toThrow(/no dynamodb client/);
  });

  it('reuses the validated machine for the same definition', async () => {
    const executor = createExecutor();
    const definition = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };
    const prepared = executor.prepare(definition);
    for (let i = 0; i < 3; i++) expect((await executor.execute(definition, { i })).output).toEqual({ i });
    expect(executor.prepare(structuredClone(definition))).toBe(prepared);
    expect(executor.prepare(definition, { timeoutScale: 0.5 })).not.toBe(prepared);
  });
});
