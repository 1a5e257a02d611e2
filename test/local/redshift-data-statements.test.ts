import { describe, expect, it } from 'vitest';
import { ApiError } from '../../local/redshift-data/errors.ts';
import { setStatus, StatementRegistry } from '../../local/redshift-data/statements.ts';

const spec = {
  isBatch: false,
  sqls: [{ sql: 'select 1', prepared: { text: 'select 1', values: [] } }],
  target: { clusterIdentifier: 'c' },
  withEvent: false,
  owner: { role: 'r', session: 's' },
};

describe('StatementRegistry', () => {
  it('forgets terminal statements (and their client tokens) 24 hours after they ended', () => {
    const registry = new StatementRegistry();
    const old = registry.create(spec);
    const running = registry.create(spec);
    const recent = registry.create(spec);
    registry.rememberToken('ExecuteStatement:t', old, 'request');
    setStatus(old, 'FINISHED');
    setStatus(recent, 'FINISHED');
    old.updatedAt -= 25 * 3600 * 1000;
    running.updatedAt -= 25 * 3600 * 1000;

    registry.forgetExpired();

    expect(() => registry.find(old.id)).toThrow(ApiError);
    expect(registry.byToken('ExecuteStatement:t', 'request')).toBeUndefined();
    expect(registry.find(running.id).statement).toBe(running);
    expect(registry.find(recent.id).statement).toBe(recent);
    expect(registry.list().map((s) => s.id)).toEqual([recent.id, running.id]);
  });
});
