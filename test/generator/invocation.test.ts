// Callback-mode Tasks invoke the runtime with payloads built from the shared event type
// (runtime/src/invocation.ts); the runtime parses every one of them as the request it means.
import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue, TaskState } from '../../generator/compile/asl.ts';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { stateOf, statementStepPlans, type StateRole } from '../../generator/compile/plan.ts';
import { parseRequest } from '../../runtime/src/request.ts';
import { pipelineFrom } from './helpers.ts';

/** The payload as Step Functions hands it over: `<field>.$` resolved (to a sample value). */
function resolved(payload: JsonObject): Record<string, JsonValue> {
  return Object.fromEntries(
    Object.entries(payload).map(([key, value]) =>
      key.endsWith('.$')
        ? [
            key.slice(0, -2),
            key === 'executionArn.$' ? 'arn:aws:states:eu-west-1:123456789012:execution:m:e' : 'sample',
          ]
        : [
            key,
            value !== null && typeof value === 'object' && !Array.isArray(value)
              ? resolved(value as JsonObject)
              : value,
          ],
    ),
  );
}

const spec = (step: string, target = '{ cluster: c, database: d, dbUser: u }') =>
  pipelineFrom(`version: 1\npipeline: p\nmode: callback\ntarget: ${target}\nsteps:\n  - ${step}\n`);

describe('callback payloads', () => {
  it.each([
    ['{ id: a, sql: "select :x", parameters: { x: "$.x" }, results: true }', 'executeStatement'],
    ['{ id: a, sqls: [select 1, select 2], results: true }', 'batchExecuteStatement'],
    [
      '{ id: a, sql: select 1, singleton: true, results: true, target: { workgroup: wg, secretArn: "${Secret}" } }',
      'executeSingletonStatement',
    ],
  ])('%s: every runtime call parses as its action', (step, submitAction) => {
    const plan = compilePipeline(spec(step));
    const [statement] = statementStepPlans(plan.steps);
    if (!statement) throw new Error('no statement step');
    const payloadOf = (role: StateRole) =>
      (plan.machine.States[stateOf(statement, role)] as TaskState).Parameters?.Payload as JsonObject;
    expect(parseRequest(resolved(payloadOf('Execute')))).toMatchObject({
      action: submitAction,
      stepId: 'a',
      statementName: 'sfn-redshift/p/a',
    });
    expect(parseRequest(resolved(payloadOf('Cancel')))).toMatchObject({
      action: 'timeoutStatement',
      statement: { kind: 'latest', stepId: 'a' },
    });
    expect(parseRequest(resolved(payloadOf('FetchResult')))).toMatchObject({
      action: 'getStatementResult',
      format: 'stepFunctions',
    });
  });
});
