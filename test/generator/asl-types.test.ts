// The ASL model's types refuse states that ASL refuses: mutually exclusive fields are unions whose
// other members are `?: never`. Checked by `npm run typecheck` (each @ts-expect-error fails the
// type-check when the line it guards compiles); the runtime assertions only keep the values used.
import { describe, expect, it } from 'vitest';
import type { ChoiceRule, FailState, State, WaitState } from '../../generator/compile/asl.ts';

describe('the ASL model', () => {
  it('refuses mutually exclusive fields together (Amazon States Language specification)', () => {
    const refused: State[] = [
      // @ts-expect-error Next and End together
      { Type: 'Pass', Next: 'a', End: true },
      // @ts-expect-error neither Next nor End
      { Type: 'Pass' },
      // @ts-expect-error Seconds and SecondsPath together
      { Type: 'Wait', Seconds: 1, SecondsPath: '$.s', End: true },
      // @ts-expect-error Timestamp and TimestampPath together
      { Type: 'Wait', Timestamp: '2024-01-01T00:00:00Z', TimestampPath: '$.t', End: true },
      // @ts-expect-error a Wait without any
      { Type: 'Wait', End: true },
      // @ts-expect-error Error and ErrorPath together
      { Type: 'Fail', Error: 'E', ErrorPath: '$.e' },
      // @ts-expect-error Cause and CausePath together
      { Type: 'Fail', Cause: 'c', CausePath: '$.c' },
    ];
    const rules: ChoiceRule[] = [
      // @ts-expect-error two comparison operators in one rule
      { Variable: '$.a', StringEquals: 'x', BooleanEquals: true, Next: 'n' },
      // @ts-expect-error a comparison and a combinator in one rule
      { Variable: '$.a', StringEquals: 'x', Not: { Variable: '$.b', IsPresent: true }, Next: 'n' },
      // @ts-expect-error two combinators in one rule
      { And: [], Or: [], Next: 'n' },
      // @ts-expect-error a comparison without its variable
      { StringEquals: 'x', Next: 'n' },
    ];
    expect(refused.length + rules.length).toBe(11);
  });

  it('accepts each alternative alone', () => {
    const waits: WaitState[] = [
      { Type: 'Wait', Seconds: 1, Next: 'a' },
      { Type: 'Wait', SecondsPath: '$.s', End: true },
      { Type: 'Wait', Timestamp: '2024-01-01T00:00:00Z', End: true },
      { Type: 'Wait', TimestampPath: '$.t', End: true },
    ];
    const fails: FailState[] = [
      { Type: 'Fail' },
      { Type: 'Fail', Error: 'E', CausePath: '$.c' },
      { Type: 'Fail', ErrorPath: '$.e', Cause: 'c' },
    ];
    const rules: ChoiceRule[] = [
      { Variable: '$.a', NumericLessThanEquals: 0, Next: 'n' },
      { Not: { Variable: '$.a', IsPresent: true }, Next: 'n' },
      {
        And: [{ Variable: '$.a', StringEqualsPath: '$.b' }, { Or: [{ Variable: '$.c', BooleanEquals: false }] }],
        Next: 'n',
      },
    ];
    expect([waits.length, fails.length, rules.length]).toEqual([4, 3, 3]);
  });
});
