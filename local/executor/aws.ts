// Identity of the local "account": every client of the local stack uses these, never the
// developer's AWS configuration.
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_CREDENTIALS = {
  accessKeyId: 'AKIALOCALSTACK000000',
  secretAccessKey: 'local-secret-access-key',
} as const;
/** The role the local state machines run as (`$$.Execution.RoleArn`): every executor call signs as it. */
export const LOCAL_MACHINE_ROLE = `arn:aws:iam::${LOCAL_ACCOUNT}:role/local-stepfunctions`;
/** The runtime Lambda's own role and credentials: a different IAM identity, as in AWS. */
export const LOCAL_RUNTIME_ROLE = `arn:aws:iam::${LOCAL_ACCOUNT}:role/sfn-redshift-runtime`;
export const LOCAL_RUNTIME_CREDENTIALS = {
  accessKeyId: 'AKIALOCALRUNTIME0000',
  secretAccessKey: 'local-runtime-secret-access-key',
} as const;
