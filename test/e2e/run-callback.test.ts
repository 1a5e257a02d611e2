// runPipeline on a pipeline with callback steps, starting its own stack: it serves the runtime
// Lambda (runtime/src) in-process under the pipeline's runtime ARN and routes the completion events
// to it. The runtime's SDK clients last as long as the process, so this file makes one such run.
import { describe, expect, it } from 'vitest';
import { runPipeline, type StepProgress } from '../../local/run-pipeline.ts';
import { pipelineFrom, UUID, WAIT_MS } from './helpers.ts';

const SPEC = `version: 1
pipeline: mixed-modes
mode: callback
target: { cluster: "\${ClusterId}", database: dev, dbUser: etl }
defaults: { poll: { initial: 1s, max: 1s } }
steps:
  - id: create_numbers
    sql: create table cb_numbers (n int)
  - id: fill_numbers
    sql: "insert into cb_numbers select g from generate_series(1, :upto::int) g"
    parameters: { upto: "$.upto" }
    singleton: true
  - id: count_numbers
    sql: select count(*) as n from cb_numbers
    results: true
  - id: polled
    mode: poll
    sql: select sum(n) as total from cb_numbers
    results: true
`;

describe('runPipeline with callback steps', () => {
  it('runs them through the in-process runtime with progress, next to poll steps', async () => {
    const progress: StepProgress[] = [];
    const result = await runPipeline(pipelineFrom(SPEC), {
      input: { upto: 3, keep: { nested: [1] } },
      waitMs: WAIT_MS,
      onProgress: (p) => progress.push(p),
    });
    expect([result.status, result.error, result.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    const record = (ResultRows: number, HasResultSet: boolean) => ({
      Id: expect.stringMatching(UUID),
      Status: 'FINISHED',
      ResultRows,
      HasResultSet,
    });
    expect(result.output).toEqual({
      upto: 3,
      keep: { nested: [1] },
      steps: {
        create_numbers: record(-1, false),
        fill_numbers: record(3, false),
        count_numbers: {
          ...record(1, true),
          Result: expect.objectContaining({ Records: [[{ LongValue: 3 }]], TotalNumRows: 1 }),
        },
        polled: {
          ...record(1, true),
          Result: expect.objectContaining({ Records: [[{ LongValue: 6 }]], TotalNumRows: 1 }),
        },
      },
    });
    // One Task per callback statement (plus FetchResult/Record for results): far fewer transitions than polling.
    expect(
      result.history.filter((event) => event.type === 'TaskStateEntered' && event.stateName?.endsWith('.Execute')),
    ).toHaveLength(4);
    const steps = result.output as { steps: Record<string, { Id: string }> };
    expect(result.steps.map((step) => [step.stepId, step.phase, step.status, step.statementId, step.rows])).toEqual([
      ['create_numbers', 'succeeded', 'FINISHED', steps.steps.create_numbers?.Id, undefined],
      ['fill_numbers', 'succeeded', 'FINISHED', steps.steps.fill_numbers?.Id, 3],
      ['count_numbers', 'succeeded', 'FINISHED', steps.steps.count_numbers?.Id, 1],
      ['polled', 'succeeded', 'FINISHED', steps.steps.polled?.Id, 1],
    ]);
    // The submit is seen live (through the runtime's own Data API client), before the step ends.
    const fill = progress.filter((p) => p.stepId === 'fill_numbers').map((p) => [p.phase, p.status]);
    expect(fill[0]).toEqual(['running', undefined]);
    expect(fill).toContainEqual(['running', 'SUBMITTED']);
    expect(fill.at(-1)).toEqual(['succeeded', 'FINISHED']);
  });
});
