import type { FastifyReply, FastifyRequest } from 'fastify';
import { ROUTE_TABLE, routeKey, type Role, type RouteRole } from '@riskd/api-client';
import type { Actor, ControlPlane } from './control-plane.js';
import { errorBody } from './api-error-body.js';
import type { TokenStore } from './token-store.js';

const ROLE_OF_ROUTE = new Map<string, RouteRole>(ROUTE_TABLE.map((r) => [routeKey(r), r.role]));
const actors = new WeakMap<FastifyRequest, Actor>();

/** The role the route table gives the request's route; undefined for an unknown route (404). */
export function routeRoleOf(request: FastifyRequest): RouteRole | undefined {
  const { method, url } = request.routeOptions;
  if (url === undefined || method === undefined) return undefined;
  return ROLE_OF_ROUTE.get(routeKey({ method: String(method), path: url }));
}

/** Who is calling a trader or admin route (set by the auth hook before the handler runs). */
export function actorOf(request: FastifyRequest): Actor {
  const actor = actors.get(request);
  // The hook runs first on every trader and admin route: a missing actor is a wiring bug.
  if (!actor) throw new Error(`no authenticated actor for ${request.method} ${request.url}`);
  return actor;
}

/** 127.0.0.0/8 and ::1, also IPv4-mapped. */
export function isLoopback(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return v4.startsWith('127.') || ip === '::1';
}

/** `Authorization: Bearer <token>` -> the token; null when absent; undefined when malformed. */
function bearerToken(request: FastifyRequest): string | null | undefined {
  const header = request.headers.authorization;
  if (header === undefined || header === '') return null;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

function unauthorized(reply: FastifyReply, role: Role): FastifyReply {
  return reply
    .code(401)
    .header('www-authenticate', 'Bearer realm="riskd"')
    .send(
      errorBody(
        401,
        'UNAUTHORIZED',
        `this route needs a valid ${role === 'admin' ? 'admin' : 'trader or admin'} token (POST /api/v1/auth/login)`,
      ),
    );
}

/**
 * The `onRequest` hook of the control API: it runs before the body is even read, so a missing or
 * wrong token is a 401 and a trader token on an admin route a 403, whatever the body.
 *
 * - public routes: no check (a token, even a bad one, is ignored);
 * - trader routes: a valid trader or admin token; without a token, allowed only when the trader
 *   credential is `none` and the caller is local (a token that is present must be valid);
 * - admin routes: a valid admin token.
 */
export function createAuthHook(controlPlane: ControlPlane, tokens: TokenStore) {
  return async function authHook(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | void> {
    const role = routeRoleOf(request);
    if (role === undefined || role === 'public') return;
    const token = bearerToken(request);
    if (token === null && role === 'trader' && isLoopback(request.ip)) {
      if ((await controlPlane.credentialState('trader')) === 'none') {
        actors.set(request, { role: 'trader', via: 'local', ip: request.ip, tokenId: null });
        return;
      }
    }
    const grant = token ? tokens.verify(token) : undefined;
    if (!grant) {
      request.log.info(
        { route: request.routeOptions.url, hadToken: token !== null },
        'request refused: no valid token',
      );
      return unauthorized(reply, role);
    }
    if (role === 'admin' && grant.role !== 'admin') {
      request.log.warn(
        { route: request.routeOptions.url, tokenId: grant.tokenId },
        'trader token on an admin route',
      );
      return reply.code(403).send(errorBody(403, 'FORBIDDEN', 'this route needs an admin token'));
    }
    actors.set(request, { role: grant.role, via: 'token', ip: request.ip, tokenId: grant.tokenId });
  };
}
