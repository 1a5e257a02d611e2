// SDK clients, created lazily and once per container. Region, credentials and endpoints come from
// the SDK's own configuration chain (AWS_REGION, the execution role, AWS_ENDPOINT_URL_<SERVICE>).
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { InvalidConfiguration } from './errors.ts';

const ENDPOINT_VARIABLES = [
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_REDSHIFT_DATA',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_SFN',
];

/**
 * What the SDK would otherwise fail on at the first call, with a bare TypeError ("Invalid URL") or
 * "Region is missing": an endpoint variable that is not an http(s) URL, or no region at all.
 */
export function checkClientEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): void {
  for (const variable of ENDPOINT_VARIABLES) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new InvalidConfiguration(
        variable,
        `${JSON.stringify(value)} is not an http(s) URL; unset it for the service's own endpoint, or give one such as https://redshift-data.eu-west-1.amazonaws.com`,
      );
    }
  }
  if (!env.AWS_REGION?.trim() && !env.AWS_DEFAULT_REGION?.trim()) {
    throw new InvalidConfiguration(
      'AWS_REGION',
      'no region is set (Lambda sets AWS_REGION itself; elsewhere set AWS_REGION, e.g. eu-west-1)',
    );
  }
}

let redshiftData: RedshiftDataClient | undefined;
let dynamo: DynamoDBClient | undefined;
let sfn: SFNClient | undefined;

export function redshiftDataClient(): RedshiftDataClient {
  if (!redshiftData) checkClientEnvironment();
  redshiftData ??= new RedshiftDataClient({});
  return redshiftData;
}

export function dynamoClient(): DynamoDBClient {
  if (!dynamo) checkClientEnvironment();
  dynamo ??= new DynamoDBClient({});
  return dynamo;
}

export function sfnClient(): SFNClient {
  if (!sfn) checkClientEnvironment();
  sfn ??= new SFNClient({});
  return sfn;
}
