// The runtime's invocation event as it travels: the seed's fields (action, sqlStatement,
// executionArn, taskToken, statementId incl. "LATEST", nextToken) plus the contract's extensions.
// One type for both sides: the generator builds callback-mode payloads from it
// (generator/compile/callback-statement.ts) and the runtime parses events against it (request.ts).

export const ACTIONS = [
  'executeStatement',
  'executeSingletonStatement',
  'batchExecuteStatement',
  'describeStatement',
  'cancelStatement',
  'getStatementResult',
  'timeoutStatement',
  'reconcileStatements',
] as const;
export type Action = (typeof ACTIONS)[number];

/** Named SQL parameters: `{name: value}` (the contract), or the Data API's own `[{name, value}]`. */
export type InvocationParameters =
  | { readonly [name: string]: string | number | boolean }
  | readonly { readonly name: string; readonly value: string | number | boolean }[];

export type InvocationEvent = {
  /** Optional with `sqlStatement` (then executeStatement), as in the original function. */
  readonly action?: Action;
  readonly sqlStatement?: string;
  readonly sqls?: readonly string[];
  readonly parameters?: InvocationParameters;
  readonly executionArn?: string;
  readonly taskToken?: string;
  /** A statement id, or "LATEST" with executionArn (and stepId). */
  readonly statementId?: string;
  readonly nextToken?: string;
  readonly format?: 'dataApi' | 'stepFunctions';
  /**
   * getStatementResult: the most rows (DescribeStatement ResultRows) and bytes (ResultSize before
   * fetching, then the answer's JSON) the result may have; over either, `Redshift.ResultTooLarge`.
   */
  readonly maxRows?: number;
  readonly maxBytes?: number;
  readonly stepId?: string;
  readonly statementName?: string;
  /** Data API ClientToken (1-64 characters): a repeated submit answers the first one's statement. */
  readonly clientToken?: string;
  readonly clusterIdentifier?: string;
  readonly workgroupName?: string;
  readonly database?: string;
  readonly dbUser?: string;
  readonly secretArn?: string;
};
export type InvocationField = keyof InvocationEvent;

/** Every field of the event, in the order the runtime lists them in its error message. */
export const INVOCATION_FIELDS = [
  'action',
  'sqlStatement',
  'sqls',
  'parameters',
  'executionArn',
  'taskToken',
  'statementId',
  'nextToken',
  'format',
  'maxRows',
  'maxBytes',
  'stepId',
  'statementName',
  'clientToken',
  'clusterIdentifier',
  'workgroupName',
  'database',
  'dbUser',
  'secretArn',
] as const satisfies readonly InvocationField[];

// A field added to InvocationEvent but not to INVOCATION_FIELDS would be refused as unknown: a compile error here.
const everyField: Record<Exclude<InvocationField, (typeof INVOCATION_FIELDS)[number]>, never> = {};
void everyField;

/** An event not yet checked: the known fields, of any type. */
export type UncheckedInvocation = { readonly [Field in InvocationField]?: unknown };

/**
 * The event as a Task's `Parameters` writes it: a field given as its value, or as `<field>.$`
 * holding a path or an intrinsic function that Step Functions resolves at run time.
 */
export type InvocationPayload = { readonly [Field in InvocationField]?: InvocationEvent[Field] } & {
  readonly [Field in InvocationField as `${Field}.$`]?: string;
};
