import { InvalidConfiguration, InvalidRequest } from './errors.ts';
import type { LockTarget } from './lock-key.ts';

/** Where a statement runs: the Data API's target and credential fields. */
export type Target =
  | { kind: 'cluster'; clusterIdentifier: string; database: string; dbUser?: string; secretArn?: string }
  | { kind: 'workgroup'; workgroupName: string; database: string; secretArn?: string };

/** Target fields an event may carry (each overrides the environment's). */
export type TargetOverrides = {
  clusterIdentifier?: string;
  workgroupName?: string;
  database?: string;
  dbUser?: string;
  secretArn?: string;
};

type Env = Readonly<Record<string, string | undefined>>;

function envValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** Values of CALLBACK_COMPAT: whose completion payloads the runtime answers task tokens with. */
export const CALLBACK_COMPAT_VALUES = ['cdk-stepfunctions-redshift'] as const;
export type CallbackCompat = (typeof CALLBACK_COMPAT_VALUES)[number];

/**
 * `CALLBACK_COMPAT`: unset (the contract's step record and error names) or
 * `cdk-stepfunctions-redshift` (the original function's payloads). Anything else is an
 * InvalidConfiguration naming the variable and the valid values; read once, at cold start.
 */
export function callbackCompat(env: Env = process.env): CallbackCompat | undefined {
  const value = envValue(env, 'CALLBACK_COMPAT');
  if (value === undefined) return undefined;
  const valid: readonly string[] = CALLBACK_COMPAT_VALUES;
  if (!valid.includes(value)) {
    throw new InvalidConfiguration(
      'CALLBACK_COMPAT',
      `must be unset or one of: ${CALLBACK_COMPAT_VALUES.join(', ')}; got ${JSON.stringify(value)}`,
    );
  }
  return value as CallbackCompat;
}

/** The state table's name, or an InvalidConfiguration naming STATE_TABLE. */
export function stateTableName(env: Env = process.env): string {
  const table = envValue(env, 'STATE_TABLE');
  if (table === undefined)
    throw new InvalidConfiguration('STATE_TABLE', 'the state table name is not set in the environment');
  return table;
}

/**
 * Resolves the target of a statement. Naming a cluster or workgroup in the event replaces the
 * environment's target as a whole (its database and credentials included); otherwise the event's
 * `database` and credential (`dbUser` or `secretArn`, which replace the environment's credential)
 * apply over the environment's target.
 */
export function resolveTarget(event: TargetOverrides, env: Env = process.env): Target {
  if (event.clusterIdentifier !== undefined && event.workgroupName !== undefined) {
    throw new InvalidRequest('workgroupName', 'give either clusterIdentifier or workgroupName, not both');
  }
  if (event.dbUser !== undefined && event.secretArn !== undefined) {
    throw new InvalidRequest('secretArn', 'give either dbUser or secretArn, not both');
  }
  const eventNamesTarget = event.clusterIdentifier !== undefined || event.workgroupName !== undefined;
  const fields: TargetFields = eventNamesTarget
    ? {
        source: 'event',
        cluster: event.clusterIdentifier,
        workgroup: event.workgroupName,
        database: event.database,
        dbUser: event.dbUser,
        secretArn: event.secretArn,
      }
    : environmentTarget(event, env);
  return targetOf(fields, event);
}

type TargetFields = {
  source: 'event' | 'environment';
  cluster: string | undefined;
  workgroup: string | undefined;
  database: string | undefined;
  dbUser: string | undefined;
  secretArn: string | undefined;
};

/** The environment's target, with the event's database and credential (if any) over it. */
function environmentTarget(event: TargetOverrides, env: Env): TargetFields {
  const cluster = envValue(env, 'REDSHIFT_CLUSTER_ID');
  const workgroup = envValue(env, 'REDSHIFT_WORKGROUP');
  if (cluster !== undefined && workgroup !== undefined) {
    throw new InvalidConfiguration(
      'REDSHIFT_WORKGROUP',
      'set either REDSHIFT_CLUSTER_ID or REDSHIFT_WORKGROUP, not both',
    );
  }
  const database = event.database ?? envValue(env, 'REDSHIFT_DATABASE');
  if (event.dbUser !== undefined || event.secretArn !== undefined) {
    return { source: 'environment', cluster, workgroup, database, dbUser: event.dbUser, secretArn: event.secretArn };
  }
  const dbUser = envValue(env, 'REDSHIFT_DB_USER');
  const secretArn = envValue(env, 'REDSHIFT_SECRET_ARN');
  if (dbUser !== undefined && secretArn !== undefined) {
    throw new InvalidConfiguration(
      'REDSHIFT_SECRET_ARN',
      'set either REDSHIFT_DB_USER or REDSHIFT_SECRET_ARN, not both',
    );
  }
  return { source: 'environment', cluster, workgroup, database, dbUser, secretArn };
}

function targetOf(fields: TargetFields, event: TargetOverrides): Target {
  const { cluster, workgroup, database, dbUser, secretArn } = fields;
  if (cluster === undefined && workgroup === undefined) {
    throw new InvalidRequest(
      'clusterIdentifier',
      'no target: give clusterIdentifier or workgroupName in the event, or set REDSHIFT_CLUSTER_ID or REDSHIFT_WORKGROUP',
    );
  }
  if (database === undefined) {
    throw new InvalidRequest(
      'database',
      fields.source === 'event'
        ? 'required when the event names a cluster or workgroup (the environment target is then not used)'
        : 'no database: give database in the event or set REDSHIFT_DATABASE',
    );
  }
  if (workgroup !== undefined) {
    if (dbUser !== undefined) {
      if (event.dbUser !== undefined)
        throw new InvalidRequest(
          'dbUser',
          'a workgroup (Redshift Serverless) takes secretArn or IAM identity, not dbUser',
        );
      throw new InvalidConfiguration(
        'REDSHIFT_DB_USER',
        'a workgroup (Redshift Serverless) takes REDSHIFT_SECRET_ARN or IAM identity, not a database user',
      );
    }
    return { kind: 'workgroup', workgroupName: workgroup, database, ...(secretArn !== undefined ? { secretArn } : {}) };
  }
  if (cluster === undefined) throw new InvalidRequest('clusterIdentifier', 'no cluster named');
  return {
    kind: 'cluster',
    clusterIdentifier: cluster,
    database,
    ...(dbUser !== undefined ? { dbUser } : {}),
    ...(secretArn !== undefined ? { secretArn } : {}),
  };
}

export function lockTargetOf(target: Target): LockTarget {
  return target.kind === 'cluster'
    ? { kind: 'cluster', name: target.clusterIdentifier, database: target.database }
    : { kind: 'workgroup', name: target.workgroupName, database: target.database };
}
