import type { FastifyReply, FastifyRequest } from 'fastify';
import type {
  AccountFilterQuery,
  AuditQuery,
  BrokerCredentialsRequest,
  ClearLockoutRequest,
  ClockRequest,
  EnforcementsQuery,
  LoginRequest,
  LoginResponse,
  LogsQuery,
  NotificationPreferencesWire,
  OpenApiDocument,
  PnlQuery,
  PutAccountsConfigRequest,
  PutRulesConfigRequest,
  RestartRequest,
  SelfLockoutRequest,
  StopRequest,
} from '@riskd/api-client';
import { actorOf } from './auth.js';
import { errorBody } from './api-error-body.js';
import type { ApiMetrics } from './api-metrics.js';
import type { ControlPlane } from './control-plane.js';
import type { LoginThrottle } from './login-throttle.js';
import type { TokenStore } from './token-store.js';

/** A route handler: what it returns is the response body (serialized through the route's schema). */
export type RouteHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** What the handlers work with. */
export interface RouteHandlerDeps {
  readonly controlPlane: ControlPlane;
  readonly tokens: TokenStore;
  readonly throttle: LoginThrottle;
  readonly metrics: ApiMetrics;
  readonly openApiDocument: OpenApiDocument;
}

/** The instruction an admin login answers with until a password exists. */
export const SET_PASSWORD_INSTRUCTION: Readonly<Record<'admin' | 'trader', string>> = {
  admin: 'no admin password is set: run `riskd admin set-password` on the machine running Riskd',
  trader: 'no trader password is set: the admin runs `riskd trader set-password`',
};

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The handlers of every route except the live stream, keyed by the route's `operationId`. Each
 * one is thin: it passes the validated input (and the actor, on trader and admin routes) to the
 * control plane and returns its answer.
 */
export function createRouteHandlers(deps: RouteHandlerDeps): Readonly<Record<string, RouteHandler>> {
  const { controlPlane: cp, tokens, throttle, metrics } = deps;
  const iso = (ms: number): string => new Date(ms).toISOString();

  return {
    async healthz(_request, reply) {
      const health = await cp.health();
      return reply.code(health.ready ? 200 : 503).send(health);
    },

    async metrics(_request, reply) {
      const daemon = await cp.metrics();
      const text = (daemon.endsWith('\n') || daemon === '' ? daemon : `${daemon}\n`) + metrics.render();
      return reply.type(PROMETHEUS_TEXT).send(text);
    },

    async openapi() {
      return deps.openApiDocument;
    },

    async login(request, reply) {
      const { role, password } = request.body as LoginRequest;
      const key = `${role}|${request.ip}`;
      const verdict = throttle.check(key);
      if (!verdict.allowed) {
        const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
        request.log.warn({ role, ip: request.ip, retryAfterSeconds: seconds }, 'login throttled');
        return reply
          .code(429)
          .header('retry-after', String(seconds))
          .send(
            errorBody(429, 'THROTTLED', `too many failed logins: retry in ${seconds} s`, {
              retryAfterSeconds: seconds,
            }),
          );
      }
      const reported = await cp.credentialState(role);
      // "No credential" is a trader-only choice; an admin without a password is simply not set up.
      const state = role === 'admin' && reported === 'none' ? 'unset' : reported;
      if (state === 'unset') {
        return reply.code(503).send(errorBody(503, 'PASSWORD_NOT_SET', SET_PASSWORD_INSTRUCTION[role]));
      }
      // With no trader credential the trader routes are open to local callers anyway; a token is
      // still handed out so a client written for "log in, then call" works in both set-ups.
      const ok = state === 'none' || (await cp.verifyPassword(role, password));
      if (!ok) {
        metrics.loginFailure(role);
        const delay = throttle.failure(key);
        request.log.warn({ role, ip: request.ip, nextDelayMs: delay }, 'login failed: wrong password');
        return reply.code(401).send(errorBody(401, 'UNAUTHORIZED', 'wrong password'));
      }
      throttle.success(key);
      const { token, grant } = tokens.issue(role);
      request.log.info({ role, ip: request.ip, tokenId: grant.tokenId }, 'login');
      const answer: LoginResponse = { token, expiresAt: iso(grant.expiresAt), role };
      return answer;
    },

    async status() {
      return cp.status();
    },

    async accounts() {
      return cp.accounts();
    },

    async account(request) {
      const { id } = request.params as { id: number };
      return cp.account(id);
    },

    async accountPnl(request) {
      const { id } = request.params as { id: number };
      return cp.pnlSeries(id, request.query as PnlQuery);
    },

    async rules(request) {
      return cp.rules(request.query as AccountFilterQuery);
    },

    async lockouts(request) {
      return cp.lockouts(request.query as AccountFilterQuery);
    },

    async enforcements(request) {
      return cp.enforcements(request.query as EnforcementsQuery);
    },

    async audit(request) {
      return cp.audit(request.query as AuditQuery);
    },

    async clockIn(request) {
      return cp.clockIn(request.body as ClockRequest, actorOf(request));
    },

    async clockOut(request) {
      return cp.clockOut(request.body as ClockRequest, actorOf(request));
    },

    async getNotifications() {
      return cp.getNotifications();
    },

    async putNotifications(request) {
      return cp.setNotifications(request.body as NotificationPreferencesWire, actorOf(request));
    },

    async selfLockout(request) {
      const actor = actorOf(request);
      const answer = await cp.selfLockout(request.body as SelfLockoutRequest, actor);
      request.log.info({ actor, lockouts: answer.lockouts.map((l) => l.id) }, 'self-lockout');
      return answer;
    },

    async getRulesConfig() {
      return cp.getRulesConfig();
    },

    async putRulesConfig(request) {
      return cp.putRulesConfig(request.body as PutRulesConfigRequest, actorOf(request));
    },

    async getAccountsConfig() {
      return cp.getAccountsConfig();
    },

    async putAccountsConfig(request) {
      return cp.putAccountsConfig(request.body as PutAccountsConfigRequest, actorOf(request));
    },

    async putBrokerCredentials(request) {
      return cp.setBrokerCredentials(request.body as BrokerCredentialsRequest, actorOf(request));
    },

    async clearLockout(request) {
      const { id } = request.params as { id: string };
      const { reason } = request.body as ClearLockoutRequest;
      const actor = actorOf(request);
      const answer = await cp.clearLockout(id, reason, actor);
      request.log.warn({ actor, lockoutId: id, reason }, 'lockout cleared by the admin');
      return answer;
    },

    async stop(request, reply) {
      const actor = actorOf(request);
      const input = request.body as StopRequest;
      request.log.warn(
        { actor, reason: input.reason, flatten: input.flatten ?? false, lock: input.lock ?? false },
        'admin stop',
      );
      return reply.code(202).send(await cp.stop(input, actor));
    },

    async restart(request, reply) {
      const actor = actorOf(request);
      const input = request.body as RestartRequest;
      request.log.warn({ actor, reason: input.reason }, 'admin restart');
      return reply.code(202).send(await cp.restart(input, actor));
    },

    async logs(request) {
      return cp.logs(request.query as LogsQuery);
    },
  };
}
