import fs from 'node:fs';
import { FixtureError, SimulatorError } from './errors.js';
import { isTickAligned } from './format.js';

/** A login the simulator accepts on Auth/loginKey. */
export interface FixtureUser {
  userName: string;
  apiKey: string;
  /** Numeric user id put in the JWT `sub` claim. Default: 100001, 100002, … in order. */
  userId?: number;
  /**
   * When set, Auth/loginKey for this user answers this LoginErrorCode (e.g. 7 AgreementsNotSigned,
   * 9 ApiSubscriptionNotFound, 10 ApiKeyAuthenticationDisabled) even with the right key.
   */
  loginErrorCode?: number;
}

/** How bracket orders (stopLossBracket / takeProfitBracket) are treated for an account. */
export type BracketMode = 'position' | 'autoOco';

/** A trading account (TradingAccountModel plus simulator-only settings). */
export interface FixtureAccount {
  id: number;
  name: string;
  balance: number;
  canTrade: boolean;
  isVisible: boolean;
  simulated: boolean;
  /** Owner; default the fixture's first user. Other users get AccountNotFound. */
  userName?: string;
  /** Default `position` (the platform default): orders with brackets are rejected (errorCode 2). */
  bracketMode?: BracketMode;
  /** When true every order action answers AccountRejected (a live/follower account). Default false. */
  rejecting?: boolean;
}

/** Initial quote of a contract; bid/ask default to last and last + one tick. */
export interface FixturePrice {
  last: number;
  bid?: number;
  ask?: number;
}

/** A contract (ContractModel plus price, fees and walk settings). */
export interface FixtureContract {
  id: string;
  name: string;
  description: string;
  tickSize: number;
  tickValue: number;
  symbolId: string;
  activeContract: boolean;
  price: FixturePrice;
  /** Fees in dollars per contract per side (per fill lot). */
  feePerSide: number;
  /** Largest move of one random-walk step, in ticks. Default 2. */
  walkTicks?: number;
}

/** First ids of the counters (orders and trades are int64 on the wire, positions int32). */
export interface FixtureIds {
  order?: number;
  trade?: number;
  position?: number;
}

/** The simulator's starting world. */
export interface Fixture {
  users: FixtureUser[];
  accounts: FixtureAccount[];
  contracts: FixtureContract[];
  ids?: FixtureIds;
}

const MONTH_CODES = 'FGHJKMNQUVXZ';
const QUARTERLY_MONTHS = [3, 6, 9, 12];

/** The third Friday of a month (UTC date), the expiry of CME equity-index futures. */
function thirdFriday(year: number, month: number): number {
  const first = new Date(Date.UTC(year, month - 1, 1));
  const offset = (5 - first.getUTCDay() + 7) % 7;
  return Date.UTC(year, month - 1, 1 + offset + 14);
}

/**
 * The front quarterly month of the equity-index futures at an instant: the nearest of
 * Mar/Jun/Sep/Dec whose roll date (8 days before the third-Friday expiry) has not passed.
 */
export function frontQuarter(atMs: number): { year: number; month: number; code: string } {
  const at = new Date(atMs);
  let year = at.getUTCFullYear();
  for (let i = 0; i < 8; i++) {
    for (const month of QUARTERLY_MONTHS) {
      const roll = thirdFriday(year, month) - 8 * 86_400_000;
      if (atMs < roll) return { year, month, code: MONTH_CODES.charAt(month - 1) };
    }
    year += 1;
  }
  throw new SimulatorError('FIXTURE_INVALID', 'no front month found');
}

interface ProductSpec {
  ticker: string;
  root: string;
  description: string;
  tickSize: number;
  tickValue: number;
  last: number;
  feePerSide: number;
}

/** MNQ, NQ, ES, MES with the document's tick table and typical per-side fees. */
const DEFAULT_PRODUCTS: readonly ProductSpec[] = [
  {
    ticker: 'MNQ',
    root: 'MNQ',
    description: 'Micro E-mini Nasdaq-100',
    tickSize: 0.25,
    tickValue: 0.5,
    last: 21500,
    feePerSide: 0.37,
  },
  {
    ticker: 'NQ',
    root: 'ENQ',
    description: 'E-mini NASDAQ-100',
    tickSize: 0.25,
    tickValue: 5,
    last: 21500,
    feePerSide: 1.4,
  },
  {
    ticker: 'ES',
    root: 'EP',
    description: 'E-mini S&P 500',
    tickSize: 0.25,
    tickValue: 12.5,
    last: 6000,
    feePerSide: 1.4,
  },
  {
    ticker: 'MES',
    root: 'MES',
    description: 'Micro E-mini S&P 500',
    tickSize: 0.25,
    tickValue: 1.25,
    last: 6000,
    feePerSide: 0.37,
  },
];

/** A contract of the default products for a given quarter (`CON.F.US.ENQ.Z26`, `NQZ6`, `F.US.ENQ`). */
export function quarterlyContract(
  ticker: 'MNQ' | 'NQ' | 'ES' | 'MES',
  quarter: { year: number; code: string },
  activeContract = true,
): FixtureContract {
  const spec = DEFAULT_PRODUCTS.find((p) => p.ticker === ticker);
  if (!spec) throw new SimulatorError('FIXTURE_INVALID', `unknown product ${ticker}`);
  const yy = String(quarter.year % 100).padStart(2, '0');
  const monthName = MONTH_NAMES[MONTH_CODES.indexOf(quarter.code)] ?? quarter.code;
  return {
    id: `CON.F.US.${spec.root}.${quarter.code}${yy}`,
    name: `${spec.ticker}${quarter.code}${quarter.year % 10}`,
    description: `${spec.description}: ${monthName} ${quarter.year}`,
    tickSize: spec.tickSize,
    tickValue: spec.tickValue,
    symbolId: `F.US.${spec.root}`,
    activeContract,
    price: { last: spec.last },
    feePerSide: spec.feePerSide,
    walkTicks: 2,
  };
}

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * The built-in fixture: user `demo` / `demo-api-key`, two practice accounts, and the front-month
 * MNQ, NQ, ES and MES contracts relative to `atMs` (the simulator clock's start).
 */
export function defaultFixture(atMs: number): Fixture {
  const quarter = frontQuarter(atMs);
  return {
    users: [{ userName: 'demo', apiKey: 'demo-api-key', userId: 100001 }],
    accounts: [
      {
        id: 70001,
        name: 'PRAC-V2-100001-50001',
        balance: 50_000,
        canTrade: true,
        isVisible: true,
        simulated: true,
      },
      {
        id: 70002,
        name: 'PRAC-V2-100001-150001',
        balance: 150_000,
        canTrade: true,
        isVisible: true,
        simulated: true,
      },
    ],
    contracts: (['MNQ', 'NQ', 'ES', 'MES'] as const).map((t) => quarterlyContract(t, quarter)),
    ids: { order: 1_800_000_001, trade: 1_300_000_001, position: 500_001 },
  };
}

/** Reads and validates a fixture file (JSON). */
export function loadFixtureFile(file: string): Fixture {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new SimulatorError('FIXTURE_INVALID', `cannot read fixture ${file}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new SimulatorError('FIXTURE_INVALID', `fixture ${file} is not JSON`, { cause: err });
  }
  return parseFixture(json);
}

type Check = (value: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string' && v.length > 0;
const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const isPositive: Check = (v) => isNumber(v) && (v as number) > 0;
const isInt: Check = (v) => Number.isInteger(v);
const isBool: Check = (v) => typeof v === 'boolean';

function checkFields(
  problems: string[],
  where: string,
  obj: unknown,
  required: Record<string, Check>,
  optional: Record<string, Check> = {},
): obj is Record<string, unknown> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    problems.push(`${where}: must be an object`);
    return false;
  }
  const rec = obj as Record<string, unknown>;
  for (const [key, check] of Object.entries(required)) {
    if (!(key in rec)) problems.push(`${where}.${key}: is required`);
    else if (!check(rec[key]))
      problems.push(`${where}.${key}: has an invalid value ${JSON.stringify(rec[key])}`);
  }
  for (const [key, check] of Object.entries(optional)) {
    if (key in rec && rec[key] !== undefined && !check(rec[key])) {
      problems.push(`${where}.${key}: has an invalid value ${JSON.stringify(rec[key])}`);
    }
  }
  for (const key of Object.keys(rec)) {
    if (!(key in required) && !(key in optional)) problems.push(`${where}.${key}: is not a known field`);
  }
  return true;
}

/** Validates a fixture object (throws FixtureError listing every problem) and returns a copy. */
export function parseFixture(input: unknown): Fixture {
  const problems: string[] = [];
  if (
    !checkFields(
      problems,
      '$',
      input,
      { users: Array.isArray, accounts: Array.isArray, contracts: Array.isArray },
      { ids: (v) => typeof v === 'object' && v !== null },
    )
  ) {
    throw new FixtureError(problems);
  }
  const fixture = structuredClone(input) as unknown as Fixture;
  if (problems.length > 0) throw new FixtureError(problems);
  if (fixture.users.length === 0) problems.push('$.users: needs at least one user');
  fixture.users.forEach((u, i) =>
    checkFields(
      problems,
      `$.users[${i}]`,
      u,
      { userName: isString, apiKey: isString },
      { userId: isInt, loginErrorCode: isInt },
    ),
  );
  fixture.accounts.forEach((a, i) =>
    checkFields(
      problems,
      `$.accounts[${i}]`,
      a,
      {
        id: isInt,
        name: isString,
        balance: isNumber,
        canTrade: isBool,
        isVisible: isBool,
        simulated: isBool,
      },
      {
        userName: isString,
        bracketMode: (v) => v === 'position' || v === 'autoOco',
        rejecting: isBool,
      },
    ),
  );
  fixture.contracts.forEach((c, i) => {
    const where = `$.contracts[${i}]`;
    if (
      checkFields(
        problems,
        where,
        c,
        {
          id: isString,
          name: isString,
          description: (v) => typeof v === 'string',
          tickSize: isPositive,
          tickValue: isPositive,
          symbolId: isString,
          activeContract: isBool,
          price: (v) => typeof v === 'object' && v !== null,
          feePerSide: (v) => isNumber(v) && (v as number) >= 0,
        },
        { walkTicks: (v) => isInt(v) && (v as number) >= 0 },
      ) &&
      typeof c.price === 'object' &&
      c.price !== null
    ) {
      checkFields(
        problems,
        `${where}.price`,
        c.price,
        { last: isPositive },
        { bid: isPositive, ask: isPositive },
      );
      for (const key of ['last', 'bid', 'ask'] as const) {
        const value = c.price[key];
        if (isPositive(value) && isPositive(c.tickSize) && !isTickAligned(value as number, c.tickSize)) {
          problems.push(`${where}.price.${key}: ${value} is not on the ${c.tickSize} tick grid`);
        }
      }
    }
  });
  if (fixture.ids) {
    checkFields(
      problems,
      '$.ids',
      fixture.ids,
      {},
      { order: isPositive, trade: isPositive, position: isPositive },
    );
  }
  const userNames = new Set(fixture.users.map((u) => u.userName?.toLowerCase()));
  fixture.accounts.forEach((a, i) => {
    if (a.userName !== undefined && !userNames.has(a.userName.toLowerCase())) {
      problems.push(`$.accounts[${i}].userName: no user ${a.userName}`);
    }
  });
  const dup = (values: readonly unknown[], where: string) => {
    const seen = new Set<unknown>();
    for (const v of values) {
      if (seen.has(v)) problems.push(`${where}: duplicate ${JSON.stringify(v)}`);
      seen.add(v);
    }
  };
  dup(
    fixture.users.map((u) => u.userName?.toLowerCase()),
    '$.users[].userName',
  );
  dup(
    fixture.accounts.map((a) => a.id),
    '$.accounts[].id',
  );
  dup(
    fixture.contracts.map((c) => c.id),
    '$.contracts[].id',
  );
  if (problems.length > 0) throw new FixtureError(problems);
  return fixture;
}
