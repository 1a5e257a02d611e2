// Who calls the local Data API, and which statements that caller may see.
//
// AWS authorizes statements by the IAM identity that submitted them: ListStatements returns "all
// statements run by the caller's IAM role" (RoleLevel true, the default) or only those of the
// caller's current IAM session (RoleLevel false) (Redshift Data API Reference, ListStatements);
// DescribeStatement, CancelStatement and GetStatementResult act on the caller's own statements
// (the `redshift-data:statement-owner-iam-userid` condition key narrows them to one session).
// A statement of another role is answered as one that does not exist.
//
// The real SDK clients sign every request (SigV4), so the caller is read from the access key id
// in the Authorization header's Credential; `principals` maps access key ids to role ARNs.
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from './errors.ts';

export type Caller = {
  /** The IAM role (or user) ARN the access key belongs to. */
  role: string;
  /** One IAM session of that role: here, the access key id. */
  session: string;
};

const CREDENTIAL = /Credential=([^/,\s]+)\//;

/** The access key id a SigV4-signed request was signed with, if any. */
export function accessKeyIdOf(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  return typeof authorization === 'string' ? CREDENTIAL.exec(authorization)?.[1] : undefined;
}

/**
 * The caller of a request. With `principals`, an access key not in it is refused as AWS refuses
 * an unknown one; without, every access key is its own role.
 */
export function callerOf(
  headers: IncomingHttpHeaders,
  principals: Readonly<Record<string, string>> | undefined,
): Caller {
  const accessKeyId = accessKeyIdOf(headers);
  if (accessKeyId === undefined) {
    throw new ApiError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
  }
  if (principals === undefined) return { role: `local-access-key:${accessKeyId}`, session: accessKeyId };
  const role = Object.hasOwn(principals, accessKeyId) ? principals[accessKeyId] : undefined;
  if (role === undefined) {
    throw new ApiError('UnrecognizedClientException', 'The security token included in the request is invalid.', 403);
  }
  return { role, session: accessKeyId };
}

/** Whether `caller` may see a statement submitted by `owner` (same role; same session when asked). */
export function mayAccess(caller: Caller, owner: Caller, sessionOnly = false): boolean {
  return caller.role === owner.role && (!sessionOnly || caller.session === owner.session);
}
