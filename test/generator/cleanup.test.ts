// The spec field `cleanup` (issue 14): validation, its default, and what generate writes for it.
import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { reaperMachine, reaperPageSize } from '../../generator/compile/reaper.ts';
import { renderPolicy, machinePolicy } from '../../generator/emit/iam.ts';
import { loadPipeline } from '../../generator/load/load.ts';
import { executionSuffix, parseStatementName, STATEMENT_NAME_MAX } from '../../runtime/src/contract.ts';
import { pipelineFrom } from './helpers.ts';

const spec = (cleanup: string | undefined, mode = 'poll') => `version: 1
pipeline: nightly
${cleanup === undefined ? '' : `cleanup: ${cleanup}\n`}mode: ${mode}
target: { cluster: analytics, database: dev }
steps:
  - id: load
    sql: select 1
`;

const submitOf = (yaml: string) => {
  const { machine } = compilePipeline(pipelineFrom(yaml));
  return JSON.stringify(machine.States['load.Execute']);
};

describe('cleanup', () => {
  it('refuses a value other than cancel-on-stop or none, at the value', () => {
    const { errors } = loadPipeline({ path: 'p.yaml', text: spec('always') });
    expect(errors.map((error) => [error.location.line, error.message])).toEqual([
      [3, expect.stringMatching(/cleanup.*cancel-on-stop.*none/)],
    ]);
  });

  it('defaults to cancel-on-stop: the StatementName ends with the execution, <stateMachineName>:<executionName>', () => {
    expect(pipelineFrom(spec(undefined)).cleanup).toBe('cancel-on-stop');
    expect(submitOf(spec(undefined))).toContain(
      JSON.stringify({
        'StatementName.$': "States.Format('sfn-redshift/nightly/load/{}:{}', $$.StateMachine.Name, $$.Execution.Name)",
      }).slice(1, -1),
    );
    const policy = machinePolicy(compilePipeline(pipelineFrom(spec(undefined))));
    expect(policy.Statement.find((statement) => statement.Sid === 'ReapStoppedExecutions')).toEqual({
      Sid: 'ReapStoppedExecutions',
      Effect: 'Allow',
      Action: ['redshift-data:ListStatements'],
      Resource: '*',
    });
  });

  it('none: the name stays sfn-redshift/<pipeline>/<stepId> and the role gets no reaper permissions', () => {
    expect(submitOf(spec('none'))).toContain('"StatementName":"sfn-redshift/nightly/load"');
    expect(renderPolicy(machinePolicy(compilePipeline(pipelineFrom(spec('none')))))).not.toContain('ListStatements');
  });

  it('callback steps name no suffix themselves: the runtime appends it from executionArn', () => {
    expect(submitOf(spec(undefined, 'callback'))).toContain('"statementName":"sfn-redshift/nightly/load"');
  });

  it('the longest names fit the Data API’s 500 characters, and parse back', () => {
    const arn = `arn:aws:states:us-east-1:123456789012:execution:${'m'.repeat(80)}:${'e'.repeat(80)}`;
    const suffix = executionSuffix(arn) ?? '';
    const name = `sfn-redshift/${'p'.repeat(64)}/${'s'.repeat(64)}/${suffix}`;
    expect(name.length).toBeLessThanOrEqual(STATEMENT_NAME_MAX);
    expect(parseStatementName(name)).toEqual({ pipeline: 'p'.repeat(64), stepId: 's'.repeat(64), execution: suffix });
    expect(executionSuffix('arn:aws:states:us-east-1:123456789012:stateMachine:m')).toBeUndefined();
  });

  it('the reaper lists the running statuses one after the other, in the order statements go through them', () => {
    // Lists side by side could miss a statement that moves from one status to the next between them.
    const { States } = reaperMachine();
    for (const sweep of [States.EachStatus, States.EachStatusAgain])
      expect(sweep).toMatchObject({ Type: 'Map', MaxConcurrency: 1, ItemsPath: '$.reap.Statuses' });
    // A submit in flight when the execution stopped is met by the second sweep, a minute later.
    expect(States.Settle).toEqual(expect.objectContaining({ Type: 'Wait', Seconds: 60, Next: 'EachStatusAgain' }));
    expect(reaperMachine().States.Execution).toMatchObject({
      Parameters: { Statuses: ['SUBMITTED', 'PICKED', 'STARTED'] },
    });
  });

  it('the reaper pages ListStatements by the largest statement it may meet', () => {
    const listed = (pageSize: number) => JSON.stringify(reaperMachine(pageSize)).match(/"MaxResults":(\d+)/g);
    // List and ListMore, in each of the two sweeps.
    expect(listed(7)).toEqual(Array.from({ length: 4 }, () => '"MaxResults":7'));
    expect([reaperPageSize(100), reaperPageSize(70_000), reaperPageSize(300_000)]).toEqual([100, 2, 1]);
  });

  it('the reaper machine is one Lambda-free definition: only ListStatements and CancelStatement', () => {
    const resources = JSON.stringify(reaperMachine()).match(/arn:aws:states:::[a-z:-]+:[A-Za-z]+/g) ?? [];
    expect([...new Set(resources)].sort()).toEqual([
      'arn:aws:states:::aws-sdk:redshiftdata:cancelStatement',
      'arn:aws:states:::aws-sdk:redshiftdata:listStatements',
    ]);
  });
});
