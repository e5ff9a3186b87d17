import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT_PARAMS, hashPassword, verifyPassword } from './password-hash.js';
import { CredentialFormatError } from './storage.errors.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };

describe('password hashes (scrypt)', () => {
  it('when hashed with the defaults then the string carries N=32768, r=8, p=1, a 16-byte salt and a 32-byte key', async () => {
    const hash = await hashPassword('correct horse battery staple');
    const match = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([^$]+)\$([^$]+)$/.exec(hash);
    expect(match?.slice(1, 4).map(Number)).toEqual([DEFAULT_SCRYPT_PARAMS.N, 8, 1]);
    expect(Buffer.from(match?.[4] ?? '', 'base64')).toHaveLength(16);
    expect(Buffer.from(match?.[5] ?? '', 'base64')).toHaveLength(32);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
  });

  it('when the password differs by anything then verify is false', async () => {
    const hash = await hashPassword('s3cret-Pass', FAST);
    expect(await verifyPassword('s3cret-Pass', hash)).toBe(true);
    expect(await verifyPassword('s3cret-pass', hash)).toBe(false);
    expect(await verifyPassword('s3cret-Pass ', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('when the same password is hashed twice then the salts differ', async () => {
    const [a, b] = await Promise.all([hashPassword('same', FAST), hashPassword('same', FAST)]);
    expect(a).not.toBe(b);
  });

  it('when a password is typed in another Unicode normal form then it still matches', async () => {
    const hash = await hashPassword('caf\u00e9', FAST);
    expect(await verifyPassword('cafe\u0301', hash)).toBe(true);
  });

  it('when the stored hash is malformed or asks for excessive parameters then CredentialFormatError', async () => {
    await expect(verifyPassword('x', 'plain-text')).rejects.toBeInstanceOf(CredentialFormatError);
    const hash = await hashPassword('x', FAST);
    await expect(verifyPassword('x', hash.replace('N=1024', 'N=1000'))).rejects.toThrow(/power of two/);
    await expect(verifyPassword('x', hash.replace('N=1024', `N=${2 ** 24}`))).rejects.toMatchObject({
      code: 'STORAGE_CREDENTIAL_INVALID',
    });
    await expect(hashPassword('x', { N: 2 ** 10, r: 0, p: 1 })).rejects.toBeInstanceOf(CredentialFormatError);
  });
});
