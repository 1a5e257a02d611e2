import type { RetryPolicy, SqlParameter, StatementStep, Target } from '../load/model.ts';
import type { JsonObject, Retrier } from './asl.ts';
import { TRANSIENT_DATA_API_ERRORS } from './errors.ts';
import { DATA_API, type ServiceCall } from './integrations.ts';
import { format, sha256 } from './intrinsics.ts';

export function targetParameters(target: Target): JsonObject {
  const credentials = {
    ...(target.kind === 'cluster' && target.dbUser !== undefined ? { DbUser: target.dbUser } : {}),
    ...(target.secretArn !== undefined ? { SecretArn: target.secretArn } : {}),
  };
  return target.kind === 'cluster'
    ? { ClusterIdentifier: target.cluster, Database: target.database, ...credentials }
    : { WorkgroupName: target.workgroup, Database: target.database, ...credentials };
}

/**
 * `[{name, value}]` for the Data API. A JSONPath value goes through States.Format so that numbers
 * and booleans in the execution input arrive as the strings the Data API requires.
 */
export function sqlParameters(parameters: readonly SqlParameter[]): JsonObject[] {
  return parameters.map(
    ({ name, value }): JsonObject =>
      value.kind === 'path'
        ? { Name: name, 'Value.$': `States.Format('{}', ${value.path})` }
        : { Name: name, Value: value.value },
  );
}

/**
 * The StatementName member. With cleanup the name ends with the execution that submits it,
 * `<name>/<stateMachineName>:<executionName>` (runtime/src/contract.ts executionSuffix), at most
 * 64 + 64 + 161 + 15 characters, far below the Data API's 500.
 */
export function statementNameParameter(step: StatementStep): JsonObject {
  return step.cleanup === 'cancel-on-stop'
    ? { 'StatementName.$': format(`${step.statementName}/{}:{}`, '$$.StateMachine.Name', '$$.Execution.Name') }
    : { StatementName: step.statementName };
}

/**
 * The Data API ClientToken of a step's submit: the SHA-256 (64 hex characters, the model's maximum
 * length of ClientToken) of the execution, its redrive count and the step. A Retry of the submit
 * sends the same token, so the Data API answers the first statement instead of running the SQL
 * twice; a new execution or a redrive (`$$.Execution.RedriveCount` grows) submits anew.
 */
export function clientToken(step: StatementStep): string {
  return sha256(format(`{}/{}/${step.id}`, '$$.Execution.Id', '$$.Execution.RedriveCount'));
}

/** Parameters of ExecuteStatement or BatchExecuteStatement for a step. */
export function submitParameters(step: StatementStep): { call: ServiceCall; parameters: JsonObject } {
  const common = {
    ...targetParameters(step.target),
    ...(step.statement.kind === 'batch' ? { Sqls: step.statement.sqls } : { Sql: step.statement.sql }),
    ...statementNameParameter(step),
    ...(step.parameters.length > 0 ? { Parameters: sqlParameters(step.parameters) } : {}),
    'ClientToken.$': clientToken(step),
  };
  return {
    call: step.statement.kind === 'batch' ? DATA_API.batchExecuteStatement : DATA_API.executeStatement,
    parameters: common,
  };
}

/** The `Retry` field of a Task for these errors, or nothing when the policy allows no retries. */
export function retryField(errors: readonly string[], policy: RetryPolicy): { Retry?: Retrier[] } {
  if (policy.attempts === 0) return {};
  return {
    Retry: [
      {
        ErrorEquals: errors,
        IntervalSeconds: policy.intervalSeconds,
        MaxAttempts: policy.attempts,
        BackoffRate: policy.backoffRate,
      },
    ],
  };
}

export function dataApiRetry(policy: RetryPolicy): { Retry?: Retrier[] } {
  return retryField(TRANSIENT_DATA_API_ERRORS, policy);
}
