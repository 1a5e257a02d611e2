/** The spec as it stands in YAML after schema validation (every field optional where the schema allows). */
export type RawTarget = {
  cluster?: string;
  workgroup?: string;
  database?: string;
  dbUser?: string;
  secretArn?: string;
  secretKmsKeyArn?: string;
};
export type RawDuration = string | number;
export type RawPoll = { initial?: RawDuration; max?: RawDuration; factor?: number; longPoll?: RawDuration };
export type RawRetry = { attempts?: number; interval?: RawDuration; factor?: number };
export type Mode = 'poll' | 'callback';

export type RawStep = {
  id: string;
  description?: string;
  sql?: string;
  sqlFile?: string;
  sqls?: string[];
  parallel?: { steps: RawStep[] }[];
  parameters?: Record<string, string | number | boolean>;
  results?: boolean;
  singleton?: boolean;
  timeout?: RawDuration;
  poll?: RawPoll;
  retry?: RawRetry;
  mode?: Mode;
  target?: RawTarget;
};

export type RawPipeline = {
  version: 1;
  pipeline: string;
  description?: string;
  mode?: Mode;
  stateTable?: string;
  runtimeFunctionArn?: string;
  target: RawTarget;
  defaults?: { timeout?: RawDuration; poll?: RawPoll; retry?: RawRetry };
  steps: RawStep[];
};

/** Everything below is the normalized pipeline: every default filled, durations in seconds. */
export type Target =
  | { readonly kind: 'cluster'; readonly cluster: string; readonly database: string; readonly dbUser?: string; readonly secretArn?: string; readonly secretKmsKeyArn?: string }
  | { readonly kind: 'workgroup'; readonly workgroup: string; readonly database: string; readonly secretArn?: string; readonly secretKmsKeyArn?: string };

/** `longPollSeconds` (1–30): the loop waits in long-polled Data API calls instead of Wait states. */
export type PollSchedule = { readonly initialSeconds: number; readonly maxSeconds: number; readonly factor: number; readonly longPollSeconds?: number };
export type RetryPolicy = { readonly attempts: number; readonly intervalSeconds: number; readonly backoffRate: number };

export type ParameterValue = { readonly kind: 'path'; readonly path: string } | { readonly kind: 'literal'; readonly value: string };
export type SqlParameter = { readonly name: string; readonly value: ParameterValue };

export type Statement = { readonly kind: 'single'; readonly sql: string } | { readonly kind: 'batch'; readonly sqls: readonly string[] };

export type StatementStep = {
  readonly kind: 'statement';
  readonly id: string;
  readonly description?: string;
  readonly statement: Statement;
  readonly parameters: readonly SqlParameter[];
  readonly results: boolean;
  readonly singleton: boolean;
  readonly timeoutSeconds: number;
  readonly poll: PollSchedule;
  readonly retry: RetryPolicy;
  readonly mode: Mode;
  readonly target: Target;
  /** Data API StatementName: `sfn-redshift/<pipeline>/<stepId>`. */
  readonly statementName: string;
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
  readonly steps: readonly Step[];
};
