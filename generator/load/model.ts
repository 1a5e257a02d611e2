import type { RawPipeline, Step as RawStep } from './raw-spec.generated.ts';

/** The spec as it stands in YAML after schema validation: the types are the schema's (generated). */
export type { RawPipeline, RawStep };
/** A target as a step may write it (every field optional; the pipeline's own requires `database`). */
export type RawTarget = NonNullable<RawStep['target']>;
export type RawPoll = NonNullable<RawStep['poll']>;
export type RawRetry = NonNullable<RawStep['retry']>;
/** `results` written as an object (its limits). */
export type RawResults = Exclude<NonNullable<RawStep['results']>, boolean>;
export type RawDuration = NonNullable<RawStep['timeout']>;
export type Mode = NonNullable<RawStep['mode']>;
/** What happens to an execution's running statements when it stops, times out or fails. */
export type Cleanup = NonNullable<RawPipeline['cleanup']>;

/** Everything below is the normalized pipeline: every default filled, durations in seconds. */
export type Target =
  | {
      readonly kind: 'cluster';
      readonly cluster: string;
      readonly database: string;
      readonly dbUser?: string;
      readonly secretArn?: string;
      readonly secretKmsKeyArn?: string;
    }
  | {
      readonly kind: 'workgroup';
      readonly workgroup: string;
      readonly database: string;
      readonly secretArn?: string;
      readonly secretKmsKeyArn?: string;
    };

/** `longPollSeconds` (1–30): the loop waits in long-polled Data API calls instead of Wait states. */
export type PollSchedule = {
  readonly initialSeconds: number;
  readonly maxSeconds: number;
  readonly factor: number;
  readonly longPollSeconds?: number;
};
export type RetryPolicy = { readonly attempts: number; readonly intervalSeconds: number; readonly backoffRate: number };

/**
 * `results`: the most rows (DescribeStatement ResultRows) and bytes the fetched result may have;
 * bytes are the Result's JSON as the step record holds it (callback mode measures it exactly, poll
 * mode compares DescribeStatement's ResultSize, the data's bytes, to which the JSON adds a wrapper per value and the column metadata).
 */
export type ResultLimits = { readonly maxRows: number; readonly maxBytes: number };

export type ParameterValue =
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'literal'; readonly value: string };
export type SqlParameter = { readonly name: string; readonly value: ParameterValue };

export type Statement =
  | { readonly kind: 'single'; readonly sql: string }
  | { readonly kind: 'batch'; readonly sqls: readonly string[] };

export type StatementStep = {
  readonly kind: 'statement';
  readonly id: string;
  readonly description?: string;
  readonly statement: Statement;
  readonly parameters: readonly SqlParameter[];
  /** Present when the step fetches its first result page into the record (`results`). */
  readonly results?: ResultLimits;
  readonly singleton: boolean;
  readonly timeoutSeconds: number;
  readonly poll: PollSchedule;
  readonly retry: RetryPolicy;
  readonly mode: Mode;
  readonly target: Target;
  /** Data API StatementName: `sfn-redshift/<pipeline>/<stepId>`. */
  readonly statementName: string;
  /** The pipeline's cleanup: with `cancel-on-stop` the StatementName also names the execution. */
  readonly cleanup: Cleanup;
};

export type ParallelStep = {
  readonly kind: 'parallel';
  readonly id: string;
  readonly description?: string;
  readonly branches: readonly (readonly Step[])[];
};

export type Step = StatementStep | ParallelStep;

export type Pipeline = {
  /** The spec file as the user named it (for messages). */
  readonly file: string;
  readonly name: string;
  readonly description?: string;
  readonly stateTable: string;
  readonly runtimeFunctionArn: string;
  readonly cleanup: Cleanup;
  readonly steps: readonly Step[];
};
