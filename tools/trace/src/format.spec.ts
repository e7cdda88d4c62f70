import { duration, percent, serviceStyles, signed, utc, wantsColor } from './format';

describe('format', () => {
  it('writes durations as people read them', () => {
    expect([312, 17_033, 178_827, 2_999_999, 12_500_000].map(duration)).toEqual(['0.3ms', '17.0ms', '178.8ms', '3.00s', '12.50s']);
    expect([2_700_000, -300].map(signed)).toEqual(['+2.70s', '-0.3ms']);
    expect(percent(0.8398)).toBe('84.0%');
    expect(utc(1796137148283000)).toBe('2026-12-01 14:59:08.283 UTC');
  });

  it('colours only a terminal, and never with NO_COLOR', () => {
    expect(wantsColor({ isTTY: true }, {})).toBe(true);
    expect(wantsColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColor({ isTTY: true }, { NO_COLOR: '' })).toBe(true); // no-color.org: set and not empty
    expect(wantsColor({ isTTY: false }, {})).toBe(false);
    expect(wantsColor({}, {})).toBe(false);
  });

  it('colours services by their sorted names, whatever order they come in', () => {
    const style = serviceStyles(['payment', 'gateway', 'auth', 'payment']);
    expect(['auth', 'gateway', 'payment'].map(style)).toEqual(['cyan', 'magenta', 'yellow']);
    expect(serviceStyles(['auth', 'payment', 'gateway'])('payment')).toBe('yellow');
  });
});
