import { TerminalLog } from './terminal';

// Lines as the gateway wrote them (headers shortened): Nest's start-up, an error with its stack,
// and pino-http's request lines.
const STARTED = '{"level":30,"time":1796144956517,"pid":1432,"hostname":"vm","context":"NestApplication","msg":"Nest application successfully started"}';
const ERROR =
  '{"level":50,"time":1796144957303,"pid":1432,"hostname":"vm","req":{"id":2,"method":"GET","url":"/api/products","headers":{"host":"127.0.0.1:26090"}},"context":"HttpErrorFilter","msg":"BadGatewayException: inventory is unavailable\\n    at ServiceClient.request (/work/main/dist/apps/gateway/main.js:1886:19)"}';
const request = (ms: number) =>
  `{"level":30,"time":1796144957498,"pid":1432,"hostname":"vm","req":{"id":3,"method":"POST","url":"/api/checkout","headers":{"authorization":"[Redacted]"}},"res":{"statusCode":201,"headers":{"content-type":"application/json"}},"responseTime":${ms},"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","trace_flags":"01","msg":"request completed"}`;
const WARNING = '{"level":40,"time":1796144957600,"pid":1432,"hostname":"vm","context":"AmqpService","msg":"RabbitMQ connection lost; reconnecting in 1 s"}';

const terminal = (color = false) => new TerminalLog({ color, slowRequestMs: 500 });

describe('TerminalLog', () => {
  it('shows each JSON log line as one short line: time, process, level, context and the first line of the message', () => {
    const t = terminal();
    expect(t.format('gateway', STARTED)).toMatch(/^gateway {10}\[\d\d:\d\d:\d\d\.\d{3}\] INFO: NestApplication: Nest application successfully started$/);
    const error = t.format('gateway', ERROR)!;
    expect(error).toMatch(/ERROR: HttpErrorFilter: BadGatewayException: inventory is unavailable$/);
    expect(error).not.toContain('\n');
  });

  it("leaves out Nest's module and route wiring (the log file has it)", () => {
    const mapped = '{"level":30,"time":1796144956515,"pid":1432,"hostname":"vm","context":"RouterExplorer","msg":"Mapped {/api/cart, GET} route"}';
    expect(terminal().format('gateway', mapped)).toBeUndefined();
  });

  it('shows a request as method, path, status, duration and trace, and never its headers', () => {
    const line = terminal().format('gateway', request(3012))!;
    expect(line).toMatch(/INFO: POST \/api\/checkout 201 3012 ms trace 4bf92f3577b34da6a3ce929d0e0e4736$/);
    expect(line).not.toMatch(/Redacted|authorization|content-type|span_id/);
  });

  it('once quiet, shows only warnings, errors and requests at least as slow as the threshold', () => {
    const t = terminal();
    t.quietDown();
    expect(t.format('gateway', STARTED)).toBeUndefined();
    expect(t.format('gateway', request(499))).toBeUndefined();
    expect(t.format('gateway', request(500))).toMatch(/POST \/api\/checkout 201 500 ms/);
    expect(t.format('cart', WARNING)).toMatch(/^cart .*WARN: AmqpService: RabbitMQ connection lost/);
    expect(t.format('gateway', ERROR)).toMatch(/ERROR: HttpErrorFilter/);
  });

  it('passes on what is not a JSON log line, quiet or not (a crash, the Collector), after the process name', () => {
    const t = terminal();
    t.quietDown();
    expect(t.format('payment', 'TypeError: x is not a function')).toBe('payment          TypeError: x is not a function');
    expect(t.format('otelcol', '{"not":"a pino line"}')).toBe('otelcol          {"not":"a pino line"}');
  });

  /* eslint-disable no-control-regex -- the colours are escape codes */
  it('colours the process name, one colour per process, and the level; none without colour', () => {
    const coloured = terminal(true);
    const gateway = coloured.format('gateway', STARTED)!;
    const cart = coloured.format('cart', STARTED)!;
    expect(gateway).toMatch(/^\x1b\[\d+mgateway/);
    expect(cart).toMatch(/^\x1b\[\d+mcart/);
    expect(gateway.slice(0, 5)).not.toBe(cart.slice(0, 5));
    expect(coloured.format('gateway', ERROR)).toMatch(/\x1b\[31mERROR/);
    expect(terminal(false).format('gateway', ERROR)).not.toContain('\x1b[');
  });
  /* eslint-enable no-control-regex */
});
