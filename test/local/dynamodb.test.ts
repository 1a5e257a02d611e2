import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createStateTable, startDynamo, type LocalDynamo } from '../../local/dynamodb.ts';

describe('local DynamoDB (dynalite)', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startDynamo();
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  it('listens on 127.0.0.1 and creates the contract state table, ACTIVE', async () => {
    expect(dynamo.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await createStateTable(dynamo.client, 'state-table');
    const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: 'state-table' }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
    );
  });

  it('accepts creating the same table again', async () => {
    await createStateTable(dynamo.client, 'again-table');
    await expect(createStateTable(dynamo.client, 'again-table')).resolves.toBeUndefined();
  });

  it('stores items with an expiresAt number', async () => {
    await createStateTable(dynamo.client, 'items-table');
    await dynamo.client.send(
      new PutItemCommand({
        TableName: 'items-table',
        Item: { pk: { S: 'a' }, sk: { S: 'b' }, expiresAt: { N: '1700000000' } },
      }),
    );
    const { Item } = await dynamo.client.send(
      new GetItemCommand({ TableName: 'items-table', Key: { pk: { S: 'a' }, sk: { S: 'b' } } }),
    );
    expect(Item?.expiresAt).toEqual({ N: '1700000000' });
  });

  it('stops even with keep-alive connections open, and stop() is idempotent', async () => {
    const other = await startDynamo();
    await createStateTable(other.client, 'tmp-table');
    // stop() resolves with the SDK's keep-alive connection still open: it closes connections itself.
    await Promise.all([other.stop(), other.stop()]);
    await other.stop();
    await expect(fetch(other.endpoint, { method: 'POST' })).rejects.toThrow();
  });
});
