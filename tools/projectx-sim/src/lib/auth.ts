import crypto from 'node:crypto';
import { SignJWT } from 'jose';

/** Default session lifetime: 24 hours (PROJECTX-GATEWAY.md §2). */
export const DEFAULT_TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** A session behind one JWT. */
export interface Session {
  token: string;
  jti: string;
  userName: string;
  userId: number;
  issuedAtMs: number;
  expiresAtMs: number;
  loggedOut: boolean;
}

/** Result of looking a bearer token up. */
export type TokenLookup =
  | { status: 'valid'; session: Session }
  | { status: 'expired'; session: Session }
  | { status: 'loggedOut'; session: Session }
  | { status: 'unknown' };

/**
 * Issues HS256 JWT session tokens (claims `sub`, `name`, `jti`, `iat`, `exp` against the simulator
 * clock) and remembers every session, so a token can be expired on demand, logged out, or outlive
 * a re-login (which does not invalidate earlier tokens).
 */
export class TokenService {
  private readonly sessions = new Map<string, Session>();
  private readonly secret = crypto.randomBytes(32);
  private counter = 0;

  constructor(
    private readonly now: () => number,
    private lifetimeMs: number = DEFAULT_TOKEN_LIFETIME_MS,
  ) {}

  get tokenLifetimeMs(): number {
    return this.lifetimeMs;
  }

  /** Lifetime of tokens issued from now on (existing tokens keep their expiry). */
  setLifetime(ms: number): void {
    this.lifetimeMs = ms;
  }

  async issue(userName: string, userId: number): Promise<Session> {
    const issuedAtMs = this.now();
    const expiresAtMs = issuedAtMs + this.lifetimeMs;
    const jti = `sim-${++this.counter}`;
    const token = await new SignJWT({ name: userName })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(userId))
      .setJti(jti)
      .setIssuedAt(Math.floor(issuedAtMs / 1000))
      .setExpirationTime(Math.floor(expiresAtMs / 1000))
      .sign(this.secret);
    const session: Session = { token, jti, userName, userId, issuedAtMs, expiresAtMs, loggedOut: false };
    this.sessions.set(token, session);
    return session;
  }

  lookup(token: string | null | undefined): TokenLookup {
    if (!token) return { status: 'unknown' };
    const session = this.sessions.get(token);
    if (!session) return { status: 'unknown' };
    if (session.loggedOut) return { status: 'loggedOut', session };
    if (this.now() >= session.expiresAtMs) return { status: 'expired', session };
    return { status: 'valid', session };
  }

  logout(session: Session): void {
    session.loggedOut = true;
  }

  /** Expires one token (or every token when none is given) now; returns how many were expired. */
  expireNow(token?: string): number {
    const now = this.now();
    let count = 0;
    for (const session of token === undefined ? this.sessions.values() : [this.sessions.get(token)]) {
      if (session && session.expiresAtMs > now) {
        session.expiresAtMs = now;
        count++;
      }
    }
    return count;
  }

  /** Active sessions (for the control API's state view; tokens included, they are local test tokens). */
  list(): Session[] {
    return [...this.sessions.values()];
  }
}
