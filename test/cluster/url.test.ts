// Redis URLs and server facts, without a server: parsing, TLS, redaction, the version gate, queue names.
import { describe, expect, it } from 'vitest';
import { checkQueueName, parseRedisUrl, redact, refusal, versionAtLeast } from '../../src/cluster/connection.ts';
import { redactUrl } from '../../src/cluster/url.ts';

describe('Redis URLs', () => {
  it('parse host, port, credentials, database and TLS; show them without the password', () => {
    const t = parseRedisUrl('rediss://app:p%40ss@redis.internal:6380/2');
    expect(t.options).toMatchObject({ host: 'redis.internal', port: 6380, db: 2, username: 'app', password: 'p@ss', tls: { servername: 'redis.internal' } });
    expect(t.display).toBe('rediss://app:***@redis.internal:6380/2');
    expect(parseRedisUrl('redis://localhost').options).toMatchObject({ host: 'localhost', port: 6379, db: 0 });
    expect(parseRedisUrl('redis://localhost').options.tls).toBeUndefined();
    expect(parseRedisUrl('redis://[::1]:7000').options).toMatchObject({ host: '::1', port: 7000 });
  });

  it('remove the password from any text, and from URLs stored in a checkpoint', () => {
    const t = parseRedisUrl('redis://:hunter2@h:1');
    expect(redact('WRONGPASS for hunter2 at h', t)).toBe('WRONGPASS for *** at h');
    expect(redactUrl('redis://:hunter2@h:1/0')).toBe('redis://:***@h:1/0');
    expect(redactUrl('redis://h:1')).toBe('redis://h:1');
  });

  it('reject what is not a Redis URL, naming the option', () => {
    expect(() => parseRedisUrl('http://h')).toThrow(/`connection` must start with redis:\/\/ or rediss:\/\//);
    expect(() => parseRedisUrl(42)).toThrow(/`connection` must be a redis:\/\/ or rediss:\/\/ URL, got 42 \(number\)/);
    expect(() => parseRedisUrl('redis://h/x', 'cluster.connection')).toThrow(/`cluster.connection` has a database number/);
    expect(() => checkQueueName('a:b')).toThrow(/`queue` must be 1-100 letters/);
    expect(checkQueueName('scores-2')).toBe('scores-2');
  });

  it('accept Redis 6.2 and newer only', () => {
    expect(versionAtLeast('6.2.0', [6, 2, 0])).toBe(true);
    expect(versionAtLeast('7.0.15', [6, 2, 0])).toBe(true);
    expect(versionAtLeast('6.0.16', [6, 2, 0])).toBe(false);
    expect(versionAtLeast('5.0.14', [6, 2, 0])).toBe(false);
    expect(versionAtLeast('10.0.0', [6, 2, 0])).toBe(true);
    // The decision checkServer applies to what INFO said. (No Redis older than 6.2 can be installed here: Debian
    // ships 7.0.15 only, so the refusal of an old server is checked on the facts; the eviction refusal, the same
    // function, is checked end to end against a real server in cli.test.ts.)
    const where = 'redis://:***@h:6379';
    expect(refusal({ version: '6.0.16', evictionPolicy: 'noeviction', mode: 'standalone' }, where)).toMatchObject({
      code: 'BT_CLUSTER_UNAVAILABLE',
      address: where,
      message: `Redis at ${where} is version 6.0.16; batchtools needs Redis 6.2 or newer`,
    });
    expect(refusal({ version: '6.2.0', evictionPolicy: 'noeviction', mode: 'standalone' }, where)).toBeUndefined();
    expect(refusal({ version: '7.0.15', evictionPolicy: 'volatile-lru', mode: 'standalone' }, where)?.message).toContain('maxmemory-policy volatile-lru');
  });
});
