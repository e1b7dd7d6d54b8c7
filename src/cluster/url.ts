/**
 * Redis URLs: parse `redis://` / `rediss://` into ioredis options, and show them only without their password.
 * No Redis client is loaded here (the CLI parses URLs without loading one).
 */
import type { RedisOptions } from 'ioredis';
import { InvalidOptionError } from '../errors.ts';
import { formatValue } from '../task.ts';

/** A Redis server to use, parsed from a URL. */
export interface RedisTarget {
  /** The URL without its password (`redis://user:***@host:6379/0`): the only form ever shown. */
  readonly display: string;
  /** ioredis options (host, port, credentials, db, TLS). */
  readonly options: Readonly<RedisOptions>;
}

/**
 * Parse a Redis URL: `redis://[user[:password]@]host[:port][/db]`, or `rediss://` for TLS.
 *
 * @throws {InvalidOptionError} naming `option` for anything else.
 */
export function parseRedisUrl(url: unknown, option = 'connection'): RedisTarget {
  if (typeof url !== 'string' || url.length === 0) {
    throw new InvalidOptionError(option, `\`${option}\` must be a redis:// or rediss:// URL, got ${formatValue(url)}`);
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidOptionError(option, `\`${option}\` must be a redis:// or rediss:// URL, got an unparsable string`);
  }
  const tls = u.protocol === 'rediss:';
  if (!tls && u.protocol !== 'redis:') {
    throw new InvalidOptionError(option, `\`${option}\` must start with redis:// or rediss://, got ${u.protocol}//`);
  }
  if (u.hostname === '') throw new InvalidOptionError(option, `\`${option}\` names no host`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = u.port === '' ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isSafeInteger(db) || db < 0) {
    throw new InvalidOptionError(option, `\`${option}\` has a database number that is not an integer >= 0: "${dbText}"`);
  }
  const options: RedisOptions = { host, port, db };
  if (u.username !== '') options.username = decodeURIComponent(u.username);
  if (u.password !== '') options.password = decodeURIComponent(u.password);
  if (tls) options.tls = { servername: host };
  const auth = u.username !== '' || u.password !== '' ? `${u.username}${u.password === '' ? '' : ':***'}@` : '';
  const display = `${u.protocol}//${auth}${u.host}${db === 0 ? '' : `/${db}`}`;
  return { display, options };
}

/**
 * The target with `ca` (PEM text of the certificate authorities that signed the server's certificate) trusted for
 * its TLS connection, besides Node's own list (and `NODE_EXTRA_CA_CERTS`). `undefined` leaves the target as it is.
 *
 * @throws {InvalidOptionError} naming `option` for a `ca` that is not PEM text, or a `redis://` (plain) URL.
 */
export function withCa(target: RedisTarget, ca: unknown, option = 'ca'): RedisTarget {
  if (ca === undefined) return target;
  const text = Buffer.isBuffer(ca) ? ca.toString('utf8') : ca;
  if (typeof text !== 'string' || !text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new InvalidOptionError(option, `\`${option}\` must be PEM text (or a Buffer of it) holding "-----BEGIN CERTIFICATE-----", got ${formatValue(ca)}`);
  }
  const tls = target.options.tls;
  if (!tls) throw new InvalidOptionError(option, `\`${option}\` applies to TLS connections only: use a rediss:// URL`);
  return { display: target.display, options: { ...target.options, tls: { ...tls, ca: text } } };
}

/** Remove a target's password from any text (an error message from below, say). */
export function redact(text: string, target: RedisTarget): string {
  const password = target.options.password;
  return password ? text.split(password).join('***') : text;
}

/** The URL as it may be stored or shown: the password replaced by `***` (the rest kept, so it still parses). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password === '') return url;
    u.password = '***';
    return u.href;
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}
