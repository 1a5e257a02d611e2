/**
 * Our own Amazon States Language model (JSONPath query language), immutable plain data.
 * A state either continues (`Next`) or ends (`End: true`), never both: the types enforce it.
 */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type JsonObject = { readonly [key: string]: JsonValue };

export type Transition = { readonly Next: string; readonly End?: never } | { readonly End: true; readonly Next?: never };

export type Retrier = {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
};

export type Catcher = { readonly ErrorEquals: readonly string[]; readonly Next: string; readonly ResultPath?: string | null };

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
  Transition &
  ({ readonly Type: 'Wait'; readonly Seconds: number } | { readonly Type: 'Wait'; readonly SecondsPath: string });

export type ChoiceRule = { readonly Next: string } & ChoiceCondition;
export type ChoiceCondition =
  | { readonly Variable: string; readonly StringEquals: string }
  | { readonly Variable: string; readonly StringEqualsPath: string }
  | { readonly Variable: string; readonly BooleanEquals: boolean }
  | { readonly Variable: string; readonly NumericLessThanEquals: number }
  | { readonly Variable: string; readonly NumericLessThanPath: string }
  | { readonly Variable: string; readonly IsPresent: boolean }
  | { readonly Or: readonly ChoiceCondition[] }
  | { readonly And: readonly ChoiceCondition[] }
  | { readonly Not: ChoiceCondition };

export type ChoiceState = Common & {
  readonly Type: 'Choice';
  readonly Choices: readonly ChoiceRule[];
  readonly Default?: string;
};

export type FailState = {
  readonly Type: 'Fail';
  readonly Comment?: string;
} & ({ readonly Error: string } | { readonly ErrorPath: string }) &
  ({ readonly Cause?: string } | { readonly CausePath: string });

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

export type State = TaskState | PassState | WaitState | ChoiceState | FailState | SucceedState | ParallelState;

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
  'TimeoutSeconds',
  'HeartbeatSeconds',
  'Branches',
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
