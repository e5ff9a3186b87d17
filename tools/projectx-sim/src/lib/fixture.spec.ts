import { describe, expect, it } from 'vitest';
import { FixtureError } from './errors.js';
import { defaultFixture, frontQuarter, parseFixture } from './fixture.js';

describe('fixture', () => {
  it.each([
    ['2026-11-26T15:00:00Z', 'Z', 2026],
    ['2026-12-09T23:59:00Z', 'Z', 2026], // roll is 8 days before the 18 Dec expiry
    ['2026-12-10T00:00:00Z', 'H', 2027],
    ['2027-01-15T00:00:00Z', 'H', 2027],
    ['2027-03-11T00:00:00Z', 'M', 2027], // expiry 19 Mar, roll 11 Mar
  ])('when the clock is %s then the front quarter is %s%d', (at, code, year) => {
    expect(frontQuarter(Date.parse(at))).toMatchObject({ code, year });
  });

  it('when the default fixture is built in December after the roll then the ids move to H27', () => {
    const ids = defaultFixture(Date.parse('2026-12-15T00:00:00Z')).contracts.map((c) => [c.id, c.name]);
    expect(ids).toEqual([
      ['CON.F.US.MNQ.H27', 'MNQH7'],
      ['CON.F.US.ENQ.H27', 'NQH7'],
      ['CON.F.US.EP.H27', 'ESH7'],
      ['CON.F.US.MES.H27', 'MESH7'],
    ]);
  });

  it('when the default fixture is validated then it passes', () => {
    const fixture = defaultFixture(Date.parse('2026-11-26T15:00:00Z'));
    expect(parseFixture(fixture)).toEqual(fixture);
  });

  it('when a fixture has several problems then every one is listed with its path', () => {
    const fixture = defaultFixture(Date.parse('2026-11-26T15:00:00Z')) as unknown as Record<
      string,
      unknown[]
    >;
    (fixture['accounts'] as Record<string, unknown>[])[0]!['canTrade'] = 'yes';
    (fixture['accounts'] as Record<string, unknown>[])[1]!['id'] = 70001;
    (fixture['contracts'] as Record<string, unknown>[])[0]!['price'] = { last: 21500.1 };
    (fixture['contracts'] as Record<string, unknown>[])[1]!['colour'] = 'blue';
    try {
      parseFixture(fixture);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(FixtureError);
      expect((err as FixtureError).code).toBe('FIXTURE_INVALID');
      expect((err as FixtureError).problems).toEqual([
        '$.accounts[0].canTrade: has an invalid value "yes"',
        '$.contracts[0].price.last: 21500.1 is not on the 0.25 tick grid',
        '$.contracts[1].colour: is not a known field',
        '$.accounts[].id: duplicate 70001',
      ]);
    }
  });

  it('when the top level is not an object or lacks users then it is rejected', () => {
    expect(() => parseFixture([])).toThrow(FixtureError);
    expect(() => parseFixture({ users: [], accounts: [], contracts: [] })).toThrow('needs at least one user');
  });
});
