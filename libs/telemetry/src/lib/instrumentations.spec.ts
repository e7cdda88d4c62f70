import type { ExpressInstrumentationConfig } from '@opentelemetry/instrumentation-express';
import { ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { INSTRUMENTATION_NAMES, instrumentations } from './instrumentations';

/** The instrumentations the environment selects, by short name; each is switched off again (constructing one patches its modules). */
function selected(env: NodeJS.ProcessEnv) {
  const list = instrumentations(env);
  for (const i of list) i.disable();
  return list;
}
const names = (env: NodeJS.ProcessEnv) => selected(env).map((i) => i.instrumentationName.replace('@opentelemetry/instrumentation-', ''));

describe('instrumentations', () => {
  it('are the eight libraries TraceShop uses, by default', () => {
    expect(names({})).toEqual(['http', 'undici', 'express', 'nestjs-core', 'pg', 'ioredis', 'amqplib', 'pino']);
    expect(INSTRUMENTATION_NAMES).toEqual(names({}));
  });

  it('leave out those named in OTEL_NODE_DISABLED_INSTRUMENTATIONS', () => {
    expect(names({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pino, nestjs-core' })).toEqual(['http', 'undici', 'express', 'pg', 'ioredis', 'amqplib']);
  });

  it('keep only those named in OTEL_NODE_ENABLED_INSTRUMENTATIONS, minus the disabled ones', () => {
    expect(names({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg,express', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg' })).toEqual(['http', 'express']);
    expect(names({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: '' })).toHaveLength(8);
  });

  it('make no Express spans unless TRACESHOP_EXPRESS_SPANS=true (Express still names the HTTP span after the route)', () => {
    const ignored = (env: NodeJS.ProcessEnv) => (selected({ ...env, OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'express' })[0].getConfig() as ExpressInstrumentationConfig).ignoreLayersType;
    expect(ignored({})).toEqual(expect.arrayContaining([ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER, ExpressLayerType.REQUEST_HANDLER]));
    expect(ignored({ TRACESHOP_EXPRESS_SPANS: 'true' })).toEqual([ExpressLayerType.MIDDLEWARE]);
  });
});
