import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODES_BY_PATH, type RunningSimulator } from '../src/index.js';
import { ACCOUNT, MNQ, control, login, post, startTestSim, type HttpAnswer } from './helpers.js';

/**
 * The conformance matrix: every errorCode of PROJECTX-GATEWAY.md §4.2 (and the Login / Validate /
 * Logout enums of §2 it refers to) is reached by a named input or control, over HTTP, as an
 * HTTP 200 envelope with `success: false` (or `true` for code 0).
 */
interface Ctx {
  sim: RunningSimulator;
  token: string;
  call(endpoint: string, body?: unknown, token?: string | null): Promise<HttpAnswer>;
  ctl(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<HttpAnswer>;
}

interface Case {
  endpoint: string;
  code: number;
  /** The enum member's name, as in the document. */
  name: string;
  /** The named input or control that reaches it. */
  via: string;
  run(ctx: Ctx): Promise<HttpAnswer>;
}

const FOREIGN_ACCOUNT = 99999;
const UNKNOWN_CONTRACT = 'CON.F.US.XYZ.Z26';
const INACTIVE = 'CON.F.US.MNQ.U26';

const inactiveContract = {
  id: INACTIVE,
  name: 'MNQU6',
  description: 'Micro E-mini Nasdaq-100: September 2026',
  tickSize: 0.25,
  tickValue: 0.5,
  symbolId: 'F.US.MNQ',
  activeContract: false,
  price: { last: 21000 },
  feePerSide: 0.37,
};

async function forced(ctx: Ctx, endpoint: string, code: number, body?: unknown, token?: string | null) {
  const fault = await ctx.ctl('POST', '/faults/rest', { path: endpoint, kind: 'errorCode', errorCode: code });
  expect(fault.status).toBe(201);
  return ctx.call(endpoint, body, token);
}

async function openLong(ctx: Ctx, size = 2): Promise<void> {
  const res = await ctx.call('Order/place', { accountId: ACCOUNT, contractId: MNQ, type: 2, side: 0, size });
  expect(res.body['success']).toBe(true);
}

async function restingOrder(ctx: Ctx): Promise<number> {
  const res = await ctx.call('Order/place', {
    accountId: ACCOUNT,
    contractId: MNQ,
    type: 1,
    side: 0,
    size: 1,
    limitPrice: 21000,
  });
  return res.body['orderId'] as number;
}

const place = { accountId: ACCOUNT, contractId: MNQ, type: 2, side: 0, size: 1 };
const bars = {
  contractId: MNQ,
  live: false,
  startTime: '2026-11-26T14:00:00Z',
  endTime: '2026-11-26T15:00:00Z',
  unit: 2,
  unitNumber: 1,
  limit: 10,
  includePartialBar: false,
};
const login1 = { userName: 'demo', apiKey: 'demo-api-key' };

const CASES: Case[] = [
  // ---- Auth/loginKey (LoginErrorCode) ----
  {
    endpoint: 'Auth/loginKey',
    code: 0,
    name: 'Success',
    via: 'the right key',
    run: (c) => c.call('Auth/loginKey', login1, null),
  },
  {
    endpoint: 'Auth/loginKey',
    code: 1,
    name: 'UserNotFound',
    via: 'an unknown userName',
    run: (c) => c.call('Auth/loginKey', { userName: 'nobody', apiKey: 'x' }, null),
  },
  {
    endpoint: 'Auth/loginKey',
    code: 2,
    name: 'PasswordVerificationFailed',
    via: 'a forced errorCode fault',
    run: (c) => forced(c, 'Auth/loginKey', 2, login1, null),
  },
  {
    endpoint: 'Auth/loginKey',
    code: 3,
    name: 'InvalidCredentials',
    via: 'a wrong apiKey',
    run: (c) => c.call('Auth/loginKey', { userName: 'demo', apiKey: 'wrong' }, null),
  },
  {
    endpoint: 'Auth/loginKey',
    code: 4,
    name: 'AppNotFound',
    via: 'a forced errorCode fault',
    run: (c) => forced(c, 'Auth/loginKey', 4, login1, null),
  },
  {
    endpoint: 'Auth/loginKey',
    code: 5,
    name: 'AppVerificationFailed',
    via: 'a forced errorCode fault',
    run: (c) => forced(c, 'Auth/loginKey', 5, login1, null),
  },
  {
    endpoint: 'Auth/loginKey',
    code: 6,
    name: 'InvalidDevice',
    via: 'a forced errorCode fault',
    run: (c) => forced(c, 'Auth/loginKey', 6, login1, null),
  },
  ...([7, 9, 10] as const).map((code): Case => ({
    endpoint: 'Auth/loginKey',
    code,
    name: (
      { 7: 'AgreementsNotSigned', 9: 'ApiSubscriptionNotFound', 10: 'ApiKeyAuthenticationDisabled' } as const
    )[code],
    via: `a user created with loginErrorCode ${code}`,
    run: async (c) => {
      expect(
        (await c.ctl('POST', '/users', { userName: `u${code}`, apiKey: 'k', loginErrorCode: code })).status,
      ).toBe(201);
      return c.call('Auth/loginKey', { userName: `u${code}`, apiKey: 'k' }, null);
    },
  })),
  {
    endpoint: 'Auth/loginKey',
    code: 8,
    name: 'UnknownError',
    via: 'a forced errorCode fault',
    run: (c) => forced(c, 'Auth/loginKey', 8, login1, null),
  },
  // ---- Auth/validate (ValidateErrorCode) ----
  {
    endpoint: 'Auth/validate',
    code: 0,
    name: 'Success',
    via: 'a valid token',
    run: (c) => c.call('Auth/validate'),
  },
  {
    endpoint: 'Auth/validate',
    code: 1,
    name: 'InvalidSession',
    via: 'a token the simulator never issued',
    run: (c) => c.call('Auth/validate', undefined, 'not-a-token'),
  },
  {
    endpoint: 'Auth/validate',
    code: 2,
    name: 'SessionNotFound',
    via: 'a logged-out token',
    run: async (c) => {
      await c.call('Auth/logout');
      return c.call('Auth/validate');
    },
  },
  {
    endpoint: 'Auth/validate',
    code: 3,
    name: 'ExpiredToken',
    via: 'POST /control/auth/expire',
    run: async (c) => {
      await c.ctl('POST', '/auth/expire', {});
      return c.call('Auth/validate');
    },
  },
  {
    endpoint: 'Auth/validate',
    code: 4,
    name: 'UnknownError',
    via: 'a forced errorCode fault',
    run: (c) => forced(c, 'Auth/validate', 4),
  },
  // ---- Auth/logout (LogoutErrorCode) ----
  {
    endpoint: 'Auth/logout',
    code: 0,
    name: 'Success',
    via: 'a valid token',
    run: (c) => c.call('Auth/logout'),
  },
  {
    endpoint: 'Auth/logout',
    code: 1,
    name: 'InvalidSession',
    via: 'a token already logged out',
    run: async (c) => {
      await c.call('Auth/logout');
      return c.call('Auth/logout');
    },
  },
  {
    endpoint: 'Auth/logout',
    code: 2,
    name: 'UnknownError',
    via: 'a forced errorCode fault',
    run: (c) => forced(c, 'Auth/logout', 2),
  },
  // ---- searches with only Success ----
  {
    endpoint: 'Account/search',
    code: 0,
    name: 'Success',
    via: 'onlyActiveAccounts true',
    run: (c) => c.call('Account/search', { onlyActiveAccounts: true }),
  },
  {
    endpoint: 'Contract/search',
    code: 0,
    name: 'Success',
    via: 'a search text',
    run: (c) => c.call('Contract/search', { searchText: 'ES', live: false }),
  },
  {
    endpoint: 'Contract/available',
    code: 0,
    name: 'Success',
    via: 'live false',
    run: (c) => c.call('Contract/available', { live: false }),
  },
  // ---- Contract/searchById ----
  {
    endpoint: 'Contract/searchById',
    code: 0,
    name: 'Success',
    via: 'a known id',
    run: (c) => c.call('Contract/searchById', { contractId: MNQ }),
  },
  {
    endpoint: 'Contract/searchById',
    code: 1,
    name: 'ContractNotFound',
    via: 'an unknown id',
    run: (c) => c.call('Contract/searchById', { contractId: UNKNOWN_CONTRACT }),
  },
  // ---- History/retrieveBars ----
  {
    endpoint: 'History/retrieveBars',
    code: 0,
    name: 'Success',
    via: 'a valid request',
    run: (c) => c.call('History/retrieveBars', bars),
  },
  {
    endpoint: 'History/retrieveBars',
    code: 1,
    name: 'ContractNotFound',
    via: 'an unknown contract',
    run: (c) => c.call('History/retrieveBars', { ...bars, contractId: UNKNOWN_CONTRACT }),
  },
  {
    endpoint: 'History/retrieveBars',
    code: 2,
    name: 'UnitInvalid',
    via: 'unit 7 (Tick) without the tickBars variant',
    run: (c) => c.call('History/retrieveBars', { ...bars, unit: 7 }),
  },
  {
    endpoint: 'History/retrieveBars',
    code: 3,
    name: 'UnitNumberInvalid',
    via: 'unitNumber 0',
    run: (c) => c.call('History/retrieveBars', { ...bars, unitNumber: 0 }),
  },
  {
    endpoint: 'History/retrieveBars',
    code: 4,
    name: 'LimitInvalid',
    via: 'limit 20001',
    run: (c) => c.call('History/retrieveBars', { ...bars, limit: 20_001 }),
  },
  // ---- Order/search, Order/searchOpen ----
  {
    endpoint: 'Order/search',
    code: 0,
    name: 'Success',
    via: 'an own account',
    run: (c) => c.call('Order/search', { accountId: ACCOUNT, startTimestamp: '2026-11-01T00:00:00Z' }),
  },
  {
    endpoint: 'Order/search',
    code: 1,
    name: 'AccountNotFound',
    via: 'an unknown account',
    run: (c) =>
      c.call('Order/search', { accountId: FOREIGN_ACCOUNT, startTimestamp: '2026-11-01T00:00:00Z' }),
  },
  {
    endpoint: 'Order/searchOpen',
    code: 0,
    name: 'Success',
    via: 'an own account',
    run: (c) => c.call('Order/searchOpen', { accountId: ACCOUNT }),
  },
  {
    endpoint: 'Order/searchOpen',
    code: 1,
    name: 'AccountNotFound',
    via: "another user's account",
    run: async (c) => {
      await c.ctl('POST', '/users', { userName: 'other', apiKey: 'k' });
      await c.ctl('POST', '/accounts', {
        id: 80001,
        name: 'OTHER',
        balance: 1,
        canTrade: true,
        isVisible: true,
        simulated: true,
        userName: 'other',
      });
      return c.call('Order/searchOpen', { accountId: 80001 });
    },
  },
  // ---- Order/place ----
  {
    endpoint: 'Order/place',
    code: 0,
    name: 'Success',
    via: 'a market order',
    run: (c) => c.call('Order/place', place),
  },
  {
    endpoint: 'Order/place',
    code: 1,
    name: 'AccountNotFound',
    via: 'an unknown account',
    run: (c) => c.call('Order/place', { ...place, accountId: FOREIGN_ACCOUNT }),
  },
  {
    endpoint: 'Order/place',
    code: 2,
    name: 'OrderRejected',
    via: 'size 0',
    run: (c) => c.call('Order/place', { ...place, size: 0 }),
  },
  {
    endpoint: 'Order/place',
    code: 3,
    name: 'InsufficientFunds',
    via: 'PATCH /control/accounts/:id {balance: 0}',
    run: async (c) => {
      await c.ctl('PATCH', `/accounts/${ACCOUNT}`, { balance: 0 });
      return c.call('Order/place', place);
    },
  },
  {
    endpoint: 'Order/place',
    code: 4,
    name: 'AccountViolation',
    via: 'PATCH /control/accounts/:id {canTrade: false}',
    run: async (c) => {
      await c.ctl('PATCH', `/accounts/${ACCOUNT}`, { canTrade: false });
      return c.call('Order/place', place);
    },
  },
  {
    endpoint: 'Order/place',
    code: 5,
    name: 'OutsideTradingHours',
    via: 'POST /control/market {open: false}',
    run: async (c) => {
      await c.ctl('POST', '/market', { open: false });
      return c.call('Order/place', place);
    },
  },
  {
    endpoint: 'Order/place',
    code: 6,
    name: 'OrderPending',
    via: 'a forced errorCode fault',
    run: (c) => forced(c, 'Order/place', 6, place),
  },
  {
    endpoint: 'Order/place',
    code: 7,
    name: 'UnknownError',
    via: 'a forced errorCode fault',
    run: (c) => forced(c, 'Order/place', 7, place),
  },
  {
    endpoint: 'Order/place',
    code: 8,
    name: 'ContractNotFound',
    via: 'an unknown contract',
    run: (c) => c.call('Order/place', { ...place, contractId: UNKNOWN_CONTRACT }),
  },
  {
    endpoint: 'Order/place',
    code: 9,
    name: 'ContractNotActive',
    via: 'POST /control/contracts with activeContract false',
    run: async (c) => {
      expect((await c.ctl('POST', '/contracts', inactiveContract)).status).toBe(201);
      return c.call('Order/place', { ...place, contractId: INACTIVE });
    },
  },
  {
    endpoint: 'Order/place',
    code: 10,
    name: 'AccountRejected',
    via: 'PATCH /control/accounts/:id {rejecting: true}',
    run: async (c) => {
      await c.ctl('PATCH', `/accounts/${ACCOUNT}`, { rejecting: true });
      return c.call('Order/place', place);
    },
  },
  // ---- Order/modify ----
  {
    endpoint: 'Order/modify',
    code: 0,
    name: 'Success',
    via: 'a new limit price',
    run: async (c) =>
      c.call('Order/modify', { accountId: ACCOUNT, orderId: await restingOrder(c), limitPrice: 20999 }),
  },
  {
    endpoint: 'Order/modify',
    code: 1,
    name: 'AccountNotFound',
    via: 'an unknown account',
    run: async (c) =>
      c.call('Order/modify', { accountId: FOREIGN_ACCOUNT, orderId: await restingOrder(c), size: 2 }),
  },
  {
    endpoint: 'Order/modify',
    code: 2,
    name: 'OrderNotFound',
    via: 'an unknown order id',
    run: (c) => c.call('Order/modify', { accountId: ACCOUNT, orderId: 42, size: 2 }),
  },
  {
    endpoint: 'Order/modify',
    code: 3,
    name: 'Rejected',
    via: 'a cancelled order',
    run: async (c) => {
      const orderId = await restingOrder(c);
      await c.call('Order/cancel', { accountId: ACCOUNT, orderId });
      return c.call('Order/modify', { accountId: ACCOUNT, orderId, size: 2 });
    },
  },
  {
    endpoint: 'Order/modify',
    code: 4,
    name: 'Pending',
    via: 'a forced errorCode fault',
    run: async (c) =>
      forced(c, 'Order/modify', 4, { accountId: ACCOUNT, orderId: await restingOrder(c), size: 2 }),
  },
  {
    endpoint: 'Order/modify',
    code: 5,
    name: 'UnknownError',
    via: 'a forced errorCode fault',
    run: async (c) =>
      forced(c, 'Order/modify', 5, { accountId: ACCOUNT, orderId: await restingOrder(c), size: 2 }),
  },
  {
    endpoint: 'Order/modify',
    code: 6,
    name: 'AccountRejected',
    via: 'PATCH /control/accounts/:id {rejecting: true}',
    run: async (c) => {
      const orderId = await restingOrder(c);
      await c.ctl('PATCH', `/accounts/${ACCOUNT}`, { rejecting: true });
      return c.call('Order/modify', { accountId: ACCOUNT, orderId, size: 2 });
    },
  },
  {
    endpoint: 'Order/modify',
    code: 7,
    name: 'ContractNotFound',
    via: 'a forced errorCode fault',
    run: async (c) =>
      forced(c, 'Order/modify', 7, { accountId: ACCOUNT, orderId: await restingOrder(c), size: 2 }),
  },
  // ---- Order/cancel ----
  {
    endpoint: 'Order/cancel',
    code: 0,
    name: 'Success',
    via: 'a working order',
    run: async (c) => c.call('Order/cancel', { accountId: ACCOUNT, orderId: await restingOrder(c) }),
  },
  {
    endpoint: 'Order/cancel',
    code: 1,
    name: 'AccountNotFound',
    via: 'an unknown account',
    run: async (c) => c.call('Order/cancel', { accountId: FOREIGN_ACCOUNT, orderId: await restingOrder(c) }),
  },
  {
    endpoint: 'Order/cancel',
    code: 2,
    name: 'OrderNotFound',
    via: 'an unknown order id',
    run: (c) => c.call('Order/cancel', { accountId: ACCOUNT, orderId: 42 }),
  },
  {
    endpoint: 'Order/cancel',
    code: 3,
    name: 'Rejected',
    via: 'a filled order',
    run: async (c) => {
      const res = await c.call('Order/place', place);
      return c.call('Order/cancel', { accountId: ACCOUNT, orderId: res.body['orderId'] });
    },
  },
  {
    endpoint: 'Order/cancel',
    code: 4,
    name: 'Pending',
    via: 'a forced errorCode fault',
    run: async (c) => forced(c, 'Order/cancel', 4, { accountId: ACCOUNT, orderId: await restingOrder(c) }),
  },
  {
    endpoint: 'Order/cancel',
    code: 5,
    name: 'UnknownError',
    via: 'a forced errorCode fault',
    run: async (c) => forced(c, 'Order/cancel', 5, { accountId: ACCOUNT, orderId: await restingOrder(c) }),
  },
  {
    endpoint: 'Order/cancel',
    code: 6,
    name: 'AccountRejected',
    via: 'PATCH /control/accounts/:id {simulated: false} (a live account)',
    run: async (c) => {
      const orderId = await restingOrder(c);
      await c.ctl('PATCH', `/accounts/${ACCOUNT}`, { simulated: false });
      return c.call('Order/cancel', { accountId: ACCOUNT, orderId });
    },
  },
  // ---- Position/searchOpen ----
  {
    endpoint: 'Position/searchOpen',
    code: 0,
    name: 'Success',
    via: 'an own account',
    run: (c) => c.call('Position/searchOpen', { accountId: ACCOUNT }),
  },
  {
    endpoint: 'Position/searchOpen',
    code: 1,
    name: 'AccountNotFound',
    via: 'an unknown account',
    run: (c) => c.call('Position/searchOpen', { accountId: FOREIGN_ACCOUNT }),
  },
  // ---- Position/closeContract ----
  {
    endpoint: 'Position/closeContract',
    code: 0,
    name: 'Success',
    via: 'an open position',
    run: async (c) => (
      await openLong(c),
      c.call('Position/closeContract', { accountId: ACCOUNT, contractId: MNQ })
    ),
  },
  {
    endpoint: 'Position/closeContract',
    code: 1,
    name: 'AccountNotFound',
    via: 'an unknown account',
    run: (c) => c.call('Position/closeContract', { accountId: FOREIGN_ACCOUNT, contractId: MNQ }),
  },
  {
    endpoint: 'Position/closeContract',
    code: 2,
    name: 'PositionNotFound',
    via: 'no open position',
    run: (c) => c.call('Position/closeContract', { accountId: ACCOUNT, contractId: MNQ }),
  },
  {
    endpoint: 'Position/closeContract',
    code: 3,
    name: 'ContractNotFound',
    via: 'an unknown contract',
    run: (c) => c.call('Position/closeContract', { accountId: ACCOUNT, contractId: UNKNOWN_CONTRACT }),
  },
  {
    endpoint: 'Position/closeContract',
    code: 4,
    name: 'ContractNotActive',
    via: 'PATCH /control/contracts/:id {activeContract: false}',
    run: async (c) => {
      await openLong(c);
      await c.ctl('PATCH', `/contracts/${MNQ}`, { activeContract: false });
      return c.call('Position/closeContract', { accountId: ACCOUNT, contractId: MNQ });
    },
  },
  {
    endpoint: 'Position/closeContract',
    code: 5,
    name: 'OrderRejected',
    via: 'POST /control/faults/reject-closes',
    run: async (c) => {
      await openLong(c);
      await c.ctl('POST', '/faults/reject-closes', { count: 1 });
      return c.call('Position/closeContract', { accountId: ACCOUNT, contractId: MNQ });
    },
  },
  {
    endpoint: 'Position/closeContract',
    code: 6,
    name: 'OrderPending',
    via: 'a forced errorCode fault',
    run: async (c) => (
      await openLong(c),
      forced(c, 'Position/closeContract', 6, { accountId: ACCOUNT, contractId: MNQ })
    ),
  },
  {
    endpoint: 'Position/closeContract',
    code: 7,
    name: 'UnknownError',
    via: 'a forced errorCode fault',
    run: async (c) => (
      await openLong(c),
      forced(c, 'Position/closeContract', 7, { accountId: ACCOUNT, contractId: MNQ })
    ),
  },
  {
    endpoint: 'Position/closeContract',
    code: 8,
    name: 'AccountRejected',
    via: 'PATCH /control/accounts/:id {rejecting: true}',
    run: async (c) => {
      await openLong(c);
      await c.ctl('PATCH', `/accounts/${ACCOUNT}`, { rejecting: true });
      return c.call('Position/closeContract', { accountId: ACCOUNT, contractId: MNQ });
    },
  },
  // ---- Position/partialCloseContract ----
  {
    endpoint: 'Position/partialCloseContract',
    code: 0,
    name: 'Success',
    via: 'size 1 of 2',
    run: async (c) => (
      await openLong(c),
      c.call('Position/partialCloseContract', { accountId: ACCOUNT, contractId: MNQ, size: 1 })
    ),
  },
  {
    endpoint: 'Position/partialCloseContract',
    code: 1,
    name: 'AccountNotFound',
    via: 'an unknown account',
    run: (c) =>
      c.call('Position/partialCloseContract', { accountId: FOREIGN_ACCOUNT, contractId: MNQ, size: 1 }),
  },
  {
    endpoint: 'Position/partialCloseContract',
    code: 2,
    name: 'PositionNotFound',
    via: 'no open position',
    run: (c) => c.call('Position/partialCloseContract', { accountId: ACCOUNT, contractId: MNQ, size: 1 }),
  },
  {
    endpoint: 'Position/partialCloseContract',
    code: 3,
    name: 'ContractNotFound',
    via: 'an unknown contract',
    run: (c) =>
      c.call('Position/partialCloseContract', { accountId: ACCOUNT, contractId: UNKNOWN_CONTRACT, size: 1 }),
  },
  {
    endpoint: 'Position/partialCloseContract',
    code: 4,
    name: 'ContractNotActive',
    via: 'PATCH /control/contracts/:id {activeContract: false}',
    run: async (c) => {
      await openLong(c);
      await c.ctl('PATCH', `/contracts/${MNQ}`, { activeContract: false });
      return c.call('Position/partialCloseContract', { accountId: ACCOUNT, contractId: MNQ, size: 1 });
    },
  },
  {
    endpoint: 'Position/partialCloseContract',
    code: 5,
    name: 'InvalidCloseSize',
    via: 'size 3 of 2',
    run: async (c) => (
      await openLong(c),
      c.call('Position/partialCloseContract', { accountId: ACCOUNT, contractId: MNQ, size: 3 })
    ),
  },
  {
    endpoint: 'Position/partialCloseContract',
    code: 6,
    name: 'OrderRejected',
    via: 'POST /control/market {open: false} (market closed)',
    run: async (c) => {
      await openLong(c);
      await c.ctl('POST', '/market', { open: false, contractId: MNQ });
      return c.call('Position/partialCloseContract', { accountId: ACCOUNT, contractId: MNQ, size: 1 });
    },
  },
  {
    endpoint: 'Position/partialCloseContract',
    code: 7,
    name: 'OrderPending',
    via: 'a forced errorCode fault',
    run: async (c) => (
      await openLong(c),
      forced(c, 'Position/partialCloseContract', 7, { accountId: ACCOUNT, contractId: MNQ, size: 1 })
    ),
  },
  {
    endpoint: 'Position/partialCloseContract',
    code: 8,
    name: 'UnknownError',
    via: 'a forced errorCode fault',
    run: async (c) => (
      await openLong(c),
      forced(c, 'Position/partialCloseContract', 8, { accountId: ACCOUNT, contractId: MNQ, size: 1 })
    ),
  },
  {
    endpoint: 'Position/partialCloseContract',
    code: 9,
    name: 'AccountRejected',
    via: 'PATCH /control/accounts/:id {rejecting: true}',
    run: async (c) => {
      await openLong(c);
      await c.ctl('PATCH', `/accounts/${ACCOUNT}`, { rejecting: true });
      return c.call('Position/partialCloseContract', { accountId: ACCOUNT, contractId: MNQ, size: 1 });
    },
  },
  // ---- Trade/search ----
  {
    endpoint: 'Trade/search',
    code: 0,
    name: 'Success',
    via: 'an own account',
    run: (c) => c.call('Trade/search', { accountId: ACCOUNT, startTimestamp: '2026-11-01T00:00:00Z' }),
  },
  {
    endpoint: 'Trade/search',
    code: 1,
    name: 'AccountNotFound',
    via: 'an unknown account',
    run: (c) =>
      c.call('Trade/search', { accountId: FOREIGN_ACCOUNT, startTimestamp: '2026-11-01T00:00:00Z' }),
  },
];

describe('errorCode conformance matrix', () => {
  let sim: RunningSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('when the matrix is compared with the documented enums then every code of every endpoint has a case', () => {
    const expected = Object.entries(ERROR_CODES_BY_PATH).flatMap(([endpoint, table]) =>
      Object.entries(table).map(([name, code]) => `${endpoint} ${code} ${name}`),
    );
    const covered = CASES.map((c) => `${c.endpoint} ${c.code} ${c.name}`);
    expect([...covered].sort()).toEqual([...expected].sort());
  });

  for (const c of CASES) {
    it(`when ${c.via} then ${c.endpoint} answers errorCode ${c.code} ${c.name}`, async () => {
      sim = await startTestSim();
      const s = sim;
      const token = await login(s);
      const ctx: Ctx = {
        sim: s,
        token,
        call: (endpoint, body, tok) => post(s, `/api/${endpoint}`, body, tok === undefined ? token : tok),
        ctl: (method, path, body) => control(s, method, path, body),
      };
      const res = await c.run(ctx);
      expect(res.status).toBe(200);
      expect(res.body['errorCode']).toBe(c.code);
      expect(res.body['success']).toBe(c.code === 0);
      expect(Object.keys(res.body)).toEqual(expect.arrayContaining(['success', 'errorCode', 'errorMessage']));
    });
  }
});
