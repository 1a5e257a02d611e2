/** Random pipeline specs for property tests (plain spec objects, stringified to YAML by the test). */
import fc from 'fast-check';

export type RawStep = Record<string, unknown>;

/**
 * `steps` with unique ids s1, s2, … in document order, parallel branches included. Ids are given
 * after generation, by position: a counter inside an arbitrary would make the values depend on
 * what was generated before, so a failing seed (FC_SEED) would not replay the same pipeline.
 */
export function numberSteps(steps: readonly RawStep[], next = { id: 0 }): RawStep[] {
  return steps.map((step) => {
    const id = `s${(next.id += 1)}`;
    const parallel = step.parallel as readonly { steps: readonly RawStep[] }[] | undefined;
    if (parallel === undefined) return { id, ...step };
    return { id, ...step, parallel: parallel.map((branch) => ({ ...branch, steps: numberSteps(branch.steps, next) })) };
  });
}

const duration = fc.oneof(fc.integer({ min: 1, max: 86_400 }), fc.constantFrom('30s', '5m', '2h', '1h30m', '24h'));

const statementStep: fc.Arbitrary<RawStep> = fc
  .record({
    body: fc.oneof(
      fc.constant({ sql: 'select 1' }),
      fc.constant({ sql: 'insert into t values (:v)', parameters: { v: '$.input.v' } }),
      fc.constant({ sqls: ['delete from t', "insert into t values ('a''b\\\\c {x}')"] }),
    ),
    // `true` or limits (small, so that several fetching steps stay within a state's 256 KiB).
    results: fc.oneof(
      fc.boolean(),
      fc.record(
        {
          maxRows: fc.integer({ min: 1, max: 1000 }),
          maxBytes: fc.oneof(fc.integer({ min: 1, max: 16_384 }), fc.constantFrom('512B', '1KB', '8KiB', '16KB')),
        },
        { requiredKeys: [] },
      ),
    ),
    singleton: fc.boolean(),
    timeout: fc.option(duration, { nil: undefined }),
    poll: fc.option(
      fc.oneof(
        fc
          .record({ initial: fc.integer({ min: 1, max: 30 }), factor: fc.double({ min: 1, max: 4, noNaN: true }) })
          .map(({ initial, factor }) => ({ initial, max: initial * 4, factor })),
        // Long polling, as a number of seconds or a duration.
        fc
          .oneof(fc.integer({ min: 1, max: 30 }), fc.constantFrom('1s', '20s', '30s'))
          .map((longPoll) => ({ longPoll })),
      ),
      { nil: undefined },
    ),
    retry: fc.option(fc.record({ attempts: fc.integer({ min: 0, max: 5 }) }), { nil: undefined }),
  })
  .map(({ body, results, singleton, timeout, poll, retry }) => ({
    ...body,
    ...(results ? { results } : {}),
    ...(singleton ? { singleton } : {}),
    ...(timeout !== undefined ? { timeout } : {}),
    ...(poll ? { poll } : {}),
    ...(retry ? { retry } : {}),
  }));

const parallelStep: fc.Arbitrary<RawStep> = fc.record({
  parallel: fc.array(fc.record({ steps: fc.array(statementStep, { minLength: 1, maxLength: 2 }) }), {
    minLength: 1,
    maxLength: 2,
  }),
});
export const steps = fc
  .array(fc.oneof(statementStep, parallelStep), { minLength: 1, maxLength: 3 })
  .map((generated) => numberSteps(generated));

/** A whole spec: random steps, mode and target kind (cluster with dbUser or a secret, workgroup). */
export const pipelineSpecs: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    steps,
    mode: fc.constantFrom('poll', 'callback'),
    target: fc.constantFrom<Record<string, string>>(
      { cluster: 'c1', database: 'dev' },
      { cluster: '${ClusterId}', database: 'dev', dbUser: 'etl' },
      { workgroup: 'wg', database: 'dev', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rs' },
    ),
  })
  .map(({ steps: generated, mode, target }) => ({ version: 1, pipeline: 'prop', mode, target, steps: generated }));
