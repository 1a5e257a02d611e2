/**
 * Our own Amazon States Language model (JSONPath query language), immutable plain data.
 * Fields ASL makes mutually exclusive are unions whose other members are `?: never`, so an
 * impossible state does not type-check: a state continues (`Next`) or ends (`End: true`), a Wait
 * has one of Seconds/SecondsPath/Timestamp/TimestampPath, a Fail at most one of Error/ErrorPath and
 * of Cause/CausePath, a Choice rule one comparison operator or one of And/Or/Not.
 */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type JsonObject = { readonly [key: string]: JsonValue };

/** Exactly one of the keys of T, the others absent: `OneOf<{ A: string; B: number }>` is `{ A } | { B }`. */
export type OneOf<T> = {
  [K in keyof T]: { readonly [P in K]: T[K] } & { readonly [P in Exclude<keyof T, K>]?: never };
}[keyof T];
/** None of the keys K. */
type Without<K extends PropertyKey> = { readonly [P in K]?: never };
/** At most one of the keys of T. */
type AtMostOne<T> = OneOf<T> | Without<keyof T>;

export type Transition = OneOf<{ Next: string; End: true }>;

export type Retrier = {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
};

export type Catcher = {
  readonly ErrorEquals: readonly string[];
  readonly Next: string;
  readonly ResultPath?: string | null;
};

type Common = { readonly Comment?: string; readonly InputPath?: string | null; readonly OutputPath?: string | null };

export type TaskState = Common &
  Transition & {
    readonly Type: 'Task';
    readonly Resource: string;
    readonly Parameters?: JsonObject;
    readonly ResultSelector?: JsonObject;
    readonly ResultPath?: string | null;
    readonly TimeoutSeconds?: number;
    readonly HeartbeatSeconds?: number;
    readonly Retry?: readonly Retrier[];
    readonly Catch?: readonly Catcher[];
  };

export type PassState = Common &
  Transition & {
    readonly Type: 'Pass';
    readonly Parameters?: JsonObject;
    readonly Result?: JsonValue;
    readonly ResultPath?: string | null;
  };

export type WaitState = Common &
  Transition & { readonly Type: 'Wait' } & OneOf<{
    Seconds: number;
    SecondsPath: string;
    Timestamp: string;
    TimestampPath: string;
  }>;

/** The comparison operators the compiler uses (ASL has more; add one here when a state needs it). */
type ComparisonOperators = {
  StringEquals: string;
  StringEqualsPath: string;
  BooleanEquals: boolean;
  NumericLessThanEquals: number;
  NumericLessThanPath: string;
  NumericGreaterThan: number;
  TimestampLessThanEqualsPath: string;
  IsPresent: boolean;
  IsString: boolean;
  IsTimestamp: boolean;
};
type Combinators = { And: readonly ChoiceCondition[]; Or: readonly ChoiceCondition[]; Not: ChoiceCondition };

export type ChoiceComparison = { readonly Variable: string } & OneOf<ComparisonOperators> & Without<keyof Combinators>;
export type ChoiceCombination = OneOf<Combinators> & Without<'Variable' | keyof ComparisonOperators>;
export type ChoiceCondition = ChoiceComparison | ChoiceCombination;
export type ChoiceRule = { readonly Next: string } & ChoiceCondition;

export type ChoiceState = Common & {
  readonly Type: 'Choice';
  readonly Choices: readonly ChoiceRule[];
  readonly Default?: string;
};

export type FailState = {
  readonly Type: 'Fail';
  readonly Comment?: string;
} & AtMostOne<{ Error: string; ErrorPath: string }> &
  AtMostOne<{ Cause: string; CausePath: string }>;

export type SucceedState = Common & { readonly Type: 'Succeed' };

export type Branch = { readonly StartAt: string; readonly States: Readonly<Record<string, State>> };

export type ParallelState = Common &
  Transition & {
    readonly Type: 'Parallel';
    readonly Branches: readonly Branch[];
    readonly ResultSelector?: JsonObject;
    readonly ResultPath?: string | null;
    readonly Retry?: readonly Retrier[];
    readonly Catch?: readonly Catcher[];
  };

/** An inline Map (the reaper machine iterates listed statements with it). */
export type MapState = Common &
  Transition & {
    readonly Type: 'Map';
    readonly ItemsPath?: string;
    readonly ItemSelector?: JsonObject;
    readonly ItemProcessor: Branch & { readonly ProcessorConfig?: { readonly Mode: 'INLINE' } };
    readonly MaxConcurrency?: number;
    readonly ResultPath?: string | null;
    readonly Retry?: readonly Retrier[];
    readonly Catch?: readonly Catcher[];
  };

export type State =
  | TaskState
  | PassState
  | WaitState
  | ChoiceState
  | FailState
  | SucceedState
  | ParallelState
  | MapState;

export type StateMachine = Branch & { readonly Comment?: string; readonly TimeoutSeconds?: number };

/** Canonical key order of emitted states: readers find the same field in the same place. */
export const STATE_KEY_ORDER = [
  'Type',
  'Comment',
  'Resource',
  'InputPath',
  'Parameters',
  'Result',
  'ResultSelector',
  'ResultPath',
  'OutputPath',
  'Seconds',
  'SecondsPath',
  'Timestamp',
  'TimestampPath',
  'TimeoutSeconds',
  'HeartbeatSeconds',
  'Branches',
  'ItemsPath',
  'ItemSelector',
  'MaxConcurrency',
  'ItemProcessor',
  'Choices',
  'Default',
  'Error',
  'ErrorPath',
  'Cause',
  'CausePath',
  'Retry',
  'Catch',
  'Next',
  'End',
] as const;
