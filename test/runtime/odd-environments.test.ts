// Issue 15 item 9: the runtime's answers to odd environments and malformed SQS batches are the
// documented errors (InvalidConfiguration naming the variable, InvalidRequest naming the field),
// never a bare TypeError, "Region is missing" or "Records: unknown field".
import { describe, expect, it } from 'vitest';
import { checkClientEnvironment } from '../../runtime/src/clients.ts';
import { handler } from '../../runtime/src/index.ts';

describe('runtime configuration', () => {
  it.each([
    [
      { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_REDSHIFT_DATA: 'not-a-url' },
      'AWS_ENDPOINT_URL_REDSHIFT_DATA: "not-a-url" is not an http(s) URL',
    ],
    [
      { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_DYNAMODB: 'ftp://x' },
      'AWS_ENDPOINT_URL_DYNAMODB: "ftp://x" is not an http(s) URL',
    ],
    [{ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: '::' }, 'AWS_ENDPOINT_URL: "::" is not an http(s) URL'],
    [{}, 'AWS_REGION: no region is set'],
    [{ AWS_REGION: '  ' }, 'AWS_REGION: no region is set'],
  ])('%j → InvalidConfiguration', (env, message) => {
    expect(() => checkClientEnvironment(env)).toThrow(
      expect.objectContaining({ name: 'InvalidConfiguration', message: expect.stringContaining(message) }),
    );
  });

  it('accepts a region and http(s) endpoints', () => {
    expect(() =>
      checkClientEnvironment({ AWS_DEFAULT_REGION: 'eu-west-1', AWS_ENDPOINT_URL_SFN: 'http://127.0.0.1:4566' }),
    ).not.toThrow();
  });
});

describe('SQS batches', () => {
  const record = { messageId: 'm1', eventSource: 'aws:sqs', body: '{}' };
  it.each([
    [{ Records: [] }, 'Records: an SQS batch holds 1 to 10,000 records; got none'],
    [{ Records: [42] }, 'Records[0]: must be an SQS record object'],
    [
      { Records: [record, { ...record, eventSource: 'aws:sns' }] },
      'Records[1].eventSource: must be "aws:sqs", got "aws:sns"',
    ],
    [{ Records: [{ ...record, messageId: undefined }] }, 'Records[0].messageId: must be a string'],
    [{ Records: [{ ...record, body: { a: 1 } }] }, 'Records[0].body: must be a string'],
  ])('%j → InvalidRequest naming the field', async (event, message) => {
    await expect(handler(event)).rejects.toMatchObject({
      name: 'InvalidRequest',
      message: expect.stringContaining(message),
    });
  });
});

describe('run --clear-cache', () => {
  it('removes the PostgreSQL templates kept between runs, and nothing else', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { clearPostgresTemplates } = await import('../../local/postgres.ts');
    const parent = mkdtempSync(join(tmpdir(), 'sfn-redshift-shm-'));
    mkdirSync(join(parent, 'sfn-redshift-pg-template-0123456789abcdef', 'data'), { recursive: true });
    writeFileSync(join(parent, 'sfn-redshift-pg-template-0123456789abcdef', 'data', 'base'), 'x'.repeat(8192));
    mkdirSync(join(parent, 'someone-else'));
    const removed = await clearPostgresTemplates([parent]);
    expect(removed.map((entry) => entry.path)).toEqual([join(parent, 'sfn-redshift-pg-template-0123456789abcdef')]);
    expect(removed[0]?.bytes).toBeGreaterThanOrEqual(8192);
    expect(readdirSync(parent)).toEqual(['someone-else']);
  });
});
