// Unit: which findBindings strategy is cheaper at the provider's limits.
import { describe, expect, it } from 'vitest';
import { chooseStrategy, directoryRates } from '../src/domain/binding-discovery/index.ts';

const slack = (candidates: number, members: number, settings: Record<string, unknown> = {}) =>
  chooseStrategy({
    candidates,
    directoryEstimate: members,
    pageSize: 200,
    ...directoryRates('SLACK', settings),
  });

const lineWorks = (candidates: number, members: number) =>
  chooseStrategy({
    candidates,
    directoryEstimate: members,
    pageSize: 100,
    ...directoryRates('LINE_WORKS', {}),
  });

describe('chooseStrategy', () => {
  it('Slack: pages (Tier 2, 200 a page) unless few members are left to look up (Tier 3)', () => {
    expect(directoryRates('SLACK', {})).toEqual({ lookupPerMinute: 50, listPerMinute: 20 });
    expect(slack(300, 300)).toBe('DIRECTORY');
    expect(slack(1000, 1000)).toBe('DIRECTORY');
    // 300 members are 2 pages (6 s at 20/min): 5 lookups (6 s at 50/min) still go one by one.
    expect(slack(1, 300)).toBe('LOOKUP');
    expect(slack(5, 300)).toBe('LOOKUP');
    expect(slack(6, 300)).toBe('DIRECTORY');
    // 20 members left in a 5,000-member company: 24 s of lookups against 25 pages (75 s).
    expect(slack(20, 5000)).toBe('LOOKUP');
    // A workspace granted more Tier 3 calls looks up more before paging pays.
    expect(slack(40, 49, { tier3PerMinute: 1200 })).toBe('LOOKUP');
  });

  it('LINE WORKS: the same limit for both APIs, so it pages when members outnumber pages', () => {
    expect(directoryRates('LINE_WORKS', { rateLimitPerMinute: 60 })).toEqual({
      lookupPerMinute: 60,
      listPerMinute: 60,
    });
    expect(lineWorks(247, 248)).toBe('DIRECTORY');
    expect(lineWorks(2, 151)).toBe('LOOKUP');
    expect(lineWorks(1, 151)).toBe('LOOKUP');
    expect(lineWorks(3, 151)).toBe('DIRECTORY');
  });
});
