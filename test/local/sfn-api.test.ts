import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeExecutionCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StopExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { createSfnClient, startSfnApi, type LocalSfnApi } from '../../local/sfn-api.ts';
import { ExecutionRegistry, TaskFailure } from '../../local/executor/registry.ts';

const ARN = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:Machine:${name}`;

async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).name;
  }
  return 'no error';
}

describe('local Step Functions API', () => {
  let api: LocalSfnApi;
  let sfn: SFNClient;
  beforeAll(async () => {
    api = await startSfnApi();
    sfn = createSfnClient(api.endpoint);
  });
  afterAll(async () => {
    sfn.destroy();
    await api.stop();
  });

  it('DescribeExecution: RUNNING, then SUCCEEDED with output; unknown and malformed ARNs', async () => {
    const startDate = new Date(Date.now() - 1000);
    api.registry.startExecution({
      executionArn: ARN('e1'),
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Machine',
      name: 'e1',
      startDate,
      input: '{"a":1}',
    });
    const running = await sfn.send(new DescribeExecutionCommand({ executionArn: ARN('e1') }));
    expect(running.status).toBe('RUNNING');
    expect(running.startDate?.getTime()).toBe(startDate.getTime());
    expect(running.input).toBe('{"a":1}');
    expect(running.stopDate).toBeUndefined();
    api.registry.finishExecution(ARN('e1'), 'SUCCEEDED', { output: '{"b":2}' });
    const done = await sfn.send(new DescribeExecutionCommand({ executionArn: ARN('e1') }));
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toBe('{"b":2}');
    expect(done.stopDate).toBeInstanceOf(Date);
    expect(await errorName(sfn.send(new DescribeExecutionCommand({ executionArn: ARN('nope') })))).toBe(
      'ExecutionDoesNotExist',
    );
    expect(await errorName(sfn.send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' })))).toBe('InvalidArn');
  });

  it('SendTaskSuccess settles the waiting Task with the parsed output; the token is then used up', async () => {
    const pending = api.registry.createTaskToken(ARN('e2'), 'Wait');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: pending.token, output: '{"ok":true}' }));
    await expect(pending.promise).resolves.toEqual({ ok: true });
    expect(await errorName(sfn.send(new SendTaskSuccessCommand({ taskToken: pending.token, output: '{}' })))).toBe(
      'TaskTimedOut',
    );
  });

  it('SendTaskFailure rejects with the given error and cause', async () => {
    const pending = api.registry.createTaskToken(ARN('e3'), 'Wait');
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: pending.token, error: 'Redshift.StatementFailed', cause: 'boom' }),
    );
    const error = await pending.promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskFailure);
    expect((error as Error).name).toBe('Redshift.StatementFailed');
    expect((error as Error).message).toBe('boom');
  });

  it('names token errors as the service does', async () => {
    const pending = api.registry.createTaskToken(ARN('e4'), 'Wait');
    expect(
      await errorName(sfn.send(new SendTaskSuccessCommand({ taskToken: pending.token, output: 'not json' }))),
    ).toBe('InvalidOutput');
    expect(await errorName(sfn.send(new SendTaskSuccessCommand({ taskToken: 'garbage', output: '{}' })))).toBe(
      'InvalidToken',
    );
    const foreign = new ExecutionRegistry().createTaskToken(ARN('e4'), 'Wait');
    expect(await errorName(sfn.send(new SendTaskSuccessCommand({ taskToken: foreign.token, output: '{}' })))).toBe(
      'TaskDoesNotExist',
    );
    let beats = 0;
    const beating = api.registry.createTaskToken(ARN('e4'), 'Beat', () => beats++);
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: beating.token }));
    expect(beats).toBe(1);
    api.registry.markTimedOut(beating.token);
    expect(await errorName(sfn.send(new SendTaskHeartbeatCommand({ taskToken: beating.token })))).toBe('TaskTimedOut');
    expect(await errorName(sfn.send(new SendTaskFailureCommand({ taskToken: beating.token, error: 'x' })))).toBe(
      'TaskTimedOut',
    );
    // the still-pending token was not consumed by the InvalidOutput attempt
    await sfn.send(new SendTaskSuccessCommand({ taskToken: pending.token, output: '1' }));
    await expect(pending.promise).resolves.toBe(1);
  });

  it('StopExecution stops a running execution', async () => {
    let stopped: unknown[] | undefined;
    api.registry.startExecution(
      {
        executionArn: ARN('e5'),
        stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Machine',
        name: 'e5',
        startDate: new Date(),
        input: '{}',
      },
      (...args) => {
        stopped = args;
        api.registry.finishExecution(ARN('e5'), 'ABORTED', { error: args[0] ?? '' });
      },
    );
    const answer = await sfn.send(
      new StopExecutionCommand({ executionArn: ARN('e5'), error: 'Why', cause: 'because' }),
    );
    expect(stopped).toEqual(['Why', 'because']);
    expect(answer.stopDate).toBeInstanceOf(Date);
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: ARN('e5') }))).status).toBe('ABORTED');
  });

  it('answers unknown operations with UnknownOperationException', async () => {
    const response = await fetch(api.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSStepFunctions.StartExecution', 'content-type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { __type: string }).__type).toMatch(/UnknownOperationException$/);
  });
});
