import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { painter } from './format';
import { collectTraceLogs, logSource, readLogs, renderLogs, traceLines } from './logs';

// Lines as pino writes them in the services (the pino instrumentation adds trace_id and span_id).
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const OTHER = '00f067aa0ba902b74bf92f3577b34da6';
const line = (o: Record<string, unknown>) => JSON.stringify({ level: 30, pid: 1, hostname: 'h', ...o });

describe('--logs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trace-logs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'gateway.log'),
    [
      line({ time: 1796137148500, msg: 'request completed', trace_id: TRACE, span_id: 'aaaaaaaaaaaaaaaa', req: { method: 'POST', url: '/api/checkout' }, res: { statusCode: 201 }, responseTime: 41 }),
      line({ time: 1796137148100, msg: 'other trace', trace_id: OTHER, span_id: 'bbbbbbbbbbbbbbbb' }),
      'not json at all, mentioning ' + TRACE,
      line({ time: 1796137148050, msg: 'no span' }),
    ].join('\n'),
  );
  writeFileSync(join(dir, 'payment.log'), line({ time: 1796137148300, level: 50, msg: 'charge failed', context: 'PaymentService', trace_id: TRACE, span_id: 'cccccccccccccccc', err: { message: 'provider unavailable' } }) + '\n');
  writeFileSync(join(dir, 'otelcol.log'), line({ time: 1796137148200, msg: 'not a service', trace_id: TRACE }) + '\n');

  it('reads only the services’ files of the folder, keeps only the trace’s JSON lines, oldest first', () => {
    const lines = collectTraceLogs(readLogs({ dir }), TRACE);
    expect(lines.map((l) => [l.service, l.level, l.msg, l.spanId])).toEqual([
      ['payment', 'ERROR', 'charge failed', 'cccccccccccccccc'],
      ['gateway', 'INFO', 'request completed', 'aaaaaaaaaaaaaaaa'],
    ]);
    expect(lines[0].detail).toBe('[PaymentService] error: provider unavailable');
    expect(lines[1].detail).toBe('POST /api/checkout → 201 in 41 ms');
  });

  it('renders one line each, errors in red on a terminal, and says so when there is none', () => {
    const text = renderLogs(collectTraceLogs(readLogs({ dir }), TRACE), painter(false));
    expect(text.split('\n')[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} UTC {2}payment {2}ERROR {2}charge failed {2}\[PaymentService\] error: provider unavailable {2}span cccccccccccccccc$/);
    expect(renderLogs(collectTraceLogs(readLogs({ dir }), TRACE), painter(true))).toContain('\u001b[31mERROR');
    expect(renderLogs(traceLines('gateway', '', TRACE), painter(false))).toMatch(/^no log line of this trace/);
  });

  it('looks in TRACESHOP_LOG_DIR first, then npm start’s folder, else at docker compose', () => {
    expect(logSource('/nowhere', { TRACESHOP_LOG_DIR: dir })).toEqual({ dir });
    expect(logSource('/nowhere', {})).toEqual({ compose: true });
  });
});
