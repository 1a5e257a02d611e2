// Resource dispatch: every Task state gets a handler chosen by its Resource.
import { serviceHandler, UnsupportedResourceError } from './aws-sdk.ts';
import { lambdaHandler, type FunctionRegistry } from './lambda.ts';
import { TaskFailure } from './errors.ts';
import type { TaskStateInfo } from './definition.ts';
import type { ExecutorClients, TaskHandler } from './types.ts';

export { UnsupportedResourceError };

/**
 * The handler for one Task state. Throws UnsupportedResourceError up front (before any run) for a
 * Resource the local stack cannot serve, so a machine never half-runs against real AWS.
 */
export function taskHandler(task: TaskStateInfo, clients: ExecutorClients, functions: FunctionRegistry): TaskHandler {
  const handler = serviceHandler(task, clients) ?? lambdaHandler(task.resource, functions);
  if (!handler) {
    throw new UnsupportedResourceError(
      task.name,
      task.resource,
      'supported locally: aws-sdk:redshiftdata|sfn|dynamodb:*, dynamodb:putItem|getItem|updateItem|deleteItem, lambda:invoke[.waitForTaskToken], Lambda function ARNs',
    );
  }
  return async (call) => {
    // A retry after the execution ended must not reach a service again.
    if (call.signal.aborted) throw new TaskFailure('States.Aborted', 'execution stopped');
    return handler(call);
  };
}
