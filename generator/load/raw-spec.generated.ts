// Generated from schemas/pipeline.schema.json by `npm run schema:types` (json-schema-to-typescript).
// Do not edit: change the schema and regenerate; test/generator/schema-types.test.ts checks it.

/**
 * A pipeline of Redshift SQL steps that `sfn-redshift generate` compiles into an AWS Step Functions state machine.
 */
export interface RawPipeline {
  /**
   * Spec format version. Always 1.
   */
  version: 1;
  /**
   * Pipeline name: 1-64 letters, digits or hyphens. Names the output files and the Data API statement names (`sfn-redshift/<pipeline>/<stepId>`).
   */
  pipeline: string;
  /**
   * Human description; becomes the state machine `Comment`.
   */
  description?: string;
  /**
   * `poll`: the machine polls DescribeStatement with backoff, no Lambda. `callback`: the runtime Lambda starts the statement and its completion event resumes the machine. Default poll; each step may override it.
   */
  mode?: 'poll' | 'callback';
  /**
   * `cancel-on-stop` (default): when an execution is stopped, times out or fails, the statements it left running are cancelled and their singleton locks freed (each statement's StatementName ends with `/<stateMachineName>:<executionName>`; deploy the rule and reaper of runtime.template.yaml). `none`: statement names stay `sfn-redshift/<pipeline>/<stepId>` and nothing is cancelled after a stop.
   */
  cleanup?: 'cancel-on-stop' | 'none';
  /**
   * DynamoDB state table for singleton locks and task tokens. Default `${StateTableName}`, a placeholder for DefinitionSubstitutions.
   */
  stateTable?: string;
  /**
   * ARN of the runtime Lambda used by callback-mode steps. Default `${RuntimeFunctionArn}`, a placeholder for DefinitionSubstitutions.
   */
  runtimeFunctionArn?: string;
  /**
   * Where the SQL runs: exactly one of `cluster` or `workgroup`, the `database`, and optionally `dbUser` (cluster only) or `secretArn`.
   */
  target: {
    /**
     * Provisioned cluster identifier (Data API `ClusterIdentifier`). Lower-case letters, digits and hyphens, or a `${Placeholder}`.
     */
    cluster?: string;
    /**
     * Redshift Serverless workgroup name (Data API `WorkgroupName`).
     */
    workgroup?: string;
    /**
     * Database name (Data API `Database`).
     */
    database: string;
    /**
     * Database user for temporary credentials (Data API `DbUser`); provisioned clusters only. Mutually exclusive with `secretArn`.
     */
    dbUser?: string;
    /**
     * ARN of a Secrets Manager secret with the database credentials (Data API `SecretArn`). Mutually exclusive with `dbUser`.
     */
    secretArn?: string;
    /**
     * ARN of the customer-managed KMS key that encrypts `secretArn`, when it is not the AWS managed key `aws/secretsmanager`: the role policy then allows `kms:Decrypt` on it (Secrets Manager decrypts with the caller's permissions).
     */
    secretKmsKeyArn?: string;
  };
  /**
   * Settings inherited by every step; each one can be overridden per step.
   */
  defaults?: {
    /**
     * Statement budget counted from submit. When it is spent the statement is cancelled and the step fails with `Redshift.StatementTimeout`. Default 1h; at most 24h (the Data API limit).
     */
    timeout?: number | string;
    /**
     * Poll mode: how long to wait between DescribeStatement calls. Waits grow from `initial` by `factor` up to `max` (capped exponential backoff), or, with `longPoll`, the calls themselves wait.
     */
    poll?: {
      /**
       * First wait after submitting the statement. Default 5s.
       */
      initial?: number | string;
      /**
       * Longest wait between two polls. Default 60s.
       */
      max?: number | string;
      /**
       * Growth of the wait after each poll. Default 2.
       */
      factor?: number;
      /**
       * Long polling, 1s to 30s: the machine waits inside the Data API calls (WaitTimeSeconds) instead of in Wait states, and leaves the loop as soon as the statement ends (detection within a second, no Lambda). `initial`, `max` and `factor` are then unused. 30s gives the fewest state transitions. Absent: the backoff loop above.
       */
      longPoll?: number | string;
    };
    /**
     * Retries of transient Data API errors (throttling, ActiveStatementsExceeded, InternalServer). Validation errors are never retried.
     */
    retry?: {
      /**
       * Number of retries after the first try (ASL `MaxAttempts`). Default 3.
       */
      attempts?: number;
      /**
       * Wait before the first retry (ASL `IntervalSeconds`). Default 5s.
       */
      interval?: number | string;
      /**
       * Growth of the wait between retries (ASL `BackoffRate`). Default 2.
       */
      factor?: number;
    };
    /**
     * Limits of every step that fetches results (`results: true`, or an object that may override each limit). Does not make a step fetch results.
     */
    results?: {
      /**
       * Most rows the result may have (DescribeStatement `ResultRows`), checked before fetching. Default 100. At most 14,506: a row takes at least 18 bytes of JSON, so more can never fit in Step Functions' 256 KiB state.
       */
      maxRows?: number;
      /**
       * Most bytes the result may have: its JSON in the step record. Before fetching, DescribeStatement's `ResultSize` (the data's bytes; the JSON adds a wrapper per value and the column metadata, so in poll mode the JSON can be larger, see the README) is compared with it; callback mode also measures the fetched page's JSON exactly. Whole bytes or `64KB`, `64KiB`, `1MB` (KB = KiB = 1,024 bytes). Default 64KB, at most 255KB (a state holds 256 KiB, the record around the result needs the rest).
       */
      maxBytes?: number | string;
    };
  };
  /**
   * The steps, run in order.
   *
   * @minItems 1
   */
  steps: [Step, ...Step[]];
}
/**
 * One step: exactly one of `sql`, `sqlFile`, `sqls` or `parallel`.
 */
export interface Step {
  /**
   * Step id, unique in the pipeline (parallel branches included): a letter or underscore, then up to 63 letters, digits or underscores. The step record lands at `$.steps.<id>`.
   */
  id: string;
  /**
   * Human description of the step.
   */
  description?: string;
  /**
   * One SQL statement (Data API ExecuteStatement), at most 100,000 characters (the Data API's limit). `:name` refers to an entry of `parameters`.
   */
  sql?: string;
  /**
   * Path of a file holding one SQL statement (UTF-8, at most 100,000 characters), relative to this spec file. It must be inside the directory generate runs in, unless --allow-sql-outside.
   */
  sqlFile?: string;
  /**
   * Several SQL statements run in one transaction (Data API BatchExecuteStatement).
   *
   * @minItems 1
   * @maxItems 40
   *
   * Items: One SQL statement of the batch, at most 100,000 characters (the Data API's limit).
   */
  sqls?: [string, ...string[]];
  /**
   * Branches that run concurrently; each branch is a list of steps. Every step record lands in `$.steps` as usual.
   *
   * @minItems 1
   *
   * Items: One branch of a parallel step.
   */
  parallel?: [
    {
      /**
       * The steps of this branch, run in order.
       *
       * @minItems 1
       */
      steps: [Step, ...Step[]];
    },
    ...{
      /**
       * The steps of this branch, run in order.
       *
       * @minItems 1
       */
      steps: [Step, ...Step[]];
    }[],
  ];
  /**
   * Named SQL parameters. A string starting with `$.` (or `$$.`) is a JSONPath into the execution input (or context); anything else is a literal, passed as a string.
   */
  parameters?: {
    /**
     * A JSONPath (`$.runDate`) or a literal value.
     */
    [k: string]: string | number | boolean;
  };
  /**
   * Fetch the first result page (GetStatementResult) into the step record as `Result`: `true` with the default limits, or `{ maxRows, maxBytes }`. A result over a limit fails the step with `Redshift.ResultTooLarge` (Cause: the sizes and the limits) instead of `States.DataLimitExceeded`, which Step Functions raises over 256 KiB and no Catch can handle. Default false.
   */
  results?:
    | boolean
    | {
        /**
         * Most rows the result may have (DescribeStatement `ResultRows`), checked before fetching. Default 100. At most 14,506: a row takes at least 18 bytes of JSON, so more can never fit in Step Functions' 256 KiB state.
         */
        maxRows?: number;
        /**
         * Most bytes the result may have: its JSON in the step record. Before fetching, DescribeStatement's `ResultSize` (the data's bytes; the JSON adds a wrapper per value and the column metadata, so in poll mode the JSON can be larger, see the README) is compared with it; callback mode also measures the fetched page's JSON exactly. Whole bytes or `64KB`, `64KiB`, `1MB` (KB = KiB = 1,024 bytes). Default 64KB, at most 255KB (a state holds 256 KiB, the record around the result needs the rest).
         */
        maxBytes?: number | string;
      };
  /**
   * Never run this SQL twice at once on the same target: fail with `ConcurrentExecution` while another run of it is active. Default false.
   */
  singleton?: boolean;
  /**
   * Statement budget for this step (overrides `defaults.timeout`).
   */
  timeout?: number | string;
  /**
   * Poll mode: how long to wait between DescribeStatement calls. Waits grow from `initial` by `factor` up to `max` (capped exponential backoff), or, with `longPoll`, the calls themselves wait.
   */
  poll?: {
    /**
     * First wait after submitting the statement. Default 5s.
     */
    initial?: number | string;
    /**
     * Longest wait between two polls. Default 60s.
     */
    max?: number | string;
    /**
     * Growth of the wait after each poll. Default 2.
     */
    factor?: number;
    /**
     * Long polling, 1s to 30s: the machine waits inside the Data API calls (WaitTimeSeconds) instead of in Wait states, and leaves the loop as soon as the statement ends (detection within a second, no Lambda). `initial`, `max` and `factor` are then unused. 30s gives the fewest state transitions. Absent: the backoff loop above.
     */
    longPoll?: number | string;
  };
  /**
   * Retries of transient Data API errors (throttling, ActiveStatementsExceeded, InternalServer). Validation errors are never retried.
   */
  retry?: {
    /**
     * Number of retries after the first try (ASL `MaxAttempts`). Default 3.
     */
    attempts?: number;
    /**
     * Wait before the first retry (ASL `IntervalSeconds`). Default 5s.
     */
    interval?: number | string;
    /**
     * Growth of the wait between retries (ASL `BackoffRate`). Default 2.
     */
    factor?: number;
  };
  /**
   * `poll`: the machine polls DescribeStatement with backoff, no Lambda. `callback`: the runtime Lambda starts the statement and its completion event resumes the machine. Overrides the pipeline mode for this step.
   */
  mode?: 'poll' | 'callback';
  /**
   * Overrides of the pipeline target for this step. Naming `cluster` or `workgroup` switches the kind of target; other fields are merged over the inherited ones.
   */
  target?: {
    /**
     * Provisioned cluster identifier (Data API `ClusterIdentifier`). Lower-case letters, digits and hyphens, or a `${Placeholder}`.
     */
    cluster?: string;
    /**
     * Redshift Serverless workgroup name (Data API `WorkgroupName`).
     */
    workgroup?: string;
    /**
     * Database name (Data API `Database`).
     */
    database?: string;
    /**
     * Database user for temporary credentials (Data API `DbUser`); provisioned clusters only. Mutually exclusive with `secretArn`.
     */
    dbUser?: string;
    /**
     * ARN of a Secrets Manager secret with the database credentials (Data API `SecretArn`). Mutually exclusive with `dbUser`.
     */
    secretArn?: string;
    /**
     * ARN of the customer-managed KMS key that encrypts `secretArn`, when it is not the AWS managed key `aws/secretsmanager`: the role policy then allows `kms:Decrypt` on it (Secrets Manager decrypts with the caller's permissions).
     */
    secretKmsKeyArn?: string;
  };
}
