// States.Hash as Step Functions computes it: the real MD5/SHA digests of the whole string
// (aws-local-stepfunctions 3.0.0 read multi-block messages at the wrong offsets; engine.ts fixes it).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createExecutor } from '../../local/executor/index.ts';

const algorithms = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
} as const;

describe('States.Hash', () => {
  it('equals node:crypto for strings of one and of many blocks, which no longer collide', async () => {
    const executor = createExecutor();
    const texts = ['short', `${'a'.repeat(60)}/first`, `${'a'.repeat(60)}/second`, 'é'.repeat(300)];
    const parameters = Object.fromEntries(
      Object.keys(algorithms).flatMap((algorithm) =>
        texts.map((_, index) => [`${algorithm}-${index}.$`, `States.Hash($.texts[${index}], '${algorithm}')`]),
      ),
    );
    const result = await executor.execute(
      { StartAt: 'H', States: { H: { Type: 'Pass', Parameters: parameters, End: true } } },
      { texts },
    );
    expect(result.status).toBe('SUCCEEDED');
    const expected = Object.fromEntries(
      Object.entries(algorithms).flatMap(([algorithm, node]) =>
        texts.map((text, index) => [`${algorithm}-${index}`, createHash(node).update(text, 'utf8').digest('hex')]),
      ),
    );
    expect(result.output).toEqual(expected);
    expect(expected['SHA-256-1']).not.toBe(expected['SHA-256-2']);
  });
});
