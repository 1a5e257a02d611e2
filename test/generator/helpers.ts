import { loadPipeline } from '../../generator/load/load.ts';
import type { Pipeline } from '../../generator/load/model.ts';

/** A normalized pipeline from inline YAML; fails the test on any spec error. */
export function pipelineFrom(yaml: string, path = '/specs/inline.yaml'): Pipeline {
  const { pipeline, errors } = loadPipeline({ path, text: yaml });
  if (!pipeline) throw new Error(errors.map((error) => error.message).join('\n'));
  return pipeline;
}

export const TRANSIENT = [
  'RedshiftData.ActiveStatementsExceededException',
  'RedshiftData.ActiveSessionsExceededException',
  'RedshiftData.ActiveWaitingRequestsExceededException',
  'RedshiftData.InternalServerException',
  'RedshiftData.DatabaseConnectionException',
  'RedshiftData.ExecuteStatementException',
  'RedshiftData.BatchExecuteStatementException',
  'RedshiftData.ThrottlingException',
];
