import { parseOptions, UsageError } from './options';

const parse = (...argv: string[]) => parseOptions(argv, {});

describe('parseOptions', () => {
  it('shows one trace by ID, lower-cased, against the default Jaeger', () => {
    expect(parse('C2F3B870455B384ADC8A2CB60B564925', '--critical-path')).toMatchObject({
      mode: 'show',
      traceId: 'c2f3b870455b384adc8a2cb60b564925',
      criticalPath: true,
      jaegerUrl: 'http://127.0.0.1:16686',
    });
    expect(parseOptions(['--last'], { TRACESHOP_JAEGER_URL: 'http://jaeger:16686' })).toMatchObject({ mode: 'show', last: true, jaegerUrl: 'http://jaeger:16686' });
    expect(parse('abc', '--diff', 'DEF', '--wait')).toMatchObject({ traceId: 'abc', diff: 'def', wait: true });
  });

  it('searches as soon as a search option is given, gateway by default', () => {
    const o = parse('--min', '1s', '--tag', 'traceshop.order.id=42', '--tag', 'http.route=/a=b', '--error', '--since', '10m');
    expect(o.mode).toBe('search');
    expect(o.search).toEqual({
      service: 'gateway',
      operation: undefined,
      minDuration: '1s',
      maxDuration: undefined,
      error: true,
      tags: { 'traceshop.order.id': '42', 'http.route': '/a=b' },
      limit: 20,
      since: '10m',
      sinceUs: 600_000_000,
    });
    expect(parse('--service', 'payment', '--limit', '3').search).toMatchObject({ service: 'payment', limit: 3 });
  });

  it.each([
    [[], /which trace/],
    [['xyz'], /trace ID must be up to 32 hex digits, not "xyz"/],
    [['abc', 'def'], /one trace ID at a time/],
    [['abc', '--last'], /not both/],
    [['abc', '--service', 'cart'], /search options .* list traces/],
    [['--service', 'cart', '--summary'], /about one trace/],
    [['--min', 'fast'], /--min takes a duration like 1s/],
    [['--limit', '0'], /--limit must be a whole number of 1 or more/],
    [['--tag', 'novalue'], /--tag takes key=value/],
    [['abc', '--jaeger-url', 'not a url'], /not a URL/],
    [['--nope'], /Unknown option '--nope'/],
    [['--stats', '--last'], /--stats counts every span/],
    [['--stats', '--interval', '0'], /--interval must be a whole number/],
    [['--stats', '--metrics-url', 'nope'], /not a URL: "nope"/],
  ])('refuses %j', (argv, message) => {
    expect(() => parse(...argv)).toThrow(UsageError);
    expect(() => parse(...argv)).toThrow(message);
  });

  it('reads the span metrics with --stats, every 10 s by default', () => {
    expect(parse('--stats')).toMatchObject({ mode: 'stats', stats: { metricsUrl: 'http://127.0.0.1:8889/metrics', intervalS: 10 } });
    expect(parseOptions(['--stats', '--interval', '5'], { TRACESHOP_SPANMETRICS_URL: 'http://127.0.0.1:26104/metrics' })).toMatchObject({
      mode: 'stats',
      stats: { metricsUrl: 'http://127.0.0.1:26104/metrics', intervalS: 5 },
    });
  });

  it('answers --help whatever else is given', () => {
    expect(parse('--help').mode).toBe('help');
    expect(parse('abc', '--help').mode).toBe('help');
  });
});
