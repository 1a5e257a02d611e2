// SDK clients, created lazily and once per container. Region, credentials and endpoints come from
// the SDK's own configuration chain (AWS_REGION, the execution role, AWS_ENDPOINT_URL_<SERVICE>).
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';

let redshiftData: RedshiftDataClient | undefined;
let dynamo: DynamoDBClient | undefined;
let sfn: SFNClient | undefined;

export function redshiftDataClient(): RedshiftDataClient {
  redshiftData ??= new RedshiftDataClient({});
  return redshiftData;
}

export function dynamoClient(): DynamoDBClient {
  dynamo ??= new DynamoDBClient({});
  return dynamo;
}

export function sfnClient(): SFNClient {
  sfn ??= new SFNClient({});
  return sfn;
}
