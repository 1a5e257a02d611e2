// PascalCase translation between Step Functions and the JS SDK, driven by the SDK's schemas.
import { describe, expect, it } from 'vitest';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import * as redshiftData from '@aws-sdk/client-redshift-data';
import * as sfn from '@aws-sdk/client-sfn';
import {
  checkParameters,
  fromSdkOutput,
  operationSchemas,
  toSdkInput,
  UnsupportedFieldError,
} from '../../local/executor/shapes.ts';

const schemas = (module: object, action: string) => {
  const found = operationSchemas(module as Record<string, unknown>, action);
  if (!found) throw new Error(`no schema for ${action}`);
  return found;
};

describe('Step Functions member names', () => {
  it('maps Data API parameters and results (nested camelCase members become PascalCase)', () => {
    const execute = schemas(redshiftData, 'executeStatement');
    expect(toSdkInput({ Sql: 'select :n', Parameters: [{ Name: 'n', Value: '1' }] }, execute.input)).toEqual({
      Sql: 'select :n',
      Parameters: [{ name: 'n', value: '1' }],
    });
    expect(() => toSdkInput({ Parameters: [{ name: 'n', value: '1' }] }, execute.input)).toThrow(UnsupportedFieldError);
    const result = schemas(redshiftData, 'getStatementResult');
    expect(
      fromSdkOutput(
        {
          $metadata: {},
          Records: [[{ longValue: 1 }, { isNull: true }]],
          ColumnMetadata: [{ name: 'n', typeName: 'int4', nullable: 1 }],
          TotalNumRows: 1,
        },
        result.output,
      ),
    ).toEqual({
      Records: [[{ LongValue: 1 }, { IsNull: true }]],
      ColumnMetadata: [{ Name: 'n', TypeName: 'int4', Nullable: 1 }],
      TotalNumRows: 1,
    });
    const describeStatement = schemas(redshiftData, 'describeStatement');
    expect(
      fromSdkOutput({ CreatedAt: new Date(0), QueryParameters: [{ name: 'n', value: '1' }] }, describeStatement.output),
    ).toEqual({
      CreatedAt: '1970-01-01T00:00:00.000Z',
      QueryParameters: [{ Name: 'n', Value: '1' }],
    });
  });

  it('maps Step Functions API members both ways', () => {
    const describeExecution = schemas(sfn, 'describeExecution');
    expect(toSdkInput({ ExecutionArn: 'arn' }, describeExecution.input)).toEqual({ executionArn: 'arn' });
    expect(
      fromSdkOutput(
        { status: 'RUNNING', startDate: new Date(1000), inputDetails: { included: true } },
        describeExecution.output,
      ),
    ).toEqual({
      Status: 'RUNNING',
      StartDate: '1970-01-01T00:00:01.000Z',
      InputDetails: { Included: true },
    });
  });

  it('keeps map keys (DynamoDB attribute names) as they are', () => {
    const getItem = schemas(dynamodb, 'getItem');
    const item = { pk: { S: 'a' }, nested: { M: { lower: { N: '1' } } } };
    expect(toSdkInput({ TableName: 't', Key: item }, getItem.input)).toEqual({ TableName: 't', Key: item });
    expect(fromSdkOutput({ Item: item }, getItem.output)).toEqual({ Item: item });
  });

  it('checks static Parameters templates, by name only for dynamic values', () => {
    const execute = schemas(redshiftData, 'executeStatement');
    expect(() =>
      checkParameters({ 'Sql.$': '$.sql', Parameters: [{ Name: 'n', 'Value.$': '$.v' }] }, execute.input),
    ).not.toThrow();
    expect(() => checkParameters({ 'sql.$': '$.sql' }, execute.input)).toThrow(/"sql"/);
    expect(() => checkParameters({ Parameters: [{ Name: 'n', 'value.$': '$.v' }] }, execute.input)).toThrow(
      /at Parameters\.Parameters\[0\]/,
    );
    const put = schemas(dynamodb, 'putItem');
    expect(() => checkParameters({ TableName: 't', Item: { anyName: { 'S.$': '$.x' } } }, put.input)).not.toThrow();
  });
});
