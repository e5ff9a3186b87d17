import { createHash, randomBytes } from 'node:crypto';
import type { Clock, Instant } from '@riskd/core-engine';
import type { Role } from '@riskd/api-client';

/** Token lifetimes: short for the admin (each admin session re-authenticates), a trading day for the trader. */
export const DEFAULT_TOKEN_TTL_MS: Readonly<Record<Role, number>> = {
  admin: 15 * 60_000,
  trader: 12 * 60 * 60_000,
};

/** Live tokens kept per role; beyond it the oldest is dropped (a loop of logins cannot grow memory). */
const MAX_TOKENS_PER_ROLE = 256;

/** What a valid token stands for. */
export interface TokenGrant {
  readonly role: Role;
  readonly expiresAt: Instant;
  /** A non-secret id (a prefix of the token's hash), for logs and the audit trail. */
  readonly tokenId: string;
}

/**
 * Bearer tokens: 32 random bytes (base64url), opaque, kept in memory only — a restart logs
 * everyone out, nothing signed can be replayed after it, and there is no signing key to protect.
 * The map is keyed by the token's SHA-256, so a heap dump does not hold usable tokens.
 */
export class TokenStore {
  private readonly grants = new Map<string, TokenGrant>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: Readonly<Record<Role, number>> = DEFAULT_TOKEN_TTL_MS,
  ) {}

  issue(role: Role): { readonly token: string; readonly grant: TokenGrant } {
    this.prune();
    const ofRole = [...this.grants.entries()].filter(([, g]) => g.role === role);
    if (ofRole.length >= MAX_TOKENS_PER_ROLE) {
      const oldest = ofRole.reduce((a, b) => (a[1].expiresAt <= b[1].expiresAt ? a : b));
      this.grants.delete(oldest[0]);
    }
    const token = randomBytes(32).toString('base64url');
    const hash = hashToken(token);
    const grant: TokenGrant = {
      role,
      expiresAt: this.clock.now() + this.ttlMs[role],
      tokenId: hash.slice(0, 12),
    };
    this.grants.set(hash, grant);
    return { token, grant };
  }

  /** The grant of a live token; undefined for an unknown or expired one. */
  verify(token: string): TokenGrant | undefined {
    const hash = hashToken(token);
    const grant = this.grants.get(hash);
    if (!grant) return undefined;
    if (grant.expiresAt <= this.clock.now()) {
      this.grants.delete(hash);
      return undefined;
    }
    return grant;
  }

  /** Drops every token (of one role): e.g. after its password changed. */
  revokeAll(role?: Role): void {
    for (const [hash, grant] of this.grants)
      if (role === undefined || grant.role === role) this.grants.delete(hash);
  }

  /** Live tokens (for tests and metrics). */
  size(): number {
    this.prune();
    return this.grants.size;
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [hash, grant] of this.grants) if (grant.expiresAt <= now) this.grants.delete(hash);
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
