import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { CredentialFormatError } from './storage.errors.js';

/**
 * scrypt parameters. The defaults (N = 2^15, r = 8, p = 1: 32 MiB and about 50-100 ms per hash on a
 * desktop CPU; 16-byte random salt; 32-byte key) follow OWASP's scrypt minimum. Every stored hash
 * carries its own parameters, so they can be raised later without invalidating stored passwords.
 */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  /** Block size. */
  readonly r: number;
  /** Parallelism. */
  readonly p: number;
}

export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
// Bounds of what verifyPassword accepts from a stored hash (a crafted row must not make a login
// allocate gigabytes).
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
const FORMAT = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function derive(password: string, salt: Buffer, keyLength: number, params: ScryptParams): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    // maxmem: scrypt needs 128 * N * r bytes; Node's default cap (32 MiB) is just below that for N = 2^15.
    scrypt(
      password.normalize('NFC'),
      salt,
      keyLength,
      { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

function checkParams(params: ScryptParams): void {
  const { N, r, p } = params;
  if (!Number.isInteger(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0) {
    throw new CredentialFormatError(`scrypt N must be a power of two between 2 and ${MAX_N}`);
  }
  if (!Number.isInteger(r) || r < 1 || r > MAX_R)
    throw new CredentialFormatError(`scrypt r must be 1..${MAX_R}`);
  if (!Number.isInteger(p) || p < 1 || p > MAX_P)
    throw new CredentialFormatError(`scrypt p must be 1..${MAX_P}`);
}

/** Hashes a password as `scrypt$N=..,r=..,p=..$<salt base64>$<key base64>`. */
export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<string> {
  checkParams(params);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, params);
  return `scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * True when `password` matches `stored` (a {@link hashPassword} string); the comparison is
 * constant-time. Throws {@link CredentialFormatError} on a malformed hash or unsupported parameters.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = FORMAT.exec(stored);
  if (!match)
    throw new CredentialFormatError('stored password hash is not in scrypt$N=..,r=..,p=..$salt$key form');
  const params = { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  checkParams(params);
  const salt = Buffer.from(match[4] as string, 'base64');
  const expected = Buffer.from(match[5] as string, 'base64');
  if (salt.length < 8 || expected.length < 16 || expected.length > 64) {
    throw new CredentialFormatError('stored password hash has a salt or key of an unsupported length');
  }
  const actual = await derive(password, salt, expected.length, params);
  return timingSafeEqual(actual, expected);
}
